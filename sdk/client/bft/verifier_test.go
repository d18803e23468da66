package bft_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/cometbft/cometbft/types"

	"github.com/meshledger/meshledger/sdk/client"
	"github.com/meshledger/meshledger/sdk/client/bft"
	"github.com/meshledger/meshledger/sdk/client/bft/bfttest"
)

const chainID = "meshledger-7"

// block10 sets up ledger block 10, made at consensus height 10, so that
// light block 11 carries its hash as the app hash.
func block10(src *source) (ledgerHeight uint64, check func(*bft.Verifier) error) {
	h, hash := ledgerHeader(10)
	src.c.AppHash[11] = hash[:]
	return 10, func(v *bft.Verifier) error { return v.VerifyConsensus(context.Background(), h, hash) }
}

func TestVerifyConsensusAcceptsTheTrustedCommit(t *testing.T) {
	four := bfttest.NewValidators("org", 10, 10, 10, 10)
	src := &source{c: bfttest.NewChain(t, chainID, bfttest.Epoch{From: 1, Vals: four})}
	_, check := block10(src)
	v := newVerifier(t, src)
	if err := check(v); err != nil {
		t.Fatalf("verify: %v", err)
	}
	// Checking a transaction and then a state read of one block fetches
	// the evidence once.
	n := src.count()
	if err := check(v); err != nil {
		t.Fatalf("verify again: %v", err)
	}
	if src.count() != n {
		t.Fatalf("verified block fetched again: %d requests, then %d", n, src.count())
	}
}

// Each way the evidence can be wrong is refused with its own error, and
// every one is a verification failure.
func TestVerifyConsensusRefusesBadEvidence(t *testing.T) {
	four := bfttest.NewValidators("org", 10, 10, 10, 10)
	impostors := bfttest.NewValidators("impostor", 10, 10, 10, 10)
	tests := []struct {
		name   string
		tamper func(c *bfttest.Chain, lb *types.LightBlock) []byte
		want   error
	}{
		{
			name: "forged signature",
			tamper: func(c *bfttest.Chain, lb *types.LightBlock) []byte {
				sig := lb.Commit.Signatures[0].Signature
				sig[0] ^= 0xff
				return bfttest.Encode(c.T, lb)
			},
			want: bft.ErrBadCommit,
		},
		{
			name: "two of four signatures",
			tamper: func(c *bfttest.Chain, lb *types.LightBlock) []byte {
				lb.Commit.Signatures[2] = types.NewCommitSigAbsent()
				lb.Commit.Signatures[3] = types.NewCommitSigAbsent()
				return bfttest.Encode(c.T, lb)
			},
			want: bft.ErrInsufficientPower,
		},
		{
			name: "app hash of another state",
			tamper: func(c *bfttest.Chain, lb *types.LightBlock) []byte {
				c.AppHash[11] = bfttest.Filler("other state", 11)
				return bfttest.Encode(c.T, c.LightBlock(11))
			},
			want: bft.ErrAppHashMismatch,
		},
		{
			name: "signed by a set that is not the trusted one",
			tamper: func(c *bfttest.Chain, lb *types.LightBlock) []byte {
				return bfttest.Encode(c.T, c.SignedBy(11, impostors))
			},
			want: bft.ErrUntrustedValidators,
		},
		{
			name: "validator set that does not hash to the header's",
			tamper: func(c *bfttest.Chain, lb *types.LightBlock) []byte {
				lb.ValidatorSet = impostors.Set
				return bfttest.Encode(c.T, lb)
			},
			want: bft.ErrMalformed,
		},
		{
			name: "commit over another block",
			tamper: func(c *bfttest.Chain, lb *types.LightBlock) []byte {
				lb.Header.DataHash = bfttest.Filler("other txs", 11)
				return bfttest.Encode(c.T, lb)
			},
			want: bft.ErrMalformed,
		},
		{
			name: "another chain",
			tamper: func(c *bfttest.Chain, lb *types.LightBlock) []byte {
				other := bfttest.NewChain(c.T, "meshledger-8", bfttest.Epoch{From: 1, Vals: four})
				other.AppHash[11] = lb.AppHash
				return bfttest.Encode(c.T, other.LightBlock(11))
			},
			want: bft.ErrWrongChain,
		},
		{
			name:   "not a light block",
			tamper: func(*bfttest.Chain, *types.LightBlock) []byte { return []byte("not protobuf at all") },
			want:   bft.ErrMalformed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &source{c: bfttest.NewChain(t, chainID, bfttest.Epoch{From: 1, Vals: four})}
			_, check := block10(src)
			src.commit = func(_ uint64, lb *types.LightBlock) []byte { return tt.tamper(src.c, lb) }
			err := check(newVerifier(t, src))
			if !errors.Is(err, tt.want) || !errors.Is(err, client.ErrVerify) {
				t.Fatalf("got %v, want %v (a client.ErrVerify)", err, tt.want)
			}
		})
	}
}

func TestVerifyConsensusRefusesAnotherLedgerChain(t *testing.T) {
	four := bfttest.NewValidators("org", 10, 10, 10, 10)
	src := &source{c: bfttest.NewChain(t, chainID, bfttest.Epoch{From: 1, Vals: four})}
	h, hash := ledgerHeader(10)
	h.ChainID = 8
	err := newVerifier(t, src).VerifyConsensus(context.Background(), h, hash)
	if !errors.Is(err, bft.ErrWrongChain) {
		t.Fatalf("got %v, want ErrWrongChain", err)
	}
	if src.count() != 0 {
		t.Fatalf("asked the node %d times about another chain", src.count())
	}
}

// Governance replaced a validator at height 20 (announced by header 19's
// next validators hash): the verifier follows, trusting the new set only
// through the old one.
func TestVerifyConsensusFollowsValidatorChanges(t *testing.T) {
	old := bfttest.NewValidators("org", 10, 10, 10, 10)
	next := bfttest.NewValidators("next", 10, 10, 10, 10, 10)
	c := bfttest.NewChain(t, chainID, bfttest.Epoch{From: 1, Vals: old}, bfttest.Epoch{From: 20, Vals: next})
	src := &source{c: c, consensusOf: map[uint64]int64{10: 30}}
	h, hash := ledgerHeader(10)
	c.AppHash[31] = hash[:]
	v := newVerifier(t, src)
	if err := v.VerifyConsensus(context.Background(), h, hash); err != nil {
		t.Fatalf("verify across the change: %v", err)
	}
	// The retired set cannot sign history after it was replaced, even
	// with all its keys.
	h2, hash2 := ledgerHeader(11)
	src.consensusOf[11] = 40
	c.AppHash[41] = hash2[:]
	src.commit = func(lh uint64, lb *types.LightBlock) []byte { return bfttest.Encode(t, c.SignedBy(41, old)) }
	if err := v.VerifyConsensus(context.Background(), h2, hash2); !errors.Is(err, bft.ErrUntrustedValidators) {
		t.Fatalf("old set after its replacement: got %v, want ErrUntrustedValidators", err)
	}
	// It still vouches for its own heights.
	h3, hash3 := ledgerHeader(5)
	src.consensusOf[5] = 5
	c.AppHash[6] = hash3[:]
	src.commit = nil
	if err := v.VerifyConsensus(context.Background(), h3, hash3); err != nil {
		t.Fatalf("a block of the old set's time: %v", err)
	}
}

// A node that claims impostors took over at height 20 is caught while
// the verifier bisects, however it forges the handover.
func TestFollowingChangesRefusesForgedHandover(t *testing.T) {
	old := bfttest.NewValidators("org", 10, 10, 10, 10)
	next := bfttest.NewValidators("next", 10, 10, 10, 10, 10)
	impostors := bfttest.NewValidators("impostor", 10, 10, 10, 10)
	honest := bfttest.NewChain(t, chainID, bfttest.Epoch{From: 1, Vals: old}, bfttest.Epoch{From: 20, Vals: next})
	forged := bfttest.NewChain(t, chainID, bfttest.Epoch{From: 1, Vals: old}, bfttest.Epoch{From: 20, Vals: impostors})
	tests := []struct {
		name string
		// at19 is what the node serves for height 19, the last of the
		// old set.
		at19 func() *types.LightBlock
		want error
	}{
		{"honest handover header", func() *types.LightBlock { return honest.LightBlock(19) }, bft.ErrUntrustedValidators},
		{"handover naming the impostors, signed by them", func() *types.LightBlock {
			lb := forged.SignedBy(19, impostors)
			lb.ValidatorSet = old.Set
			lb.ValidatorsHash = old.Set.Hash()
			return forged.Resign(lb, impostors)
		}, bft.ErrBadCommit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, hash := ledgerHeader(10)
			forged.AppHash[31] = hash[:]
			src := &source{c: forged, consensusOf: map[uint64]int64{10: 30}}
			src.lightBlockAt = func(ch int64) *types.LightBlock {
				switch {
				case ch == 19:
					return tt.at19()
				case ch < 19:
					return honest.LightBlock(ch)
				}
				return forged.LightBlock(ch)
			}
			err := newVerifier(t, src).VerifyConsensus(context.Background(), h, hash)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyConsensusWaitsForTheCommit(t *testing.T) {
	four := bfttest.NewValidators("org", 10, 10, 10, 10)
	src := &source{c: bfttest.NewChain(t, chainID, bfttest.Epoch{From: 1, Vals: four}), unavailable: 2}
	_, check := block10(src)
	if err := check(newVerifier(t, src)); err != nil {
		t.Fatalf("verify after two height_unavailable: %v", err)
	}
}

// A node that cannot answer is not a verification failure: the caller
// may ask another node.
func TestVerifyConsensusReportsAnUnansweringNode(t *testing.T) {
	four := bfttest.NewValidators("org", 10, 10, 10, 10)
	down := &client.APIError{Status: http.StatusServiceUnavailable, Code: "unavailable"}
	tests := []struct {
		name string
		src  *source
		cfg  func(*bft.Config)
		want error
	}{
		{"node error", &source{fail: down}, nil, down},
		{"commit never made", &source{unavailable: 1 << 30}, func(c *bft.Config) { c.FetchTimeout = 100 * time.Millisecond }, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.src.c = bfttest.NewChain(t, chainID, bfttest.Epoch{From: 1, Vals: four})
			_, check := block10(tt.src)
			cfg := bft.Config{ChainID: chainID, Validators: four.Set, Height: 1}
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			v, err := bft.New(cfg, tt.src)
			if err != nil {
				t.Fatal(err)
			}
			err = check(v)
			if !errors.Is(err, tt.want) || errors.Is(err, client.ErrVerify) {
				t.Fatalf("got %v, want %v and no ErrVerify", err, tt.want)
			}
		})
	}
}

func TestVerifyLightBlockBelowTheTrustedHeight(t *testing.T) {
	four := bfttest.NewValidators("org", 10, 10, 10, 10)
	src := &source{c: bfttest.NewChain(t, chainID, bfttest.Epoch{From: 1, Vals: four})}
	v, err := bft.New(bft.Config{ChainID: chainID, Validators: four.Set, Height: 50}, src)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.VerifyLightBlock(context.Background(), src.c.LightBlock(49)); !errors.Is(err, bft.ErrUntrustedValidators) {
		t.Fatalf("got %v, want ErrUntrustedValidators", err)
	}
	if err := v.VerifyLightBlock(context.Background(), src.c.LightBlock(50)); err != nil {
		t.Fatalf("at the trusted height: %v", err)
	}
	if err := v.VerifyLightBlock(context.Background(), nil); !errors.Is(err, bft.ErrMalformed) {
		t.Fatalf("nil: got %v, want ErrMalformed", err)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	four := bfttest.NewValidators("org", 10, 10, 10, 10)
	good := bft.Config{ChainID: chainID, Validators: four.Set, Height: 1}
	tests := []struct {
		name  string
		tweak func(*bft.Config)
	}{
		{"no chain id", func(c *bft.Config) { c.ChainID = "" }},
		{"no validators", func(c *bft.Config) { c.Validators = nil }},
		{"empty validators", func(c *bft.Config) { c.Validators = types.NewValidatorSet(nil) }},
		{"height 0", func(c *bft.Config) { c.Height = 0 }},
		{"negative timeout", func(c *bft.Config) { c.FetchTimeout = -1 }},
		{"negative cache", func(c *bft.Config) { c.CacheSize = -1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.tweak(&cfg)
			if _, err := bft.New(cfg, &source{}); !errors.Is(err, bft.ErrConfig) {
				t.Fatalf("got %v, want ErrConfig", err)
			}
		})
	}
	if _, err := bft.New(good, nil); !errors.Is(err, bft.ErrConfig) {
		t.Fatalf("no source: got %v, want ErrConfig", err)
	}
}
