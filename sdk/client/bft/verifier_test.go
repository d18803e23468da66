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
)

const chainID = "meshledger-7"

// block10 sets up ledger block 10, made at consensus height 10, so that
// light block 11 carries its hash as the app hash.
func block10(src *source) (ledgerHeight uint64, check func(*bft.Verifier) error) {
	h, hash := ledgerHeader(10)
	src.c.appHash[11] = hash[:]
	return 10, func(v *bft.Verifier) error { return v.VerifyConsensus(context.Background(), h, hash) }
}

func TestVerifyConsensusAcceptsTheTrustedCommit(t *testing.T) {
	four := newValidators(t, "org", 10, 10, 10, 10)
	src := &source{c: newChain(t, chainID, epoch{1, four})}
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
	four := newValidators(t, "org", 10, 10, 10, 10)
	impostors := newValidators(t, "impostor", 10, 10, 10, 10)
	tests := []struct {
		name   string
		tamper func(c *chain, lb *types.LightBlock) []byte
		want   error
	}{
		{
			name: "forged signature",
			tamper: func(c *chain, lb *types.LightBlock) []byte {
				sig := lb.Commit.Signatures[0].Signature
				sig[0] ^= 0xff
				return encode(c.t, lb)
			},
			want: bft.ErrBadCommit,
		},
		{
			name: "two of four signatures",
			tamper: func(c *chain, lb *types.LightBlock) []byte {
				lb.Commit.Signatures[2] = types.NewCommitSigAbsent()
				lb.Commit.Signatures[3] = types.NewCommitSigAbsent()
				return encode(c.t, lb)
			},
			want: bft.ErrInsufficientPower,
		},
		{
			name: "app hash of another state",
			tamper: func(c *chain, lb *types.LightBlock) []byte {
				c.appHash[11] = filler("other state", 11)
				return encode(c.t, c.lightBlock(11))
			},
			want: bft.ErrAppHashMismatch,
		},
		{
			name: "signed by a set that is not the trusted one",
			tamper: func(c *chain, lb *types.LightBlock) []byte {
				return encode(c.t, c.signedBy(11, impostors))
			},
			want: bft.ErrUntrustedValidators,
		},
		{
			name: "validator set that does not hash to the header's",
			tamper: func(c *chain, lb *types.LightBlock) []byte {
				lb.ValidatorSet = impostors.set
				return encode(c.t, lb)
			},
			want: bft.ErrMalformed,
		},
		{
			name: "commit over another block",
			tamper: func(c *chain, lb *types.LightBlock) []byte {
				lb.Header.DataHash = filler("other txs", 11)
				return encode(c.t, lb)
			},
			want: bft.ErrMalformed,
		},
		{
			name: "another chain",
			tamper: func(c *chain, lb *types.LightBlock) []byte {
				other := newChain(c.t, "meshledger-8", epoch{1, four})
				other.appHash[11] = lb.AppHash
				return encode(c.t, other.lightBlock(11))
			},
			want: bft.ErrWrongChain,
		},
		{
			name:   "not a light block",
			tamper: func(*chain, *types.LightBlock) []byte { return []byte("not protobuf at all") },
			want:   bft.ErrMalformed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &source{c: newChain(t, chainID, epoch{1, four})}
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
	four := newValidators(t, "org", 10, 10, 10, 10)
	src := &source{c: newChain(t, chainID, epoch{1, four})}
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
	old := newValidators(t, "org", 10, 10, 10, 10)
	next := newValidators(t, "next", 10, 10, 10, 10, 10)
	c := newChain(t, chainID, epoch{1, old}, epoch{20, next})
	src := &source{c: c, consensusOf: map[uint64]int64{10: 30}}
	h, hash := ledgerHeader(10)
	c.appHash[31] = hash[:]
	v := newVerifier(t, src)
	if err := v.VerifyConsensus(context.Background(), h, hash); err != nil {
		t.Fatalf("verify across the change: %v", err)
	}
	// The retired set cannot sign history after it was replaced, even
	// with all its keys.
	h2, hash2 := ledgerHeader(11)
	src.consensusOf[11] = 40
	c.appHash[41] = hash2[:]
	src.commit = func(lh uint64, lb *types.LightBlock) []byte { return encode(t, c.signedBy(41, old)) }
	if err := v.VerifyConsensus(context.Background(), h2, hash2); !errors.Is(err, bft.ErrUntrustedValidators) {
		t.Fatalf("old set after its replacement: got %v, want ErrUntrustedValidators", err)
	}
	// It still vouches for its own heights.
	h3, hash3 := ledgerHeader(5)
	src.consensusOf[5] = 5
	c.appHash[6] = hash3[:]
	src.commit = nil
	if err := v.VerifyConsensus(context.Background(), h3, hash3); err != nil {
		t.Fatalf("a block of the old set's time: %v", err)
	}
}

// A node that claims impostors took over at height 20 is caught while
// the verifier bisects, however it forges the handover.
func TestFollowingChangesRefusesForgedHandover(t *testing.T) {
	old := newValidators(t, "org", 10, 10, 10, 10)
	next := newValidators(t, "next", 10, 10, 10, 10, 10)
	impostors := newValidators(t, "impostor", 10, 10, 10, 10)
	honest := newChain(t, chainID, epoch{1, old}, epoch{20, next})
	forged := newChain(t, chainID, epoch{1, old}, epoch{20, impostors})
	tests := []struct {
		name string
		// at19 is what the node serves for height 19, the last of the
		// old set.
		at19 func() *types.LightBlock
		want error
	}{
		{"honest handover header", func() *types.LightBlock { return honest.lightBlock(19) }, bft.ErrUntrustedValidators},
		{"handover naming the impostors, signed by them", func() *types.LightBlock {
			lb := forged.signedBy(19, impostors)
			lb.ValidatorSet = old.set
			lb.ValidatorsHash = old.set.Hash()
			return forged.resign(lb, impostors)
		}, bft.ErrBadCommit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, hash := ledgerHeader(10)
			forged.appHash[31] = hash[:]
			src := &source{c: forged, consensusOf: map[uint64]int64{10: 30}}
			src.lightBlockAt = func(ch int64) *types.LightBlock {
				switch {
				case ch == 19:
					return tt.at19()
				case ch < 19:
					return honest.lightBlock(ch)
				}
				return forged.lightBlock(ch)
			}
			err := newVerifier(t, src).VerifyConsensus(context.Background(), h, hash)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyConsensusWaitsForTheCommit(t *testing.T) {
	four := newValidators(t, "org", 10, 10, 10, 10)
	src := &source{c: newChain(t, chainID, epoch{1, four}), unavailable: 2}
	_, check := block10(src)
	if err := check(newVerifier(t, src)); err != nil {
		t.Fatalf("verify after two height_unavailable: %v", err)
	}
}

// A node that cannot answer is not a verification failure: the caller
// may ask another node.
func TestVerifyConsensusReportsAnUnansweringNode(t *testing.T) {
	four := newValidators(t, "org", 10, 10, 10, 10)
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
			tt.src.c = newChain(t, chainID, epoch{1, four})
			_, check := block10(tt.src)
			cfg := bft.Config{ChainID: chainID, Validators: four.set, Height: 1}
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
	four := newValidators(t, "org", 10, 10, 10, 10)
	src := &source{c: newChain(t, chainID, epoch{1, four})}
	v, err := bft.New(bft.Config{ChainID: chainID, Validators: four.set, Height: 50}, src)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.VerifyLightBlock(context.Background(), src.c.lightBlock(49)); !errors.Is(err, bft.ErrUntrustedValidators) {
		t.Fatalf("got %v, want ErrUntrustedValidators", err)
	}
	if err := v.VerifyLightBlock(context.Background(), src.c.lightBlock(50)); err != nil {
		t.Fatalf("at the trusted height: %v", err)
	}
	if err := v.VerifyLightBlock(context.Background(), nil); !errors.Is(err, bft.ErrMalformed) {
		t.Fatalf("nil: got %v, want ErrMalformed", err)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	four := newValidators(t, "org", 10, 10, 10, 10)
	good := bft.Config{ChainID: chainID, Validators: four.set, Height: 1}
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
