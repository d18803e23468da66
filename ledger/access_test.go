package ledger

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/internal/ledgertest"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/runtime"
	"github.com/meshledger/meshledger/sdk/build/buildtest"
)

// These tests run the access rules on a real ledger with four kinds of
// reader: members of the contract's organisation, members of another,
// an auditor, an outsider; and three contracts: the loan (real Wasm,
// whose read policy lets a loan's parties read it), a scripted contract
// with a read policy that exercises every outcome, and a scripted
// contract without one.

// policyCode and plainCode are the scripted contracts' "code": the access
// engine recognises them, the ledger only hashes and stores them.
var (
	policyCode = []byte("\x00asm scripted read policy")
	plainCode  = []byte("\x00asm scripted, no read policy")
)

type contractFunc func(ctx context.Context, env runtime.Env, method string, args []byte, st runtime.State) (*runtime.Result, error)

func (f contractFunc) Call(ctx context.Context, env runtime.Env, method string, args []byte, st runtime.State) (*runtime.Result, error) {
	return f(ctx, env, method, args, st)
}

// plainContract has no read policy: its organisation's rule applies.
var plainContract = contractFunc(func(_ context.Context, _ runtime.Env, method string, _ []byte, _ runtime.State) (*runtime.Result, error) {
	switch method {
	case "mesh.methods":
		return &runtime.Result{Code: runtime.CodeOK, Return: []byte(`["init"]`), GasUsed: 100}, nil
	case "init":
		return &runtime.Result{Code: runtime.CodeOK, GasUsed: 100}, nil
	}
	return &runtime.Result{Code: runtime.CodeUnknownMethod, Message: "no method " + method}, nil
})

// policyContract is a contract with a read policy (MethodCanRead):
//   - "public/…" is readable by anyone the ledger asks about;
//   - "own/<0x lower-case address>" by that address only;
//   - "servicers/…" by members with the servicer role (ctx.HasRole);
//   - "trap" traps, "yes" answers a non-boolean, "gas" runs out of gas;
//   - anything else is denied.
//
// put writes a key and emits an event to the audience it is given;
// whoami returns who the caller is in the registry.
type policyContract struct {
	mu    sync.Mutex
	calls []runtime.Env // envs of the MethodCanRead calls
	args  [][]byte
}

func (p *policyContract) Call(ctx context.Context, env runtime.Env, method string, args []byte, _ runtime.State) (*runtime.Result, error) {
	ok := func(ret string) (*runtime.Result, error) {
		return &runtime.Result{Code: runtime.CodeOK, Return: []byte(ret), GasUsed: 100}, nil
	}
	switch method {
	case "mesh.methods":
		return ok(`["init","mesh.canRead","put","whoami"]`)
	case "init":
		return ok("")
	case "put":
		var a struct {
			Key, Value string
			Audience   []string
		}
		if err := json.Unmarshal(args, &a); err != nil {
			return &runtime.Result{Code: runtime.CodeBadArgs, Message: err.Error(), GasUsed: 100}, nil
		}
		return &runtime.Result{
			Code: runtime.CodeOK, GasUsed: 100,
			Writes: []runtime.Write{{Key: []byte(a.Key), Value: []byte(a.Value)}},
			Events: []runtime.Event{{Name: "put", Data: []byte(`{}`), Audience: a.Audience}},
		}, nil
	case "whoami":
		var who struct {
			Caller common.Address `json:"caller"`
			Org    string         `json:"org"`
			Roles  []string       `json:"roles"`
			Member bool           `json:"member"`
		}
		who.Caller = common.Address(env.Caller)
		if env.Directory != nil {
			pt, found, err := env.Directory.Participant(env.Caller)
			if err != nil {
				return nil, err
			}
			who.Org, who.Roles, who.Member = pt.Org, pt.Roles, found
		}
		b, _ := json.Marshal(who)
		return ok(string(b))
	case MethodCanRead:
		if err := ctx.Err(); err != nil {
			return nil, err // a host failure: the call did not run
		}
		p.mu.Lock()
		p.calls = append(p.calls, env)
		p.args = append(p.args, bytes.Clone(args))
		p.mu.Unlock()
		key := string(args)
		caller := "0x" + fmt.Sprintf("%x", env.Caller[:])
		switch {
		case strings.HasPrefix(key, "public/"):
			return ok("true")
		case strings.HasPrefix(key, "own/"):
			return ok(fmt.Sprint(key == "own/"+caller))
		case strings.HasPrefix(key, "servicers/"):
			pt, found, err := env.Directory.Participant(env.Caller)
			if err != nil {
				return nil, err
			}
			return ok(fmt.Sprint(found && containsString(pt.Roles, "servicer")))
		case key == "trap":
			return &runtime.Result{Code: runtime.CodeTrap, Message: "unreachable", GasUsed: 100}, nil
		case key == "yes":
			return ok(`"yes"`)
		case key == "gas":
			return &runtime.Result{Code: runtime.CodeOutOfGas, GasUsed: env.GasLimit}, nil
		}
		return ok("false")
	}
	return &runtime.Result{Code: runtime.CodeUnknownMethod, Message: "no method " + method}, nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (p *policyContract) callCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.calls)
}

// accessEngine runs the scripted contracts and everything else in the
// shared Wasm runtime.
type accessEngine struct{ policy *policyContract }

func (e *accessEngine) Load(ctx context.Context, code []byte) (Contract, error) {
	switch {
	case bytes.Equal(code, policyCode):
		return e.policy, nil
	case bytes.Equal(code, plainCode):
		return plainContract, nil
	}
	return sharedEngine.Load(ctx, code)
}

func (e *accessEngine) LoadCached(ctx context.Context, h common.Hash) (Contract, bool, error) {
	switch h {
	case crypto.Keccak256Hash(policyCode):
		return e.policy, true, nil
	case crypto.Keccak256Hash(plainCode):
		return plainContract, true, nil
	}
	return sharedEngine.LoadCached(ctx, h)
}

// accessChain is a network of three organisations: bank (admin and
// deployer bankAdmin, plain member clerk), servicer (servicerAdmin, also
// holding the contract role servicer, and plain member other) and audit
// (auditor, with the network role auditor); and an outsider.
type accessChain struct {
	t                                      testing.TB
	l                                      *Ledger
	genesis                                *block.Genesis
	engine                                 *accessEngine
	proposer                               ledgertest.KeySigner
	bankAdmin, clerk, servicerAdmin, audit *ecdsa.PrivateKey
	other, outsider                        *ecdsa.PrivateKey
	loan, policy, plain                    common.Address
	loanDeploy, create, put, removeClerk   common.Hash
	// heights: contracts deployed (afterDeploy), the loan booked and the
	// put committed (afterPut), the clerk removed (afterRemove, the tip).
	afterDeploy, afterPut, afterRemove uint64
}

func accessGenesis(bank, clerk, servicer, other, audit common.Address) *block.Genesis {
	policy := registry.DefaultPolicy()
	policy.DeployPolicy = registry.DeployOpen
	return &block.Genesis{
		ChainID: ledgertest.ChainID, TimeMs: ledgertest.GenesisTimeMs, BlockGasLimit: block.DefaultBlockGasLimit,
		Orgs: []registry.GenesisOrg{
			{ID: "bank", Name: "Bank", Members: []registry.GenesisMember{
				{Address: bank, Roles: []string{registry.RoleAdmin, registry.RoleDeployer}},
				{Address: clerk, Roles: []string{}},
			}},
			{ID: "servicer", Name: "Servicer", Members: []registry.GenesisMember{
				{Address: servicer, Roles: []string{registry.RoleAdmin, registry.RoleDeployer, "servicer"}},
				{Address: other, Roles: []string{}},
			}},
			{ID: "audit", Name: "Audit", Members: []registry.GenesisMember{
				{Address: audit, Roles: []string{registry.RoleAdmin, registry.RoleAuditor}},
			}},
		},
		Policy: &policy,
	}
}

// newAccessChain builds the network and its history: the loan and the
// plain contract deployed by the bank, the policy contract by the
// servicer; the bank books loan L1 (borrower the clerk, servicer the
// servicer's admin) and the servicer puts a key with an event for the
// bank; the bank removes its clerk.
func newAccessChain(t testing.TB) *accessChain {
	t.Helper()
	c := &accessChain{
		t: t, proposer: ledgertest.KeySigner{Key: ledgertest.MustKey(t, 9)},
		bankAdmin: ledgertest.MustKey(t, 1), clerk: ledgertest.MustKey(t, 2),
		servicerAdmin: ledgertest.MustKey(t, 3), audit: ledgertest.MustKey(t, 4),
		other: ledgertest.MustKey(t, 6), outsider: ledgertest.MustKey(t, 5),
		engine: &accessEngine{policy: &policyContract{}},
	}
	c.genesis = accessGenesis(c.addr(c.bankAdmin), c.addr(c.clerk), c.addr(c.servicerAdmin), c.addr(c.other), c.addr(c.audit))
	c.l = c.open(t.TempDir())

	loanTx := ledgertest.DeployTx(t, c.bankAdmin, "loan", buildtest.Wasm(t, "contracts/loan"), 0, block.DefaultBlockDeployGasLimit, true)
	plainTx := ledgertest.DeployTx(t, c.bankAdmin, "plain", plainCode, 1, block.DefaultBlockDeployGasLimit, true)
	policyTx := ledgertest.DeployTx(t, c.servicerAdmin, "policy", policyCode, 0, block.DefaultBlockDeployGasLimit, true)
	rcs := c.apply(loanTx, plainTx, policyTx)
	c.loan, c.plain, c.policy, c.loanDeploy = rcs[0].ContractAddress, rcs[1].ContractAddress, rcs[2].ContractAddress, loanTx.Hash()
	c.afterDeploy = c.l.Latest().Header.Height

	create := ledgertest.CallTx(t, c.bankAdmin, 2, c.loan, "create", ledgertest.LoanCreateArgs("L1", c.addr(c.clerk), c.addr(c.servicerAdmin)))
	put := ledgertest.CallTx(t, c.servicerAdmin, 1, c.policy, "put",
		map[string]any{"key": "public/a", "value": "1", "audience": []string{"org:bank"}})
	c.apply(create, put)
	c.create, c.put, c.afterPut = create.Hash(), put.Hash(), c.l.Latest().Header.Height

	remove := ledgertest.CallTx(t, c.bankAdmin, 3, registry.Address, "removeMember", map[string]any{"address": c.addr(c.clerk)})
	c.apply(remove)
	c.removeClerk, c.afterRemove = remove.Hash(), c.l.Latest().Header.Height
	return c
}

func (c *accessChain) open(dir string) *Ledger {
	c.t.Helper()
	l, err := Open(context.Background(), Config{Dir: dir, Genesis: c.genesis, Engine: c.engine})
	if err != nil {
		c.t.Fatalf("open: %v", err)
	}
	c.t.Cleanup(func() { l.Close(context.Background()) })
	return l
}

func (c *accessChain) addr(k *ecdsa.PrivateKey) common.Address { return ledgertest.AddrOf(k) }

// apply commits txs in one block; each must succeed.
func (c *accessChain) apply(txs ...*tx.Tx) []*block.Receipt {
	c.t.Helper()
	p := Proposal{TimeMs: c.l.Latest().Header.TimeMs + ledgertest.BlockStepMs, Proposer: c.proposer.Address(), Txs: txs}
	a, err := c.l.ApplyBlock(context.Background(), p, c.proposer)
	if err != nil {
		c.t.Fatalf("apply: %v", err)
	}
	if len(a.Rejected) != 0 {
		c.t.Fatalf("rejected: %+v", a.Rejected)
	}
	for _, rc := range a.Receipts {
		if rc.Status != block.StatusOK {
			c.t.Fatalf("tx %s: %s: %s", rc.TxHash, rc.Status, rc.Message)
		}
	}
	return a.Receipts
}

// viewer is k's viewer at the tip (nil key: anonymous).
func (c *accessChain) viewer(k *ecdsa.PrivateKey) *Viewer {
	c.t.Helper()
	var a common.Address
	if k != nil {
		a = c.addr(k)
	}
	v, err := c.l.ViewerAt(a)
	if err != nil {
		c.t.Fatalf("ViewerAt %s: %v", a, err)
	}
	return v
}

// viewerAt is k's viewer with its member record at height (the clerk was
// a member before afterRemove).
func (c *accessChain) viewerAt(k *ecdsa.PrivateKey, height uint64) *Viewer {
	c.t.Helper()
	reg, _, err := c.l.RegistryAt(height)
	if err != nil {
		c.t.Fatal(err)
	}
	m, err := memberOf(reg, c.addr(k))
	if err != nil {
		c.t.Fatal(err)
	}
	return &Viewer{Address: c.addr(k), Member: m}
}

func hexAddr(a common.Address) string { return "0x" + fmt.Sprintf("%x", a.Bytes()) }

func allowed(err error) string {
	switch {
	case err == nil:
		return "allowed"
	case errors.Is(err, ErrForbidden):
		return "forbidden"
	default:
		return "error: " + err.Error()
	}
}

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
