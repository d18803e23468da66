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
