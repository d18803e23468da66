package client_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/client"
	"github.com/meshledger/meshledger/sdk/manifest"
)

// logChain is a running node with blocks 0..4 and the verified headers of
// all of them.
type logChain struct {
	n       *nodetest.Node
	c       *client.Client
	headers []*block.SignedHeader
}

func newLogChain(t *testing.T) *logChain {
	t.Helper()
	n := nodetest.Start(t, nodetest.Config(t.TempDir()))
	c := logClient(t, n, n.URL())
	module, err := manifest.Embed([]byte("\x00asm\x01\x00\x00\x00"), []byte(`{"version":1,"methods":{},"readPolicy":false}`))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		if _, err := c.Submit(ctx(t), client.DeployOp(module, "empty", nil), client.Wait()); err != nil {
			t.Fatal(err)
		}
	}
	lc := &logChain{n: n, c: c}
	latest, err := c.LatestBlock(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	v := c.Verifier()
	// The genesis header is unsigned: every node derives it; here it is
	// the node's own.
	g, err := n.Ledger().Header(0)
	if err != nil {
		t.Fatal(err)
	}
	lc.headers = append(lc.headers, g)
	for h := uint64(1); h <= latest.Header.Header.Height; h++ {
		b, err := c.Block(ctx(t), h)
		if err != nil {
			t.Fatal(err)
		}
		sh, err := v.VerifyHeader(&b.Header)
		if err != nil {
			t.Fatal(err)
		}
		lc.headers = append(lc.headers, sh)
	}
	return lc
}

func logClient(t *testing.T, n *nodetest.Node, url string) *client.Client {
	t.Helper()
	c, err := client.New(url, client.WithKey(client.NewKey(n.Key())), client.WithTrustedNodes(n.Address()),
		client.WithPollInterval(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestVerifiedLogProofs(t *testing.T) {
	lc := newLogChain(t)
	latest := uint64(len(lc.headers) - 1)
	if latest < 4 {
		t.Fatalf("latest height %d", latest)
	}
	for size := uint64(1); size <= latest; size++ {
		at := &lc.headers[size].Header
		for h := uint64(0); h < size; h++ {
			p, err := lc.c.VerifiedLogInclusion(ctx(t), h, at)
			if err != nil {
				t.Fatalf("inclusion of %d in %d: %v", h, size, err)
			}
			if p.BlockHash != lc.headers[h].Hash() {
				t.Fatalf("inclusion of %d proves block %s, want %s", h, p.BlockHash, lc.headers[h].Hash())
			}
		}
		for from := uint64(0); from <= size; from++ {
			if _, err := lc.c.VerifiedLogConsistency(ctx(t), &lc.headers[from].Header, at); err != nil {
				t.Fatalf("consistency %d..%d: %v", from, size, err)
			}
		}
	}
	// Arguments no node could answer are refused before asking.
	if _, err := lc.c.VerifiedLogInclusion(ctx(t), 2, &lc.headers[2].Header); !errors.Is(err, client.ErrBadArgument) {
		t.Fatalf("inclusion of a block into its own header's log: %v", err)
	}
	if _, err := lc.c.VerifiedLogConsistency(ctx(t), &lc.headers[3].Header, &lc.headers[1].Header); !errors.Is(err, client.ErrBadArgument) {
		t.Fatalf("consistency backwards: %v", err)
	}
	// Unverified fetches with the default size are the latest header's.
	p, err := lc.c.LogInclusionProof(ctx(t), 0, 0)
	if err != nil || p.Size != latest || p.Root != lc.headers[latest].Header.LogRoot {
		t.Fatalf("default size: %+v, %v", p, err)
	}
	// A node's refusal is its APIError.
	if _, err := lc.c.LogInclusionProof(ctx(t), 0, latest+5); !client.IsCode(err, string(api.CodeHeightUnavailable)) {
		t.Fatalf("size past the latest header: %v", err)
	}
}

// rewrite returns a Tamper that edits the JSON body of responses to
// requests under path.
func rewrite(path string, edit func(m map[string]any)) nodetest.Tamper {
	return func(r *http.Request, status int, body []byte) []byte {
		if status != 200 || !strings.HasPrefix(r.URL.Path, path) {
			return body
		}
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			return body
		}
		edit(m)
		out, _ := json.Marshal(m)
		return out
	}
}

func flipHash(s any) string {
	h := common.HexToHash(s.(string))
	h[31] ^= 1
	return h.Hex()
}

// TestLyingNodeLogProofs: every altered proof is refused with
// ErrLogProof (and ErrVerify).
func TestLyingNodeLogProofs(t *testing.T) {
	lc := newLogChain(t)
	many := make([]any, api.MaxLogProofHashes+1)
	for i := range many {
		many[i] = common.Hash{}.Hex()
	}
	tests := []struct {
		name   string
		tamper nodetest.Tamper
		incl   bool
	}{
		{"inclusion: a path hash", rewrite(api.PathLogInclusion, func(m map[string]any) {
			hs := m["hashes"].([]any)
			hs[0] = flipHash(hs[0])
		}), true},
		{"inclusion: another block", rewrite(api.PathLogInclusion, func(m map[string]any) { m["blockHash"] = flipHash(m["blockHash"]) }), true},
		{"inclusion: another root", rewrite(api.PathLogInclusion, func(m map[string]any) { m["root"] = flipHash(m["root"]) }), true},
		{"inclusion: another size", rewrite(api.PathLogInclusion, func(m map[string]any) { m["size"] = 2 }), true},
		{"inclusion: another height", rewrite(api.PathLogInclusion, func(m map[string]any) { m["height"] = 0 }), true},
		{"inclusion: a hash dropped", rewrite(api.PathLogInclusion, func(m map[string]any) { m["hashes"] = m["hashes"].([]any)[1:] }), true},
		{"inclusion: too many hashes", rewrite(api.PathLogInclusion, func(m map[string]any) { m["hashes"] = many }), true},
		{"consistency: a proof hash", rewrite(api.PathLogConsistency, func(m map[string]any) {
			hs := m["hashes"].([]any)
			hs[len(hs)-1] = flipHash(hs[len(hs)-1])
		}), false},
		{"consistency: another to root", rewrite(api.PathLogConsistency, func(m map[string]any) { m["toRoot"] = flipHash(m["toRoot"]) }), false},
		{"consistency: another from", rewrite(api.PathLogConsistency, func(m map[string]any) { m["from"] = 2 }), false},
		{"consistency: empty proof", rewrite(api.PathLogConsistency, func(m map[string]any) { m["hashes"] = []any{} }), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			liar := logClient(t, lc.n, nodetest.TamperProxy(t, lc.n.URL(), tc.tamper))
			var err error
			if tc.incl {
				_, err = liar.VerifiedLogInclusion(ctx(t), 1, &lc.headers[4].Header)
			} else {
				_, err = liar.VerifiedLogConsistency(ctx(t), &lc.headers[3].Header, &lc.headers[4].Header)
			}
			if !errors.Is(err, client.ErrLogProof) || !errors.Is(err, client.ErrVerify) {
				t.Fatalf("got %v, want ErrLogProof", err)
			}
		})
	}
}

// TestVerifyLogProofInputs: the pure verifiers refuse what proves nothing.
func TestVerifyLogProofInputs(t *testing.T) {
	other := common.HexToHash("0x01")
	tests := []struct {
		name string
		err  error
	}{
		{"no inclusion proof", client.VerifyLogInclusion(nil, other)},
		{"no consistency proof", client.VerifyLogConsistency(nil, other, other)},
		{"empty log with another root", client.VerifyLogConsistency(&api.LogConsistencyProof{From: 0, To: 3, FromRoot: other, ToRoot: other, Hashes: []common.Hash{}}, other, other)},
		{"equal sizes, other roots", client.VerifyLogConsistency(&api.LogConsistencyProof{From: 2, To: 2, FromRoot: other, ToRoot: block.EmptyLogRoot}, other, block.EmptyLogRoot)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !errors.Is(tc.err, client.ErrLogProof) {
				t.Fatalf("got %v, want ErrLogProof", tc.err)
			}
		})
	}
	ok := &api.LogConsistencyProof{From: 0, To: 3, FromRoot: block.EmptyLogRoot, ToRoot: other, Hashes: []common.Hash{}}
	if err := client.VerifyLogConsistency(ok, block.EmptyLogRoot, other); err != nil {
		t.Fatalf("every log extends the empty log: %v", err)
	}
}
