package httpapi_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/meshledger/meshledger/ledger/histlog"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/api"
)

// logNode is a node with blocks 0..4.
func logNode(t *testing.T) *testNode {
	t.Helper()
	n := open(t, nil)
	a := n.NewMember()
	for i := uint64(0); i < 4; i++ {
		n.Commit(call(t, a, n.ChainID(), i, 1000))
	}
	if h := n.Ledger().Latest().Header.Height; h != 4 {
		t.Fatalf("latest height %d, want 4", h)
	}
	return n
}

func header(t *testing.T, n *testNode, h uint64) api.SignedHeader {
	t.Helper()
	var b api.Block
	r := n.Do(http.MethodGet, api.PathBlocks+fmt.Sprint(h), nil)
	r.JSON(t, &b)
	if r.Status != 200 {
		t.Fatalf("block %d: %d %s", h, r.Status, r.Body)
	}
	return b.Header
}

// TestLogProofsVerifyAgainstHeaders: every proof served verifies against
// the log roots the served headers commit; omitted sizes are the latest
// header's.
func TestLogProofsVerifyAgainstHeaders(t *testing.T) {
	n := logNode(t)
	for size := uint64(1); size <= 4; size++ {
		root := header(t, n, size).Header.LogRoot
		for h := uint64(0); h < size; h++ {
			var p api.LogInclusionProof
			r := n.Do(http.MethodGet, fmt.Sprintf("%s?height=%d&size=%d", api.PathLogInclusion, h, size), nil)
			r.JSON(t, &p)
			if r.Status != 200 || p.Height != h || p.Size != size || p.Root != root || p.BlockHash != header(t, n, h).Hash {
				t.Fatalf("inclusion %d in %d: %d %s", h, size, r.Status, r.Body)
			}
			if err := histlog.VerifyInclusion(h, size, p.BlockHash, p.Hashes, root); err != nil {
				t.Fatalf("inclusion %d in %d: %v", h, size, err)
			}
		}
		for from := uint64(0); from <= size; from++ {
			var p api.LogConsistencyProof
			r := n.Do(http.MethodGet, fmt.Sprintf("%s?from=%d&to=%d", api.PathLogConsistency, from, size), nil)
			r.JSON(t, &p)
			fromRoot := header(t, n, from).Header.LogRoot
			if r.Status != 200 || p.FromRoot != fromRoot || p.ToRoot != root || p.Hashes == nil {
				t.Fatalf("consistency %d..%d: %d %s", from, size, r.Status, r.Body)
			}
			if err := histlog.VerifyConsistency(from, size, p.Hashes, fromRoot, root); err != nil {
				t.Fatalf("consistency %d..%d: %v", from, size, err)
			}
		}
	}
	var inc api.LogInclusionProof
	n.Do(http.MethodGet, api.PathLogInclusion+"?height=2", nil).JSON(t, &inc)
	if inc.Size != 4 || inc.Root != header(t, n, 4).Header.LogRoot {
		t.Fatalf("default size: %+v", inc)
	}
	var con api.LogConsistencyProof
	n.Do(http.MethodGet, api.PathLogConsistency+"?from=1", nil).JSON(t, &con)
	if con.To != 4 || con.ToRoot != inc.Root {
		t.Fatalf("default to: %+v", con)
	}
}

func TestLogProofErrors(t *testing.T) {
	n := logNode(t)
	outsider := nodetest.NewAccount(t)
	tests := []struct {
		name    string
		path    string
		headers []string
		status  int
		code    api.Code
	}{
		{"inclusion without height", api.PathLogInclusion, nil, 400, api.CodeBadRequest},
		{"inclusion height not a number", api.PathLogInclusion + "?height=x", nil, 400, api.CodeBadRequest},
		{"inclusion negative size", api.PathLogInclusion + "?height=0&size=-1", nil, 400, api.CodeBadRequest},
		{"inclusion height = size", api.PathLogInclusion + "?height=3&size=3", nil, 400, api.CodeBadRequest},
		{"inclusion in the empty log", api.PathLogInclusion + "?height=0&size=0", nil, 400, api.CodeBadRequest},
		{"inclusion height past latest", api.PathLogInclusion + "?height=7", nil, 400, api.CodeBadRequest},
		{"inclusion size past latest", api.PathLogInclusion + "?height=0&size=5", nil, 404, api.CodeHeightUnavailable},
		{"consistency without from", api.PathLogConsistency + "?to=2", nil, 400, api.CodeBadRequest},
		{"consistency to not a number", api.PathLogConsistency + "?from=1&to=2.5", nil, 400, api.CodeBadRequest},
		{"consistency from past to", api.PathLogConsistency + "?from=3&to=2", nil, 400, api.CodeBadRequest},
		{"consistency to past latest", api.PathLogConsistency + "?from=1&to=5", nil, 404, api.CodeHeightUnavailable},
		{"inclusion without a session", api.PathLogInclusion + "?height=0", []string{api.HeaderAuthorization, ""}, 401, api.CodeUnauthenticated},
		{"consistency by a non-member", api.PathLogConsistency + "?from=1", []string{api.HeaderAuthorization, nodetest.Session(t, n.Node, outsider.Key)}, 403, api.CodeNotAMember},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r nodetest.Response
			if tc.headers != nil && tc.headers[1] == "" {
				r = n.Anon(http.MethodGet, tc.path, nil)
			} else {
				r = n.Do(http.MethodGet, tc.path, nil, tc.headers...)
			}
			wantError(t, r, tc.status, tc.code)
		})
	}
}
