package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/node/httpapi"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/client"
	"github.com/meshledger/meshledger/sdk/client/bft"
	"github.com/meshledger/meshledger/sdk/client/bft/bfttest"
)

// fakeConsensus serves a made-up CometBFT chain in place of a running
// network.
type fakeConsensus struct {
	t      testing.TB
	chain  *bfttest.Chain
	height uint64            // the last committed consensus height
	of     map[uint64]uint64 // ledger height → consensus height that made it
	pruned map[uint64]bool   // light blocks this node no longer holds
}

func (f *fakeConsensus) Validators() ([]api.Validator, error) { return nil, nil }
func (f *fakeConsensus) Height() uint64                       { return f.height }

func (f *fakeConsensus) ConsensusHeightOf(h uint64) (uint64, error) {
	ch, ok := f.of[h]
	if !ok {
		return 0, fmt.Errorf("%w: no consensus height for block %d", ledger.ErrNotFound, h)
	}
	return ch, nil
}

func (f *fakeConsensus) LightBlock(_ context.Context, h uint64) ([]byte, error) {
	if f.pruned[h] || h > f.height {
		return nil, fmt.Errorf("%w: light block %d", ledger.ErrNotFound, h)
	}
	return bfttest.Encode(f.t, f.chain.LightBlock(int64(h))), nil
}

// tallLedger is the node's ledger claiming a later latest block, so that
// the evidence routes see ledger heights beyond the genesis.
type tallLedger struct {
	httpapi.Ledger
	latest uint64
}

func (l tallLedger) Latest() *block.SignedHeader {
	return &block.SignedHeader{Header: block.Header{ChainID: l.ChainID(), Height: l.latest}}
}

type noCommits struct{}

func (noCommits) NextCommit() <-chan struct{} { return make(chan struct{}) }

// consensusAPI is an API over n's ledger, claiming blocks up to 5, and
// cs.
func consensusAPI(t *testing.T, n *testNode, cs httpapi.Consensus) *httpapi.Server {
	t.Helper()
	srv, err := httpapi.New(httpapi.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, httpapi.Deps{
		Ledger: tallLedger{Ledger: n.Ledger(), latest: 5}, Pool: n.Node.Node, Commits: noCommits{},
		Registry: prometheus.NewRegistry(), Consensus: cs,
	})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

func do(t *testing.T, h http.Handler, path string, headers ...string) nodetest.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return nodetest.Response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
}

func TestConsensusRoutes(t *testing.T) {
	n := open(t, nil)
	four := bfttest.NewValidators("org", 10, 10, 10, 10)
	chain := bfttest.NewChain(t, bft.ChainID(n.ChainID()), bfttest.Epoch{From: 1, Vals: four})
	fc := &fakeConsensus{t: t, chain: chain, height: 12,
		of:     map[uint64]uint64{1: 3, 2: 5, 3: 9, 4: 12},
		pruned: map[uint64]bool{4: true, 7: true}}
	srv := consensusAPI(t, n, fc)
	auth := []string{api.HeaderAuthorization, n.Session}

	tests := []struct {
		name   string
		path   string
		status int
		code   api.Code
		// lightBlock is the consensus height of the light block served.
		lightBlock int64
	}{
		{"genesis: the initial app hash is in header 1", api.PathConsensusCommits + "0", 200, "", 1},
		{"a ledger block made at consensus height 5", api.PathConsensusCommits + "2", 200, "", 6},
		{"a ledger block", api.PathConsensusCommits + "3", 200, "", 10},
		{"commit over the latest block not yet made", api.PathConsensusCommits + "4", 404, api.CodeHeightUnavailable, 0},
		{"a ledger block not yet committed", api.PathConsensusCommits + "6", 404, api.CodeHeightUnavailable, 0},
		{"a ledger block with no consensus height", api.PathConsensusCommits + "5", 404, api.CodeNotFound, 0},
		{"evidence this node no longer holds", api.PathConsensusCommits + "1", 404, api.CodeNotFound, 0},
		{"ledger height not a number", api.PathConsensusCommits + "x", 400, api.CodeBadRequest, 0},
		{"negative ledger height", api.PathConsensusCommits + "-1", 400, api.CodeBadRequest, 0},
		{"ledger height above uint64", api.PathConsensusCommits + "18446744073709551616", 400, api.CodeBadRequest, 0},
		{"a light block", api.PathConsensusLightBlocks + "8", 200, "", 8},
		{"the latest light block", api.PathConsensusLightBlocks + "12", 200, "", 12},
		{"a light block not yet committed", api.PathConsensusLightBlocks + "13", 404, api.CodeHeightUnavailable, 0},
		{"a pruned light block", api.PathConsensusLightBlocks + "7", 404, api.CodeNotFound, 0},
		{"consensus height 0", api.PathConsensusLightBlocks + "0", 400, api.CodeBadRequest, 0},
		{"consensus height not a number", api.PathConsensusLightBlocks + "0x1", 400, api.CodeBadRequest, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, srv, tt.path, auth...)
			if tt.status != http.StatusOK {
				wantError(t, r, tt.status, tt.code)
				return
			}
			if r.Status != http.StatusOK {
				t.Fatalf("got %d %s", r.Status, r.Body)
			}
			var raw []byte
			if tt.path[:len(api.PathConsensusCommits)] == api.PathConsensusCommits {
				var cc api.ConsensusCommit
				r.JSON(t, &cc)
				if int64(cc.ConsensusHeight)+1 != tt.lightBlock {
					t.Fatalf("consensus height %d, want %d", cc.ConsensusHeight, tt.lightBlock-1)
				}
				raw = cc.LightBlock
			} else {
				var lb api.ConsensusLightBlock
				r.JSON(t, &lb)
				if int64(lb.ConsensusHeight) != tt.lightBlock {
					t.Fatalf("consensus height %d, want %d", lb.ConsensusHeight, tt.lightBlock)
				}
				raw = lb.LightBlock
			}
			lb, err := bft.DecodeLightBlock(raw)
			if err != nil {
				t.Fatal(err)
			}
			if lb.Height != tt.lightBlock {
				t.Fatalf("light block of height %d, want %d", lb.Height, tt.lightBlock)
			}
		})
	}

	// Member reads: the evidence reveals when blocks were made, as the
	// (member-only) headers do.
	for _, p := range []string{api.PathConsensusCommits + "0", api.PathConsensusLightBlocks + "1"} {
		wantError(t, do(t, srv, p), http.StatusUnauthorized, api.CodeUnauthenticated)
	}
}

func TestConsensusRoutesOnASoloChain(t *testing.T) {
	n := open(t, nil)
	for _, p := range []string{api.PathConsensusCommits + "0", api.PathConsensusLightBlocks + "1"} {
		wantError(t, n.Do(http.MethodGet, p, nil), http.StatusNotFound, api.CodeNotBFT)
	}
	// Malformed heights are refused before the mode is asked.
	wantError(t, n.Do(http.MethodGet, api.PathConsensusCommits+"x", nil), http.StatusBadRequest, api.CodeBadRequest)
}

// A client verifies the genesis header through the validators' commit,
// over real HTTP.
func TestClientVerifiesThroughTheConsensusRoutes(t *testing.T) {
	n := open(t, nil)
	four := bfttest.NewValidators("org", 10, 10, 10, 10)
	chain := bfttest.NewChain(t, bft.ChainID(n.ChainID()), bfttest.Epoch{From: 1, Vals: four})
	genesis, err := n.Ledger().Header(0)
	if err != nil {
		t.Fatal(err)
	}
	gh := genesis.Hash()
	chain.AppHash[1] = gh[:]
	fc := &fakeConsensus{t: t, chain: chain, height: 3, of: map[uint64]uint64{}}
	hs := httptest.NewServer(consensusAPI(t, n, fc))
	t.Cleanup(hs.Close)

	c, err := client.New(hs.URL, client.WithKey(client.NewKey(n.Key())))
	if err != nil {
		t.Fatal(err)
	}
	v, err := bft.New(bft.Config{ChainID: chain.ID, Validators: four.Set, Height: 1}, c)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.VerifyConsensus(context.Background(), &genesis.Header, gh); err != nil {
		t.Fatalf("verify genesis: %v", err)
	}
	lb, err := c.ConsensusLightBlock(context.Background(), 3)
	if err != nil {
		t.Fatalf("ConsensusLightBlock: %v", err)
	}
	decoded, err := bft.DecodeLightBlock(lb.LightBlock)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.VerifyLightBlock(context.Background(), decoded); err != nil || decoded.Height != 3 {
		t.Fatalf("light block 3: height %d, %v", decoded.Height, err)
	}
	if _, err := c.ConsensusLightBlock(context.Background(), 4); !client.IsCode(err, string(api.CodeHeightUnavailable)) {
		t.Fatalf("light block not yet committed: got %v, want height_unavailable", err)
	}
	// Another state under the same header height is refused.
	other := genesis.Header
	other.StateRoot[0] ^= 1
	if err := v.VerifyConsensus(context.Background(), &other, other.Hash()); !errors.Is(err, bft.ErrAppHashMismatch) {
		t.Fatalf("other state: got %v, want ErrAppHashMismatch", err)
	}
}
