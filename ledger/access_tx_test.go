package ledger

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/internal/ledgertest"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/runtime"
)

// Transaction and event decisions, queries as a reader, determinism,
// concurrency, upgrades and the benchmark, on the network of
// access_harness_test.go.

// Readable transactions: the sender's organisation (at the tip),
// auditors, and the audience of the events it emitted.
func TestCanReadTx(t *testing.T) {
	c := newAccessChain(t)
	rec := func(h common.Hash) *TxRecord {
		r, err := c.l.Tx(h)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	deploy, create, put, remove := rec(c.loanDeploy), rec(c.create), rec(c.put), rec(c.removeClerk)
	clerkBefore := c.viewerAt(c.clerk, c.afterPut)
	tests := []struct {
		name string
		v    *Viewer
		rec  *TxRecord
		want string
	}{
		{"sender", c.viewer(c.bankAdmin), deploy, "allowed"},
		{"sender's org", clerkBefore, deploy, "allowed"},
		{"auditor", c.viewer(c.audit), deploy, "allowed"},
		{"other org, no event", c.viewer(c.servicerAdmin), deploy, "forbidden"},
		{"outsider", c.viewer(c.outsider), deploy, "forbidden"},
		{"anonymous", c.viewer(nil), deploy, "forbidden"},
		{"removed member", c.viewer(c.clerk), deploy, "forbidden"},
		{"in an event's audience", c.viewer(c.bankAdmin), put, "allowed"},
		{"sender of the put", c.viewer(c.servicerAdmin), put, "allowed"},
		{"sender's org, outside the audience", c.viewer(c.other), put, "allowed"},
		{"a loan's party in another org", c.viewer(c.servicerAdmin), create, "allowed"},
		{"not a party, other org", c.viewer(c.other), create, "forbidden"},
		{"registry call, other org", c.viewer(c.servicerAdmin), remove, "allowed"},
		{"registry call, outsider", c.viewer(c.outsider), remove, "forbidden"},
		{"nil record", c.viewer(c.bankAdmin), nil, "forbidden"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := allowed(c.l.CanReadTx(tc.v, tc.rec)); got != tc.want {
				t.Fatalf("%s, want %s", got, tc.want)
			}
		})
	}
}

func TestSeesEvent(t *testing.T) {
	c := newAccessChain(t)
	bank, servicer, audit, outsider := c.viewer(c.bankAdmin), c.viewer(c.servicerAdmin), c.viewer(c.audit), c.viewer(c.outsider)
	tests := []struct {
		name string
		ev   block.Event
		want map[*Viewer]bool
	}{
		{"empty audience: contract's org", block.Event{Contract: c.policy},
			map[*Viewer]bool{bank: false, servicer: true, audit: true, outsider: false}},
		{"empty audience of the bank's contract", block.Event{Contract: c.plain},
			map[*Viewer]bool{bank: true, servicer: false, audit: true, outsider: false}},
		{"org", block.Event{Contract: c.policy, Audience: []string{"org:bank"}},
			map[*Viewer]bool{bank: true, servicer: false, audit: true, outsider: false}},
		{"role", block.Event{Contract: c.policy, Audience: []string{"role:servicer"}},
			map[*Viewer]bool{bank: false, servicer: true, audit: true, outsider: false}},
		{"address", block.Event{Contract: c.policy, Audience: []string{hexAddr(c.addr(c.bankAdmin))}},
			map[*Viewer]bool{bank: true, servicer: false, audit: true, outsider: false}},
		{"members", block.Event{Contract: c.policy, Audience: []string{registry.AudienceMembers}},
			map[*Viewer]bool{bank: true, servicer: true, audit: true, outsider: false}},
		{"registry", block.Event{Contract: registry.Address, Audience: []string{registry.AudienceMembers}},
			map[*Viewer]bool{bank: true, servicer: true, audit: true, outsider: false}},
		{"registry, no audience", block.Event{Contract: registry.Address},
			map[*Viewer]bool{bank: true, servicer: true, audit: true, outsider: false}},
	}
	for _, tc := range tests {
		for v, want := range tc.want {
			if got := c.l.SeesEvent(v, &tc.ev); got != want {
				t.Errorf("%s: %s sees %v, want %v", tc.name, v.Address, got, want)
			}
		}
	}
	// An outsider named in the audience still reads nothing: reads are
	// for members.
	out := block.Event{Contract: c.policy, Audience: []string{hexAddr(c.addr(c.outsider))}}
	if c.l.SeesEvent(outsider, &out) || c.l.SeesEvent(nil, &out) || c.l.SeesEvent(bank, nil) {
		t.Fatal("a non-member, a nil viewer or a nil event passed")
	}
}

// QueryAs runs with the reader as caller and the registry of the query's
// height; Query runs with no caller.
func TestQueryAsCaller(t *testing.T) {
	c := newAccessChain(t)
	ctx := context.Background()
	type who struct {
		Caller common.Address `json:"caller"`
		Org    string         `json:"org"`
		Roles  []string       `json:"roles"`
		Member bool           `json:"member"`
	}
	ask := func(q *QueryResult, err error) who {
		t.Helper()
		if err != nil || q.Status != block.StatusOK {
			t.Fatalf("whoami: %+v %v", q, err)
		}
		var w who
		if err := json.Unmarshal(q.Return, &w); err != nil {
			t.Fatal(err)
		}
		return w
	}
	w := ask(c.l.QueryAs(ctx, c.addr(c.servicerAdmin), c.policy, "whoami", nil, c.afterRemove, 0))
	if w.Caller != c.addr(c.servicerAdmin) || !w.Member || w.Org != "servicer" || !containsString(w.Roles, "servicer") {
		t.Fatalf("servicer: %+v", w)
	}
	// The clerk is a member at afterPut, not at the tip.
	if w := ask(c.l.QueryAs(ctx, c.addr(c.clerk), c.policy, "whoami", nil, c.afterPut, 0)); !w.Member || w.Org != "bank" {
		t.Fatalf("clerk at %d: %+v", c.afterPut, w)
	}
	if w := ask(c.l.QueryAs(ctx, c.addr(c.clerk), c.policy, "whoami", nil, c.afterRemove, 0)); w.Member {
		t.Fatalf("clerk at the tip: %+v", w)
	}
	if w := ask(c.l.Query(ctx, c.policy, "whoami", nil, c.afterRemove, 0)); w.Caller != (common.Address{}) || w.Member {
		t.Fatalf("Query: %+v", w)
	}
	// The loan (Wasm) answers its parties and refuses others.
	args := []byte(`{"id":"L1"}`)
	if q, err := c.l.QueryAs(ctx, c.addr(c.servicerAdmin), c.loan, "get", args, c.afterRemove, 0); err != nil || !q.Status.OK() {
		t.Fatalf("loan servicer's get: %+v %v", q, err)
	}
	if q, err := c.l.QueryAs(ctx, c.addr(c.other), c.loan, "get", args, c.afterRemove, 0); err != nil || q.Status.OK() {
		t.Fatalf("non-party's get: %+v %v, want a refusal in the result", q, err)
	}
}

// Two ledgers holding the same chain, one of them built by replaying the
// other's blocks, decide every read the same way.
func TestAccessDecisionsDeterministic(t *testing.T) {
	c := newAccessChain(t)
	ctx := context.Background()
	replica := &accessChain{t: t, genesis: c.genesis, engine: &accessEngine{policy: &policyContract{}}}
	l2 := replica.open(t.TempDir())
	src := c.l.Blocks(1, c.afterRemove)
	for {
		sb, err := src.Next(ctx)
		if err != nil {
			break
		}
		r, err := l2.Reexecute(ctx, sb.Header, sb.Txs)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l2.CommitReexecution(r, sb.Header); err != nil {
			t.Fatalf("replay block %d: %v", sb.Header.Header.Height, err)
		}
	}
	if l2.Latest().Header.Hash() != c.l.Latest().Header.Hash() {
		t.Fatal("replica at another tip")
	}
	decisions := func(l *Ledger) []string {
		var out []string
		keys := []string{"public/a", "secret", "servicers/x", "trap", "loan/L1", "own/" + hexAddr(c.addr(c.bankAdmin))}
		txs := []common.Hash{c.loanDeploy, c.create, c.put, c.removeClerk}
		for _, k := range []*ecdsa.PrivateKey{c.bankAdmin, c.clerk, c.servicerAdmin, c.other, c.audit, c.outsider} {
			v, err := l.ViewerAt(c.addr(k))
			if err != nil {
				t.Fatal(err)
			}
			for h := uint64(0); h <= c.afterRemove; h++ {
				for _, contract := range []common.Address{c.loan, c.plain, c.policy, registry.Address} {
					for _, key := range keys {
						out = append(out, fmt.Sprintf("%s %d %s %s: %s", v.Address, h, contract, key, allowed(l.CanReadKey(ctx, v, contract, []byte(key), h))))
					}
				}
			}
			for _, h := range txs {
				r, err := l.Tx(h)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, fmt.Sprintf("%s tx %s: %s", v.Address, h, allowed(l.CanReadTx(v, r))))
			}
		}
		return out
	}
	a, b := decisions(c.l), decisions(l2)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("decision %d differs:\n%s\n%s", i, a[i], b[i])
		}
	}
}

// BenchmarkCanReadKey is the cost of a raw-state read's access check by
// a member: "cached" a repeated read (a cache hit); "uncached" a new key
// each time against the scripted policy (one read-only policy call that
// costs next to nothing itself, so the figure is the ledger's overhead
// around it); "wasm" a new key each time against the loan's read policy
// in Wasm (load the loan record, check the parties); "org rule" a
// contract without a policy; "event" is SeesEvent (an event stream's
// check per event and subscriber), "viewer" ViewerAt (once per request).
func BenchmarkCanReadKey(b *testing.B) {
	c := newAccessChain(b)
	ctx := context.Background()
	v := c.viewer(c.bankAdmin)
	h := c.afterRemove
	b.Run("cached", func(b *testing.B) {
		key := []byte("public/a")
		if err := c.l.CanReadKey(ctx, v, c.policy, key, h); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if err := c.l.CanReadKey(ctx, v, c.policy, key, h); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("uncached", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			if err := c.l.CanReadKey(ctx, v, c.policy, fmt.Appendf(nil, "public/%d", i), h); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("wasm", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			// Another id each time keeps the cache from answering; the
			// policy reads the (absent) loan and denies.
			if err := c.l.CanReadKey(ctx, v, c.loan, fmt.Appendf(nil, "loan/L%d", i+1), h); !errors.Is(err, ErrForbidden) {
				b.Fatal(err)
			}
		}
	})
	b.Run("org rule", func(b *testing.B) {
		key := []byte("rec/1")
		b.ReportAllocs()
		for b.Loop() {
			if err := c.l.CanReadKey(ctx, v, c.plain, key, h); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("event", func(b *testing.B) {
		ev := &block.Event{Contract: c.policy, Audience: []string{"org:servicer", "role:owner"}}
		b.ReportAllocs()
		for b.Loop() {
			if c.l.SeesEvent(v, ev) {
				b.Fatal("the bank sees the servicer's event")
			}
		}
	})
	b.Run("viewer", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.l.ViewerAt(v.Address); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// Decisions are safe to ask from many goroutines while blocks commit, and
// an answer about a committed height never changes meanwhile.
func TestAccessDecisionsConcurrentWithCommits(t *testing.T) {
	c := newAccessChain(t)
	ctx := context.Background()
	at := c.afterPut
	want := map[string]string{}
	for _, key := range []string{"public/a", "secret", "loan/L1"} {
		for _, contract := range []common.Address{c.policy, c.loan} {
			want[contract.Hex()+key] = allowed(c.l.CanReadKey(ctx, c.viewerAt(c.other, at), contract, []byte(key), at))
		}
	}
	stop := make(chan struct{})
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v := c.viewerAt(c.other, at)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				for _, key := range []string{"public/a", "secret", "loan/L1"} {
					for _, contract := range []common.Address{c.policy, c.loan} {
						if got := allowed(c.l.CanReadKey(ctx, v, contract, []byte(key), at)); got != want[contract.Hex()+key] {
							errs <- fmt.Errorf("goroutine %d: %s %s: %s, then %s", g, contract, key, want[contract.Hex()+key], got)
							return
						}
					}
				}
				// Fresh keys at the tip exercise the uncached path.
				tip := c.l.Latest().Header.Height
				_ = c.l.CanReadKey(ctx, v, c.policy, fmt.Appendf(nil, "public/%d/%d", g, i), tip)
				if _, err := c.l.ViewerAt(c.addr(c.outsider)); err != nil {
					errs <- err
					return
				}
				c.l.SeesEvent(v, &block.Event{Contract: c.policy})
			}
		}()
	}
	// The outsider joins and leaves, block after block.
	for i := range 6 {
		method, args := "addMember", map[string]any{"address": c.addr(c.outsider), "roles": []string{}}
		if i%2 == 1 {
			method, args = "removeMember", map[string]any{"address": c.addr(c.outsider)}
		}
		c.apply(ledgertest.CallTx(t, c.bankAdmin, uint64(4+i), registry.Address, method, args))
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// After an upgrade, reads at a height before it are decided by the code
// of that height: the plain contract had no read policy (the organisation
// rule), its upgrade has one; queries of the old height run the old code.
func TestAccessFollowsTheCodeOfTheHeight(t *testing.T) {
	c := newAccessChain(t)
	ctx := context.Background()
	before := c.afterRemove
	u, err := tx.SignUpgrade(tx.Upgrade{From: c.addr(c.bankAdmin), Nonce: 4, Contract: c.plain, GasLimit: block.DefaultBlockDeployGasLimit}, policyCode, ledgertest.ChainID, c.bankAdmin)
	if err != nil {
		t.Fatal(err)
	}
	c.apply(u)
	after := c.l.Latest().Header.Height
	info, err := c.l.Contract(c.plain)
	if err != nil || info.CodeHash != crypto.Keccak256Hash(policyCode) || info.Org != "bank" {
		t.Fatalf("upgraded contract: %+v %v", info, err)
	}
	for _, tc := range []struct {
		name   string
		k      *ecdsa.PrivateKey
		key    string
		height uint64
		want   string
	}{
		{"own org before, no policy", c.bankAdmin, "secret", before, "allowed"},
		{"own org after, the policy denies", c.bankAdmin, "secret", after, "forbidden"},
		{"other org before, no policy", c.servicerAdmin, "public/a", before, "forbidden"},
		{"other org after, the policy allows", c.servicerAdmin, "public/a", after, "allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := allowed(c.l.CanReadKey(ctx, c.viewer(tc.k), c.plain, []byte(tc.key), tc.height)); got != tc.want {
				t.Fatalf("%s, want %s", got, tc.want)
			}
		})
	}
	// whoami exists only in the new code.
	if q, err := c.l.QueryAs(ctx, c.addr(c.bankAdmin), c.plain, "whoami", nil, before, 0); err != nil || q.Status != runtime.CodeUnknownMethod {
		t.Fatalf("query before the upgrade: %+v %v, want the old code's unknown_method", q, err)
	}
	if q, err := c.l.QueryAs(ctx, c.addr(c.bankAdmin), c.plain, "whoami", nil, after, 0); err != nil || !q.Status.OK() {
		t.Fatalf("query after the upgrade: %+v %v", q, err)
	}
}
