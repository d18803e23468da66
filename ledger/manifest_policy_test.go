package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/internal/ledgertest"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/runtime"
	"github.com/meshledger/meshledger/status"
)

// wantNoManifest is what a refusal of code without a manifest says.
const wantNoManifest = "code carries no manifest: build it with sdk/build or make contracts"

// manifestOptional returns a copy of g whose policy does not require
// manifests, for tests of code that has none (hand-written modules,
// scripted engines).
func manifestOptional(g *block.Genesis) *block.Genesis {
	c := g.Clone()
	p := c.EffectivePolicy()
	p.RequireManifest = false
	c.Policy = &p
	return c
}

// newEnvManifestOptional is newEnv on a chain whose policy does not
// require manifests.
func newEnvManifestOptional(tb testing.TB) *env {
	tb.Helper()
	e := newEnv(tb)
	if err := e.l.Close(context.Background()); err != nil {
		tb.Fatal(err)
	}
	// A new directory: a store keeps the genesis it was made with.
	e.dir, e.genesis = tb.TempDir(), manifestOptional(e.genesis)
	e.l = e.open(Config{Dir: e.dir})
	return e
}

// setRequireManifest is a setPolicy proposal by the development
// organisation's admin (the only organisation: executed at once) that
// keeps the policy but for RequireManifest.
func (e *env) setRequireManifest(on bool) *tx.Tx {
	e.tb.Helper()
	p, err := registry.LookupPolicy(e.l.state.ContractReader(registry.Address))
	if err != nil {
		e.tb.Fatal(err)
	}
	np := *p
	np.RequireManifest = on
	params, err := json.Marshal(registry.SetPolicyParams{Policy: np})
	if err != nil {
		e.tb.Fatal(err)
	}
	return e.registryTx(e.owner, registry.MethodPropose, registry.ProposeArgs{Kind: registry.KindSetPolicy, Params: params})
}

func (e *env) requiresManifest() bool {
	e.tb.Helper()
	p, err := registry.LookupPolicy(e.l.state.ContractReader(registry.Address))
	if err != nil {
		e.tb.Fatal(err)
	}
	return p.RequireManifest
}

// wantNoManifestReceipt checks a deploy's or upgrade's receipt refused
// code without a manifest: bad_manifest, the intrinsic deploy gas of code
// charged (as for a bad manifest: nothing of init or migrate ran), no
// contract, no writes, no events.
func wantNoManifestReceipt(tb testing.TB, rc *block.Receipt, code []byte) {
	tb.Helper()
	intrinsic, err := runtime.DeployGas(code)
	if err != nil {
		tb.Fatal(err)
	}
	if rc.Status != status.BadManifest || !strings.Contains(rc.Message, wantNoManifest) {
		tb.Fatalf("receipt %s %q, want bad_manifest saying %q", rc.Status, rc.Message, wantNoManifest)
	}
	if rc.GasUsed != intrinsic || rc.ContractAddress != (common.Address{}) || len(rc.Writes) != 0 || len(rc.Events) != 0 {
		tb.Fatalf("receipt %+v: want %d gas (intrinsic) and no contract, writes or events", *rc, intrinsic)
	}
}

// TestRequireManifestDeploy: under a policy requiring manifests, a deploy
// of code without one is refused at admission (ErrBadManifest, which the
// API answers 422 bad_manifest) and, included in a block anyway, fails
// bad_manifest charging what a bad manifest is charged; without the
// requirement the same deploy succeeds.
func TestRequireManifestDeploy(t *testing.T) {
	if raceEnabled {
		t.Skip("sequential: run without -race (about 10 times slower under it)")
	}
	t.Run("required", func(t *testing.T) {
		e := newEnv(t)
		if !e.requiresManifest() {
			t.Fatal("the development genesis does not require manifests")
		}
		code := stripManifest(t, e.loanCode())
		d := ledgertest.DeployTx(t, e.owner, "loan", code, e.nonce(e.owner), block.DefaultBlockDeployGasLimit, true)
		if err := e.l.CheckTx(d); !errors.Is(err, ErrBadManifest) || !strings.Contains(err.Error(), wantNoManifest) {
			t.Fatalf("CheckTx = %v, want ErrBadManifest saying %q", err, wantNoManifest)
		}
		a := e.apply(d)
		if len(a.Rejected) != 0 {
			t.Fatalf("rejected %v", a.Rejected)
		}
		wantNoManifestReceipt(t, a.Receipts[0], code)
		if cs, err := e.l.Contracts(); err != nil || len(cs) != 0 {
			t.Fatalf("contracts after a refused deploy: %v, %v", cs, err)
		}
		// The refused deploy stored its code (export and replay need it);
		// naming it by hash is refused alike.
		byHash := ledgertest.DeployTx(t, e.owner, "loan", code, e.nonce(e.owner), block.DefaultBlockDeployGasLimit, false)
		if err := e.l.CheckTx(byHash); !errors.Is(err, ErrBadManifest) {
			t.Fatalf("CheckTx by hash = %v, want ErrBadManifest", err)
		}
		// The same gas as a deploy whose manifest is bad: its intrinsic gas.
		bad := e.withManifest(`{"version":2,"methods":{}}`)
		a = e.apply(ledgertest.DeployTx(t, e.owner, "loan", bad, e.next(e.owner), block.DefaultBlockDeployGasLimit, true))
		if need, _ := runtime.DeployGas(bad); a.Receipts[0].Status != status.BadManifest || a.Receipts[0].GasUsed != need {
			t.Fatalf("bad manifest: %+v, want bad_manifest using %d gas", *a.Receipts[0], need)
		}
	})
	t.Run("not required", func(t *testing.T) {
		e := newEnvManifestOptional(t)
		code := stripManifest(t, e.loanCode())
		d := ledgertest.DeployTx(t, e.owner, "loan", code, e.nonce(e.owner), block.DefaultBlockDeployGasLimit, true)
		if err := e.l.CheckTx(d); err != nil {
			t.Fatalf("CheckTx = %v", err)
		}
		if rc := e.okReceipt(d); rc.ContractAddress == (common.Address{}) {
			t.Fatalf("deploy: %+v", *rc)
		}
	})
}

// TestRequireManifestUpgrade: an upgrade to code without a manifest is
// refused like a deploy, and the contract keeps its code and manifest;
// without the requirement it goes through.
func TestRequireManifestUpgrade(t *testing.T) {
	if raceEnabled {
		t.Skip("sequential: run without -race (about 10 times slower under it)")
	}
	for _, required := range []bool{true, false} {
		name := map[bool]string{true: "required", false: "not required"}[required]
		t.Run(name, func(t *testing.T) {
			newChain := newEnv
			if !required {
				newChain = newEnvManifestOptional
			}
			e := newChain(t)
			e.setup()
			before := e.contractInfo(e.loan)
			code := stripManifest(t, e.loanCode())
			u := e.upgradeTx(e.owner, e.loan, code, nil)
			err := e.l.CheckTx(u)
			rc := e.one(u)
			after := e.contractInfo(e.loan)
			if !required {
				if err != nil || !rc.OK() || after.ManifestHash != (common.Hash{}) || after.CodeHash == before.CodeHash {
					t.Fatalf("CheckTx %v, receipt %s %q, record %+v", err, rc.Status, rc.Message, after)
				}
				return
			}
			if !errors.Is(err, ErrBadManifest) || !strings.Contains(err.Error(), wantNoManifest) {
				t.Fatalf("CheckTx = %v, want ErrBadManifest saying %q", err, wantNoManifest)
			}
			wantNoManifestReceipt(t, rc, code)
			if after.CodeHash != before.CodeHash || after.ManifestHash != before.ManifestHash || len(after.Versions) != len(before.Versions) {
				t.Fatalf("a refused upgrade changed the contract: %+v, was %+v", after, before)
			}
		})
	}
}

// TestRequireManifestFollowsPolicy: the requirement is read from the
// block's registry state, so a deploy admitted while it was off fails in
// a block that turns it on first, and a later setPolicy turns it off.
func TestRequireManifestFollowsPolicy(t *testing.T) {
	if raceEnabled {
		t.Skip("sequential: run without -race (about 10 times slower under it)")
	}
	e := newEnv(t)
	code := stripManifest(t, e.loanCode())
	e.okReceipt(e.setRequireManifest(false))
	if e.requiresManifest() {
		t.Fatal("setPolicy did not turn the requirement off")
	}
	d := ledgertest.DeployTx(t, e.owner, "loan", code, e.next(e.owner)+1, block.DefaultBlockDeployGasLimit, true)
	clear(e.issued)
	on := e.setRequireManifest(true)
	if err := e.l.CheckTx(d); err != nil {
		t.Fatalf("CheckTx while not required = %v", err)
	}
	a := e.apply(on, d)
	if len(a.Receipts) != 2 || !a.Receipts[0].OK() {
		t.Fatalf("setPolicy in the block: %+v (rejected %v)", a.Receipts, a.Rejected)
	}
	wantNoManifestReceipt(t, a.Receipts[1], code)
	if !e.requiresManifest() {
		t.Fatal("setPolicy did not turn the requirement on")
	}
	e.okReceipt(e.setRequireManifest(false))
	again := ledgertest.DeployTx(t, e.owner, "loan", code, e.next(e.owner), block.DefaultBlockDeployGasLimit, false)
	if err := e.l.CheckTx(again); err != nil {
		t.Fatalf("CheckTx after turning it off = %v", err)
	}
	if rc := e.okReceipt(again); rc.ContractAddress == (common.Address{}) {
		t.Fatalf("deploy after turning it off: %+v", *rc)
	}
}

// TestRequireManifestGenesis: the development genesis requires manifests
// and says so through a JSON round trip; a genesis file without the field
// does not, and hashes (config and genesis header) as it did before the
// field existed.
func TestRequireManifestGenesis(t *testing.T) {
	dev := ledgertest.Genesis(ledgertest.AddrOf(ledgertest.MustKey(t, 1)), "servicer")
	raw, err := json.Marshal(dev)
	if err != nil {
		t.Fatal(err)
	}
	back, err := block.ParseGenesis(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !back.EffectivePolicy().RequireManifest || back.Hash() != dev.Hash() {
		t.Fatalf("round trip: policy %+v, hash %s, want %s", back.EffectivePolicy(), back.Hash(), dev.Hash())
	}
	if manifestOptional(dev).Hash() == dev.Hash() {
		t.Fatal("the requirement is not in the genesis hash")
	}

	// Computed before Policy had the field: a network made then keeps its
	// genesis.
	old, err := block.ParseGenesis([]byte(`{"chain_id":5,"time_ms":1000,
		"orgs":[{"id":"dev","name":"Development","members":[
			{"address":"0x0000000000000000000000000000000000000001","roles":["admin","auditor","deployer"]}]}],
		"policy":{"threshold":0,"deployPolicy":"open","proposalTtlMs":604800000,"allowNonMembers":false}}`))
	if err != nil {
		t.Fatal(err)
	}
	if old.EffectivePolicy().RequireManifest {
		t.Fatal("a genesis without the field requires manifests")
	}
	h, err := GenesisHeader(old)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what      string
		got, want common.Hash
	}{
		{"config hash", old.Hash(), common.HexToHash("0x125f882230ac2bf4a610a0b2a170777d4ddd12d41906e51adf2ae806a6863cc1")},
		{"state root", h.StateRoot, common.HexToHash("0xfbd2101259192709277f2e1a4db204668376c656a202cf26457acf8cac0dab2e")},
		{"header hash", h.Hash(), common.HexToHash("0x2413352d23847368c03386585ef70ec117aebed2abd8290be3b24f68bf057ab7")}, // LogRoot = SHA-256("") since the history log
	} {
		if c.got != c.want {
			t.Errorf("%s %s, want %s", c.what, c.got, c.want)
		}
	}
}

// TestRequireManifestAtApproval: under the approval policy the manifest
// requirement is judged when the deploy takes effect. A deploy proposed
// while it was off, approved after a setPolicy turned it on, fails
// bad_manifest as a whole: no contract, the vote not recorded, the
// proposal still open.
func TestRequireManifestAtApproval(t *testing.T) {
	if raceEnabled {
		t.Skip("sequential: run without -race (about 10 times slower under it)")
	}
	nw := newNetwork(t, 3, approvalPolicy())
	e := nw.env
	code := stripManifest(t, counterCode(t))
	p := proposalOf(t, e.okReceipt(e.deployWith(nw.admins[0], code, map[string]any{"start": 1})))

	on := approvalPolicy()
	on.RequireManifest = true
	params, err := json.Marshal(registry.SetPolicyParams{Policy: on})
	if err != nil {
		t.Fatal(err)
	}
	var sp registry.Proposal
	rc := e.okReceipt(e.registryTx(nw.admins[0], registry.MethodPropose, registry.ProposeArgs{Kind: registry.KindSetPolicy, Params: params}))
	if err := json.Unmarshal(rc.Return, &sp); err != nil {
		t.Fatal(err)
	}
	e.okReceipt(e.registryTx(nw.admins[1], registry.MethodApprove, map[string]any{"id": sp.ID}))
	if !e.requiresManifest() {
		t.Fatal("setPolicy did not turn the requirement on")
	}

	rc = e.one(e.registryTx(nw.admins[1], registry.MethodApprove, map[string]any{"id": p.Proposal}))
	if rc.Status != status.BadManifest || !strings.Contains(rc.Message, wantNoManifest) || len(rc.Writes) != 0 || len(rc.Events) != 0 {
		t.Fatalf("approval of a deploy without a manifest: %+v", *rc)
	}
	if _, err := e.l.Contract(p.Address); !errors.Is(err, ErrUnknownContract) {
		t.Fatalf("contract after a refused deploy: %v", err)
	}
	if pr := e.proposalState(p.Proposal); pr.Status != registry.StatusOpen || len(pr.Approvals) != 1 {
		t.Fatalf("proposal after a refused execution: %s approvals %v", pr.Status, pr.Approvals)
	}
}
