package ledger

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/internal/ledgertest"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/runtime"
)

// Raw-read decisions (CanReadKey), viewers and the registry at a height,
// on the network of access_harness_test.go.

func TestViewerAt(t *testing.T) {
	c := newAccessChain(t)
	if v := c.viewer(nil); v.Address != (common.Address{}) || v.Member != nil {
		t.Fatalf("anonymous viewer %+v", v)
	}
	if v := c.viewer(c.bankAdmin); v.Member == nil || v.Member.Org != "bank" || v.Auditor() {
		t.Fatalf("bank admin %+v", v)
	}
	if v := c.viewer(c.audit); v.Member == nil || !v.Auditor() {
		t.Fatalf("auditor %+v", v)
	}
	// The clerk was removed at the tip; the outsider never joined.
	for _, k := range []*ecdsa.PrivateKey{c.clerk, c.outsider} {
		if v := c.viewer(k); v.Address != c.addr(k) || v.Member != nil {
			t.Fatalf("viewer %s: %+v, want no member record", c.addr(k), v)
		}
	}
	var nilViewer *Viewer
	if nilViewer.Auditor() {
		t.Fatal("a nil viewer is an auditor")
	}
}

// RegistryAt reads the registry of the height asked, not the tip's.
func TestRegistryAtHeight(t *testing.T) {
	c := newAccessChain(t)
	for _, tc := range []struct {
		height uint64
		member bool
	}{{0, true}, {c.afterPut, true}, {c.afterRemove, false}} {
		reg, sh, err := c.l.RegistryAt(tc.height)
		if err != nil {
			t.Fatal(err)
		}
		if sh.Header.Height != tc.height {
			t.Fatalf("header %d, want %d", sh.Header.Height, tc.height)
		}
		m, err := memberOf(reg, c.addr(c.clerk))
		if err != nil {
			t.Fatal(err)
		}
		if (m != nil) != tc.member {
			t.Fatalf("height %d: clerk member %v, want %v", tc.height, m, tc.member)
		}
		orgs, err := registry.Orgs(reg)
		if err != nil || len(orgs) != 3 {
			t.Fatalf("height %d: orgs %v %v", tc.height, orgs, err)
		}
	}
	if _, _, err := c.l.RegistryAt(c.afterRemove + 1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("above the tip: %v, want ErrNotFound", err)
	}
}

// A registry reader made at the tip keeps reading that block after
// another commits.
func TestRegistryAtTipSurvivesCommit(t *testing.T) {
	c := newAccessChain(t)
	reg, _, err := c.l.RegistryAt(c.afterRemove)
	if err != nil {
		t.Fatal(err)
	}
	add := ledgertest.CallTx(t, c.bankAdmin, 4, registry.Address, "addMember",
		map[string]any{"address": c.addr(c.outsider), "roles": []string{}})
	c.apply(add)
	if m, err := memberOf(reg, c.addr(c.outsider)); err != nil || m != nil {
		t.Fatalf("reader of height %d sees the next block's member: %+v %v", c.afterRemove, m, err)
	}
	var members []string
	if err := reg.Iterate([]byte(registry.KeyMemberPrefix), nil, func(k, _ []byte) bool {
		members = append(members, string(k))
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if len(members) != 4 { // bank admin, servicer admin, other, auditor: not the clerk, not the newcomer
		t.Fatalf("members at %d: %v", c.afterRemove, members)
	}
	if v := c.viewer(c.outsider); v.Member == nil || v.Member.Org != "bank" {
		t.Fatalf("newcomer at the new tip: %+v", v)
	}
}

// Without a read policy, a contract's keys are read by its organisation
// and auditors; nobody outside the network reads anything.
func TestCanReadKeyOrganisationRule(t *testing.T) {
	c := newAccessChain(t)
	ctx := context.Background()
	at := c.afterPut
	tests := []struct {
		name string
		v    *Viewer
		want string
	}{
		{"deployer's org admin", c.viewerAt(c.bankAdmin, at), "allowed"},
		{"deployer's org member", c.viewerAt(c.clerk, at), "allowed"},
		{"other org", c.viewerAt(c.servicerAdmin, at), "forbidden"},
		{"auditor", c.viewerAt(c.audit, at), "allowed"},
		{"outsider", c.viewerAt(c.outsider, at), "forbidden"},
		{"anonymous", c.viewer(nil), "forbidden"},
		{"nil viewer", nil, "forbidden"},
		{"removed member", c.viewer(c.clerk), "forbidden"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := c.l.CanReadKey(ctx, tc.v, c.plain, []byte("rec/1"), at)
			if got := allowed(err); got != tc.want {
				t.Fatalf("%s, want %s", got, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "rec/1") {
				t.Fatalf("refusal %q names the key", err)
			}
		})
	}
	if c.l.ReadPolicyCalls() != 0 {
		t.Fatalf("%d policy calls for a contract without a policy", c.l.ReadPolicyCalls())
	}
}

// The registry and the system namespace are read by every member, by
// nobody else.
func TestCanReadKeySystemNamespaces(t *testing.T) {
	c := newAccessChain(t)
	ctx := context.Background()
	for _, contract := range []common.Address{registry.Address, SystemAddress} {
		for _, tc := range []struct {
			k    *ecdsa.PrivateKey
			want string
		}{{c.bankAdmin, "allowed"}, {c.servicerAdmin, "allowed"}, {c.other, "allowed"}, {c.audit, "allowed"}, {c.outsider, "forbidden"}, {c.clerk, "forbidden"}, {nil, "forbidden"}} {
			if got := allowed(c.l.CanReadKey(ctx, c.viewer(tc.k), contract, []byte("policy"), c.afterRemove)); got != tc.want {
				t.Errorf("%s reading %s: %s, want %s", c.viewer(tc.k).Address, contract, got, tc.want)
			}
		}
	}
}

func TestCanReadKeyErrors(t *testing.T) {
	c := newAccessChain(t)
	ctx := context.Background()
	v := c.viewer(c.bankAdmin)
	if err := c.l.CanReadKey(ctx, v, common.HexToAddress("0xdead"), []byte("k"), c.afterRemove); !errors.Is(err, ErrUnknownContract) {
		t.Fatalf("unknown contract: %v, want ErrUnknownContract", err)
	}
	if err := c.l.CanReadKey(ctx, v, c.plain, []byte("k"), c.afterRemove+1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("height above the tip: %v, want ErrNotFound", err)
	}
	// An outsider learns nothing, not even that the height is missing.
	if err := c.l.CanReadKey(ctx, c.viewer(c.outsider), c.plain, []byte("k"), c.afterRemove+1); !errors.Is(err, ErrForbidden) {
		t.Fatalf("outsider above the tip: %v, want ErrForbidden", err)
	}
	// Before its deploy a contract has no policy to ask: the organisation
	// rule answers, and no call is made.
	if err := c.l.CanReadKey(ctx, c.viewerAt(c.servicerAdmin, 0), c.policy, []byte("secret"), 0); err != nil {
		t.Fatalf("servicer before the deploy of its contract: %v", err)
	}
	if err := c.l.CanReadKey(ctx, c.viewerAt(c.bankAdmin, 0), c.policy, []byte("public/a"), 0); !errors.Is(err, ErrForbidden) {
		t.Fatalf("bank before the deploy of the servicer's contract: %v", err)
	}
	if n := c.engine.policy.callCount(); n != 0 {
		t.Fatalf("%d policy calls below the deploy", n)
	}
	// A host failure is no decision: an error that is not ErrForbidden,
	// and nothing is cached.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	err := c.l.CanReadKey(cancelled, v, c.policy, []byte("public/b"), c.afterRemove)
	if err == nil || errors.Is(err, ErrForbidden) {
		t.Fatalf("cancelled policy call: %v, want a host failure", err)
	}
	if err := c.l.CanReadKey(ctx, v, c.policy, []byte("public/b"), c.afterRemove); err != nil {
		t.Fatalf("after a host failure: %v, want the policy's answer", err)
	}
	// Closed.
	if err := c.l.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.l.CanReadKey(ctx, v, c.plain, []byte("k"), 1); !errors.Is(err, ErrClosed) {
		t.Fatalf("closed: %v, want ErrClosed", err)
	}
	if _, err := c.l.ViewerAt(v.Address); !errors.Is(err, ErrClosed) {
		t.Fatalf("ViewerAt closed: %v, want ErrClosed", err)
	}
}

// With a read policy the contract decides for every reader but auditors,
// its own organisation included; any failure denies.
func TestCanReadKeyReadPolicy(t *testing.T) {
	c := newAccessChain(t)
	ctx := context.Background()
	at := c.afterPut
	bank, clerk, servicer, audit := c.viewerAt(c.bankAdmin, at), c.viewerAt(c.clerk, at), c.viewerAt(c.servicerAdmin, at), c.viewerAt(c.audit, at)
	own := func(k *ecdsa.PrivateKey) string { return "own/" + hexAddr(c.addr(k)) }
	tests := []struct {
		name string
		v    *Viewer
		key  string
		want string
	}{
		{"public to another org", clerk, "public/a", "allowed"},
		{"own key", bank, own(c.bankAdmin), "allowed"},
		{"someone else's own key", clerk, own(c.bankAdmin), "forbidden"},
		{"role granted", servicer, "servicers/x", "allowed"},
		{"role missing", bank, "servicers/x", "forbidden"},
		{"policy denies the contract's own org", servicer, "secret", "forbidden"},
		{"trap denies", servicer, "trap", "forbidden"},
		{"non-boolean denies", servicer, "yes", "forbidden"},
		{"out of gas denies", servicer, "gas", "forbidden"},
		{"auditor without asking", audit, "secret", "allowed"},
		{"outsider never asked", c.viewer(c.outsider), "public/a", "forbidden"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := allowed(c.l.CanReadKey(ctx, tc.v, c.policy, []byte(tc.key), at)); got != tc.want {
				t.Fatalf("%s, want %s", got, tc.want)
			}
		})
	}
	// Asked read-only, as the reader, with the raw key, under the cap;
	// never for auditors or outsiders.
	p := c.engine.policy
	if p.callCount() != len(tests)-2 {
		t.Fatalf("%d policy calls, want %d", p.callCount(), len(tests)-2)
	}
	for i, env := range p.calls {
		if !env.ReadOnly || env.GasLimit != canReadGas || env.Height != at || env.Contract != runtime.Address(c.policy) {
			t.Fatalf("call %d env %+v", i, env)
		}
		if common.Address(env.Caller) == c.addr(c.audit) || common.Address(env.Caller) == c.addr(c.outsider) {
			t.Fatalf("policy asked about %x", env.Caller)
		}
	}
	if string(p.args[0]) != "public/a" || common.Address(p.calls[0].Caller) != c.addr(c.clerk) {
		t.Fatalf("first call: caller %x args %q", p.calls[0].Caller, p.args[0])
	}
}

// The loan's read policy, in Wasm: a loan's owner, borrower and servicer
// read it whatever their organisation; other members, even of the
// loan's organisation, do not; auditors do without asking.
func TestCanReadKeyWasmReadPolicy(t *testing.T) {
	c := newAccessChain(t)
	ctx := context.Background()
	at := c.afterPut
	for _, tc := range []struct {
		name string
		k    *ecdsa.PrivateKey
		key  string
		want string
	}{
		{"owner", c.bankAdmin, "loan/L1", "allowed"},
		{"borrower", c.clerk, "loan/L1", "allowed"},
		{"servicer of another org", c.servicerAdmin, "loan/L1", "allowed"},
		{"member not a party", c.other, "loan/L1", "forbidden"},
		{"auditor", c.audit, "loan/L1", "allowed"},
		{"outsider", c.outsider, "loan/L1", "forbidden"},
		{"missing loan", c.bankAdmin, "loan/L2", "forbidden"},
		{"key outside the policy's prefix", c.bankAdmin, "other", "forbidden"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := allowed(c.l.CanReadKey(ctx, c.viewerAt(tc.k, at), c.loan, []byte(tc.key), at)); got != tc.want {
				t.Fatalf("%s, want %s", got, tc.want)
			}
		})
	}
	// Before the loan was booked, its owner reads nothing of it.
	if err := c.l.CanReadKey(ctx, c.viewerAt(c.bankAdmin, c.afterDeploy), c.loan, []byte("loan/L1"), c.afterDeploy); !errors.Is(err, ErrForbidden) {
		t.Fatalf("owner before the loan: %v, want forbidden", err)
	}
}

// A repeated read by one reader of one key at one height costs no call;
// any change of height, reader or key does.
func TestCanReadKeyCachesAnswers(t *testing.T) {
	c := newAccessChain(t)
	ctx := context.Background()
	bank, servicer := c.viewer(c.bankAdmin), c.viewer(c.servicerAdmin)
	read := func(v *Viewer, key string, height uint64) {
		t.Helper()
		_ = c.l.CanReadKey(ctx, v, c.policy, []byte(key), height)
	}
	calls := func() uint64 { return c.l.ReadPolicyCalls() }
	read(bank, "public/a", c.afterPut)
	if calls() != 1 {
		t.Fatalf("first read: %d calls", calls())
	}
	read(bank, "public/a", c.afterPut)
	read(bank, "public/a", c.afterPut)
	if calls() != 1 || c.engine.policy.callCount() != 1 {
		t.Fatalf("repeated read: %d calls (%d reached the contract), want 1", calls(), c.engine.policy.callCount())
	}
	// Denials are cached as well.
	read(bank, "secret", c.afterPut)
	read(bank, "secret", c.afterPut)
	if calls() != 2 {
		t.Fatalf("repeated denial: %d calls, want 2", calls())
	}
	// A key longer than any a contract can store is answered, not
	// remembered.
	long := "public/" + strings.Repeat("x", maxCachedKey)
	before := calls()
	read(bank, long, c.afterPut)
	read(bank, long, c.afterPut)
	if calls() != before+2 {
		t.Fatalf("a %d-byte key: %d calls for two reads, want 2", len(long), calls()-before)
	}
	for _, step := range []struct {
		v      *Viewer
		key    string
		height uint64
	}{{bank, "public/a", c.afterRemove}, {servicer, "public/a", c.afterPut}, {bank, "public/b", c.afterPut}} {
		before := calls()
		read(step.v, step.key, step.height)
		if calls() != before+1 {
			t.Fatalf("read %s %q at %d answered from another entry", step.v.Address, step.key, step.height)
		}
	}
}
