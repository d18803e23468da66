package ledger

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/internal/ledgertest"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/ledger/storage"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/sdk/build/buildtest"
	"github.com/meshledger/meshledger/status"
)

// network is a test chain of n organisations o1..on, each with one admin
// (network.admins[i], seeds 31..) who is also a deployer, under policy.
type network struct {
	*env
	admins []*ecdsa.PrivateKey
}

func newNetwork(tb testing.TB, n int, policy registry.Policy) *network {
	tb.Helper()
	e := &env{
		tb: tb, dir: tb.TempDir(),
		proposer: ledgertest.KeySigner{Key: ledgertest.MustKey(tb, 9)},
		owner:    ledgertest.MustKey(tb, 31), servicer: ledgertest.MustKey(tb, 2),
		issued: map[common.Address]uint64{},
	}
	nw := &network{env: e}
	g := &block.Genesis{ChainID: ledgertest.ChainID, TimeMs: ledgertest.GenesisTimeMs, Policy: &policy}
	for i := 1; i <= n; i++ {
		k := ledgertest.MustKey(tb, byte(30+i))
		nw.admins = append(nw.admins, k)
		org := registry.GenesisOrg{ID: fmt.Sprintf("o%d", i), Name: fmt.Sprintf("Org %d", i), Members: []registry.GenesisMember{
			{Address: ledgertest.AddrOf(k), Roles: []string{registry.RoleAdmin, registry.RoleDeployer}},
		}}
		if i == 1 {
			org.Members = append(org.Members, registry.GenesisMember{Address: ledgertest.AddrOf(e.servicer), Roles: []string{"servicer"}})
		}
		g.Orgs = append(g.Orgs, org)
	}
	e.genesis = g
	e.l = e.open(Config{Dir: e.dir})
	tb.Cleanup(func() { e.l.Close(context.Background()) })
	return nw
}

func approvalPolicy() registry.Policy { return registry.DefaultPolicy() }

func openPolicy() registry.Policy {
	p := registry.DefaultPolicy()
	p.DeployPolicy = registry.DeployOpen
	return p
}

func counterCode(tb testing.TB) []byte {
	return buildtest.Wasm(tb, "ledger/testdata/contracts/counter")
}

func counterV2Code(tb testing.TB) []byte {
	return buildtest.Wasm(tb, "ledger/testdata/contracts/counterv2")
}

func (e *env) deployWith(k *ecdsa.PrivateKey, code []byte, initArgs any) *tx.Tx {
	e.tb.Helper()
	raw, err := json.Marshal(initArgs)
	if err != nil {
		e.tb.Fatal(err)
	}
	d := tx.Deploy{From: ledgertest.AddrOf(k), Nonce: e.next(k), Name: "counter", InitArgs: raw, GasLimit: block.DefaultBlockDeployGasLimit}
	t, err := tx.SignDeploy(d, code, ledgertest.ChainID, k)
	if err != nil {
		e.tb.Fatal(err)
	}
	return t
}

func (e *env) upgradeTx(k *ecdsa.PrivateKey, contract common.Address, code []byte, migrateArgs any) *tx.Tx {
	e.tb.Helper()
	raw, err := json.Marshal(migrateArgs)
	if err != nil {
		e.tb.Fatal(err)
	}
	u := tx.Upgrade{From: ledgertest.AddrOf(k), Nonce: e.next(k), Contract: contract, MigrateArgs: raw, GasLimit: block.DefaultBlockDeployGasLimit}
	t, err := tx.SignUpgrade(u, code, ledgertest.ChainID, k)
	if err != nil {
		e.tb.Fatal(err)
	}
	return t
}

func (e *env) registryTx(k *ecdsa.PrivateKey, method string, args any) *tx.Tx {
	e.tb.Helper()
	return e.callTx(k, e.next(k), registry.Address, method, args)
}

// one applies a single transaction and returns its receipt.
func (e *env) one(t *tx.Tx) *block.Receipt {
	e.tb.Helper()
	a := e.apply(t)
	if len(a.Receipts) != 1 {
		e.tb.Fatalf("want 1 receipt, got %d (rejected %v)", len(a.Receipts), a.Rejected)
	}
	return a.Receipts[0]
}

func (e *env) okReceipt(t *tx.Tx) *block.Receipt {
	e.tb.Helper()
	rc := e.one(t)
	if !rc.OK() {
		e.tb.Fatalf("%s: receipt %s: %s", t.Type(), rc.Status, rc.Message)
	}
	return rc
}

// callInt calls a counter method returning an int, in a block.
func (e *env) callInt(k *ecdsa.PrivateKey, contract common.Address, method string) int {
	e.tb.Helper()
	rc := e.okReceipt(e.callTx(k, e.next(k), contract, method, map[string]any{}))
	var n int
	if err := json.Unmarshal(rc.Return, &n); err != nil {
		e.tb.Fatalf("%s returned %q: %v", method, rc.Return, err)
	}
	return n
}

type proposalRet struct {
	Proposal uint64         `json:"proposal"`
	Address  common.Address `json:"address"`
}

func proposalOf(tb testing.TB, rc *block.Receipt) proposalRet {
	tb.Helper()
	var p proposalRet
	if err := json.Unmarshal(rc.Return, &p); err != nil {
		tb.Fatalf("proposal return %q: %v", rc.Return, err)
	}
	return p
}

func (e *env) proposalState(id uint64) *registry.Proposal {
	e.tb.Helper()
	p, err := registry.LookupProposal(e.l.state.ContractReader(registry.Address), id, e.l.Latest().Header.TimeMs)
	if err != nil {
		e.tb.Fatal(err)
	}
	return p
}

func (e *env) contractInfo(addr common.Address) *ContractInfo {
	e.tb.Helper()
	c, err := e.l.Contract(addr)
	if err != nil {
		e.tb.Fatal(err)
	}
	return c
}

func TestRegistryCallsAndMembership(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	outsider := ledgertest.MustKey(t, 5)
	out := ledgertest.AddrOf(outsider)

	// An outsider can neither transact nor deploy: refused at the door
	// and rejected in a block, nonce untouched.
	call := e.callTx(outsider, 0, registry.Address, registry.MethodAddMember, map[string]any{"address": out, "roles": []string{}})
	if err := e.l.CheckTx(call); !errors.Is(err, ErrNotAMember) {
		t.Fatalf("outsider CheckTx: %v", err)
	}
	rej := e.applyRejected(call)
	if len(rej) != 1 || !errors.Is(rej[0].Err, ErrNotAMember) {
		t.Fatalf("outsider in a block: %v", rej)
	}

	// The org admin adds it; the registry's writes and events are the
	// receipt's, like a contract's, and every member sees the events.
	rc := e.okReceipt(e.registryTx(e.owner, registry.MethodAddMember, map[string]any{"address": out, "roles": []string{"servicer"}}))
	if rc.GasUsed != registry.CallGas {
		t.Fatalf("registry call used %d gas, want %d", rc.GasUsed, registry.CallGas)
	}
	if len(rc.Writes) == 0 || len(rc.Events) == 0 {
		t.Fatalf("addMember receipt has %d writes, %d events", len(rc.Writes), len(rc.Events))
	}
	for _, w := range rc.Writes {
		if w.Contract != registry.Address {
			t.Fatalf("registry write to %s", w.Contract)
		}
	}
	for _, ev := range rc.Events {
		if ev.Contract != registry.Address || !slices.Equal(ev.Audience, []string{registry.AudienceMembers}) {
			t.Fatalf("registry event %+v", ev)
		}
	}
	if v, ok, err := e.l.state.Get(registry.Address, registry.MemberKey(out)); err != nil || !ok || !strings.Contains(string(v), "servicer") {
		t.Fatalf("member record %q %v %v", v, ok, err)
	}

	// Now a member, it transacts; without the deployer role it cannot
	// deploy (ErrForbidden, at the door and in a block).
	if err := e.l.CheckTx(e.callTx(outsider, 0, registry.Address, "noSuchMethod", map[string]any{})); err != nil {
		t.Fatalf("member CheckTx: %v", err)
	}
	dep := ledgertest.DeployTx(t, outsider, "c", counterCode(t), 0, block.DefaultBlockDeployGasLimit, true)
	if err := e.l.CheckTx(dep); !errors.Is(err, ErrForbidden) {
		t.Fatalf("deploy without the deployer role, CheckTx: %v", err)
	}
	if rej := e.applyRejected(dep); len(rej) != 1 || !errors.Is(rej[0].Err, ErrForbidden) {
		t.Fatalf("deploy without the deployer role in a block: %v", rej)
	}

	// Refused registry calls are failed receipts: the nonce is used, the
	// gas charged, nothing written.
	before := e.l.Latest().Header.StateRoot
	cases := []struct {
		name   string
		t      *tx.Tx
		status status.Code
		gas    uint64
	}{
		{"not an admin", e.callTx(outsider, e.next(outsider), registry.Address, registry.MethodAddMember, map[string]any{"address": ledgertest.AddrOf(ledgertest.MustKey(t, 6)), "roles": []string{}}), "forbidden", registry.CallGas},
		{"unknown method", e.callTx(outsider, e.next(outsider), registry.Address, "noSuchMethod", map[string]any{}), "unknown_method", registry.CallGas},
		{"bad args", e.callTx(e.owner, e.next(e.owner), registry.Address, registry.MethodAddMember, map[string]any{"address": 7}), "invalid_args", registry.CallGas},
	}
	low, err := tx.SignCall(tx.Call{From: out, Nonce: e.next(outsider), Contract: registry.Address, Method: registry.MethodAddMember, Args: []byte(`{}`), GasLimit: registry.CallGas - 1}, ledgertest.ChainID, outsider)
	if err != nil {
		t.Fatal(err)
	}
	cases = append(cases, struct {
		name   string
		t      *tx.Tx
		status status.Code
		gas    uint64
	}{"gas below the call's cost", low, status.OutOfGas, registry.CallGas - 1})
	txs := make([]*tx.Tx, len(cases))
	for i, c := range cases {
		txs[i] = c.t
	}
	a := e.apply(txs...)
	for i, c := range cases {
		rc := a.Receipts[i]
		if rc.Status != c.status || rc.GasUsed != c.gas || len(rc.Writes) != 0 || len(rc.Events) != 0 || rc.Message == "" {
			t.Errorf("%s: receipt %+v", c.name, rc)
		}
	}
	if got := a.Header.Header.StateRoot; got == before {
		t.Fatal("nonces of failed registry calls not recorded")
	}
	if n := e.nonce(outsider); n != 3 {
		t.Fatalf("outsider nonce %d after 3 failed calls, want 3", n)
	}

	// Removed, it is an outsider again, at the door (whose cache of the
	// registry a block that writes the registry replaces) and in blocks.
	if err := e.l.CheckTx(e.callTx(outsider, 3, registry.Address, "noSuchMethod", map[string]any{})); err != nil {
		t.Fatalf("member CheckTx before removal: %v", err)
	}
	e.okReceipt(e.registryTx(e.owner, registry.MethodRemoveMember, map[string]any{"address": out}))
	again := e.callTx(outsider, 3, registry.Address, "noSuchMethod", map[string]any{})
	if err := e.l.CheckTx(again); !errors.Is(err, ErrNotAMember) {
		t.Fatalf("removed member CheckTx: %v", err)
	}
	if rej := e.applyRejected(again); len(rej) != 1 || !errors.Is(rej[0].Err, ErrNotAMember) {
		t.Fatalf("removed member in a block: %v", rej)
	}
}

// TestRegistryWritesVisibleLaterInBlock: a member added by one
// transaction transacts, and is known to contracts, later in the same
// block.
func TestRegistryWritesVisibleLaterInBlock(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.okReceipt(e.deployWith(e.owner, counterCode(t), map[string]any{"start": 0})).ContractAddress
	newcomer := ledgertest.MustKey(t, 7)
	nc := ledgertest.AddrOf(newcomer)
	a := e.apply(
		e.registryTx(e.owner, registry.MethodAddMember, map[string]any{"address": nc, "roles": []string{"servicer"}}),
		e.callTx(newcomer, 0, c, "whoami", map[string]any{}),
		e.callTx(e.owner, e.next(e.owner), c, "whois", map[string]any{"address": nc}),
	)
	if len(a.Rejected) != 0 || len(a.Receipts) != 3 {
		t.Fatalf("rejected %v", a.Rejected)
	}
	if got := string(a.Receipts[1].Return); got != `{"org":"dev","deployer":false,"servicer":true}` {
		t.Fatalf("whoami of the newcomer: %s (%s %s)", got, a.Receipts[1].Status, a.Receipts[1].Message)
	}
	if got := string(a.Receipts[2].Return); got != `{"member":true,"org":"dev","roles":["servicer"]}` {
		t.Fatalf("whois of the newcomer: %s", got)
	}
	// The owner's own identity, and an outsider's absence.
	rc := e.okReceipt(e.callTx(e.owner, e.next(e.owner), c, "whoami", map[string]any{}))
	if got := string(rc.Return); got != `{"org":"dev","deployer":true,"servicer":false}` {
		t.Fatalf("whoami of the owner: %s", got)
	}
	rc = e.okReceipt(e.callTx(e.owner, e.next(e.owner), c, "whois", map[string]any{"address": ledgertest.AddrOf(ledgertest.MustKey(t, 8))}))
	if got := string(rc.Return); got != `{"member":false,"org":"","roles":null}` {
		t.Fatalf("whois of an outsider: %s", got)
	}
	// Events carry the audience the contract gave them.
	rc = e.okReceipt(e.callTx(e.owner, e.next(e.owner), c, "inc", map[string]any{}))
	if len(rc.Events) != 1 || !slices.Equal(rc.Events[0].Audience, []string{"role:servicer"}) {
		t.Fatalf("inc events %+v", rc.Events)
	}
	back, err := e.l.Receipts(rc.Height)
	if err != nil || !slices.Equal(back[0].Events[0].Audience, []string{"role:servicer"}) {
		t.Fatalf("stored receipt events %+v, %v", back, err)
	}
}

func TestDeployUnderApproval(t *testing.T) {
	t.Parallel()
	cases := []struct {
		orgs      int
		approvers []string // in voting order after o1's proposal
	}{
		{1, []string{"o1"}},
		{3, []string{"o1", "o2"}},
		{4, []string{"o1", "o2", "o3"}},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%d orgs", c.orgs), func(t *testing.T) {
			t.Parallel()
			nw := newNetwork(t, c.orgs, approvalPolicy())
			e := nw.env
			code := counterCode(t)
			rc := e.okReceipt(e.deployWith(nw.admins[0], code, map[string]any{"start": 41}))
			p := proposalOf(t, rc)
			want := tx.ContractAddress(ledgertest.AddrOf(nw.admins[0]), 0)
			if p.Address != want {
				t.Fatalf("proposal reserves %s, want %s", p.Address, want)
			}
			executedAt := rc
			for i := 1; i < len(c.approvers); i++ {
				if _, err := e.l.Contract(want); !errors.Is(err, ErrUnknownContract) {
					t.Fatalf("contract exists after %d approvals: %v", i, err)
				}
				executedAt = e.okReceipt(e.registryTx(nw.admins[i], registry.MethodApprove, map[string]any{"id": p.Proposal}))
			}
			if executedAt.ContractAddress != want {
				t.Fatalf("executing receipt's contract %s, want %s", executedAt.ContractAddress, want)
			}
			info := e.contractInfo(want)
			if info.Org != "o1" || info.Deployer != ledgertest.AddrOf(nw.admins[0]) || info.CodeHash != crypto.Keccak256Hash(code) {
				t.Fatalf("contract info %+v", info)
			}
			if len(info.Versions) != 1 || !slices.Equal(info.Versions[0].Approvers, c.approvers) ||
				info.Versions[0].TxHash != executedAt.TxHash || info.Versions[0].Height != executedAt.Height {
				t.Fatalf("versions %+v, want approvers %v in tx %s", info.Versions, c.approvers, executedAt.TxHash)
			}
			if st := e.proposalState(p.Proposal).Status; st != registry.StatusExecuted {
				t.Fatalf("proposal status %s", st)
			}
			// init ran with the deployer as caller.
			if n := e.callInt(nw.admins[0], want, "get"); n != 41 {
				t.Fatalf("get after init = %d, want 41", n)
			}
		})
	}
}

// TestFailedEffectLeavesNothing: an approval whose deploy fails (init
// refuses) fails as a whole: no contract, the vote not recorded, the
// proposal still open; a later approval can still be cast.
func TestFailedEffectLeavesNothing(t *testing.T) {
	t.Parallel()
	nw := newNetwork(t, 3, approvalPolicy())
	e := nw.env
	p := proposalOf(t, e.okReceipt(e.deployWith(nw.admins[0], counterCode(t), map[string]any{"fail": true})))
	root := e.l.Latest().Header.StateRoot
	rc := e.one(e.registryTx(nw.admins[1], registry.MethodApprove, map[string]any{"id": p.Proposal}))
	if rc.OK() || !strings.Contains(rc.Message, fmt.Sprintf("proposal %d", p.Proposal)) || len(rc.Writes) != 0 || len(rc.Events) != 0 {
		t.Fatalf("failing approval receipt %+v", rc)
	}
	if rc.GasUsed <= registry.CallGas {
		t.Fatalf("failing approval used %d gas: init's gas not charged", rc.GasUsed)
	}
	if _, err := e.l.Contract(p.Address); !errors.Is(err, ErrUnknownContract) {
		t.Fatalf("contract after a failed init: %v", err)
	}
	pr := e.proposalState(p.Proposal)
	if pr.Status != registry.StatusOpen || !slices.Equal(pr.Approvals, []string{"o1"}) {
		t.Fatalf("proposal after a failed execution: %s approvals %v", pr.Status, pr.Approvals)
	}
	// Only the sender's nonce moved.
	changed, _, err := e.l.state.Get(SystemAddress, NonceStateKey(ledgertest.AddrOf(nw.admins[1])))
	if err != nil || len(changed) != 8 || e.l.Latest().Header.StateRoot == root {
		t.Fatalf("nonce of the voter: %x %v", changed, err)
	}
	// The vote can be cast again (and fails again, the same way).
	if rc := e.one(e.registryTx(nw.admins[1], registry.MethodApprove, map[string]any{"id": p.Proposal})); rc.OK() {
		t.Fatal("second approval of a failing deploy succeeded")
	}
}

func TestUpgradeOpenPolicy(t *testing.T) {
	t.Parallel()
	nw := newNetwork(t, 2, openPolicy())
	e := nw.env
	v1, v2 := counterCode(t), counterV2Code(t)
	rc := e.okReceipt(e.deployWith(nw.admins[0], v1, map[string]any{"start": 5}))
	c := rc.ContractAddress
	if info := e.contractInfo(c); len(info.Versions) != 1 || info.Versions[0].Approvers != nil || info.Org != "o1" {
		t.Fatalf("open deploy info %+v", info)
	}
	if n := e.callInt(nw.admins[0], c, "inc"); n != 6 {
		t.Fatalf("inc = %d", n)
	}

	// Refusals: a member without the deployer role (at admission), a
	// deployer of another organisation and an unknown contract (failed
	// receipts), a failing migrate (failed receipt, old code kept).
	if rej := e.applyRejected(e.upgradeTx(e.servicer, c, v2, map[string]any{})); len(rej) != 1 || !errors.Is(rej[0].Err, ErrForbidden) {
		t.Fatalf("upgrade by a non-deployer: %v", rej)
	}
	if rc := e.one(e.upgradeTx(nw.admins[1], c, v2, map[string]any{})); rc.Status != "forbidden" {
		t.Fatalf("upgrade by another org's deployer: %s %s", rc.Status, rc.Message)
	}
	if rc := e.one(e.upgradeTx(nw.admins[0], common.HexToAddress("0x1234"), v2, map[string]any{})); rc.Status != status.UnknownContract {
		t.Fatalf("upgrade of no contract: %s %s", rc.Status, rc.Message)
	}
	if rc := e.one(e.upgradeTx(nw.admins[0], c, v2, map[string]any{"fail": true})); rc.OK() || len(rc.Writes) != 0 {
		t.Fatalf("failing migrate: %+v", rc)
	}
	if v := e.callInt(nw.admins[0], c, "version"); v != 1 {
		t.Fatalf("version after refused upgrades = %d", v)
	}
	// migrate cannot be called directly.
	if rc := e.one(e.callTx(nw.admins[0], e.next(nw.admins[0]), c, "migrate", map[string]any{})); rc.Status != status.UnknownMethod {
		t.Fatalf("direct migrate call: %s", rc.Status)
	}

	rc = e.okReceipt(e.upgradeTx(nw.admins[0], c, v2, map[string]any{"add": 10}))
	if v := e.callInt(nw.admins[0], c, "version"); v != 2 {
		t.Fatalf("version after upgrade = %d", v)
	}
	if n := e.callInt(nw.admins[0], c, "get"); n != 16 {
		t.Fatalf("count after migrate = %d, want 6 kept + 10", n)
	}
	if n := e.callInt(nw.admins[0], c, "inc"); n != 18 {
		t.Fatalf("v2 inc = %d, want 18", n)
	}
	info := e.contractInfo(c)
	if info.CodeHash != crypto.Keccak256Hash(v2) || !slices.Contains(info.Methods, "migrate") || len(info.Versions) != 2 ||
		info.Versions[1].CodeHash != crypto.Keccak256Hash(v2) || info.Versions[1].TxHash != rc.TxHash || info.Versions[0].CodeHash != crypto.Keccak256Hash(v1) {
		t.Fatalf("upgraded contract info %+v", info)
	}
	// The proven record and a reopened ledger agree.
	pr, err := e.l.ProveContract(c)
	if err != nil || pr.Info.CodeHash != info.CodeHash || len(pr.Info.Versions) != 2 {
		t.Fatalf("proven record %+v %v", pr, err)
	}
	e.reopen()
	if v := e.callInt(nw.admins[0], c, "version"); v != 2 {
		t.Fatalf("version after reopening = %d", v)
	}
}

// TestUpgradeUnderApproval: a rejected upgrade leaves the old code
// running; an approved one keeps the state and runs migrate.
func TestUpgradeUnderApproval(t *testing.T) {
	t.Parallel()
	nw := newNetwork(t, 3, approvalPolicy())
	e := nw.env
	v2 := counterV2Code(t)
	p := proposalOf(t, e.okReceipt(e.deployWith(nw.admins[0], counterCode(t), map[string]any{"start": 1})))
	e.okReceipt(e.registryTx(nw.admins[1], registry.MethodApprove, map[string]any{"id": p.Proposal}))
	c := p.Address
	e.callInt(nw.admins[0], c, "inc") // 2

	up := proposalOf(t, e.okReceipt(e.upgradeTx(nw.admins[0], c, v2, map[string]any{"add": 100})))
	if up.Address != c {
		t.Fatalf("upgrade proposal names %s", up.Address)
	}
	e.okReceipt(e.registryTx(nw.admins[1], registry.MethodReject, map[string]any{"id": up.Proposal}))
	e.okReceipt(e.registryTx(nw.admins[2], registry.MethodReject, map[string]any{"id": up.Proposal}))
	if st := e.proposalState(up.Proposal).Status; st != registry.StatusRejected {
		t.Fatalf("upgrade proposal %s", st)
	}
	if v, n := e.callInt(nw.admins[0], c, "version"), e.callInt(nw.admins[0], c, "get"); v != 1 || n != 2 {
		t.Fatalf("after a rejected upgrade: version %d count %d", v, n)
	}

	up = proposalOf(t, e.okReceipt(e.upgradeTx(nw.admins[0], c, v2, map[string]any{"add": 100})))
	if v := e.callInt(nw.admins[0], c, "version"); v != 1 {
		t.Fatalf("upgrade ran before approval: version %d", v)
	}
	rc := e.okReceipt(e.registryTx(nw.admins[2], registry.MethodApprove, map[string]any{"id": up.Proposal}))
	if v, n := e.callInt(nw.admins[0], c, "version"), e.callInt(nw.admins[0], c, "get"); v != 2 || n != 102 {
		t.Fatalf("after an approved upgrade: version %d count %d, want 2 and 102", v, n)
	}
	info := e.contractInfo(c)
	if len(info.Versions) != 2 || !slices.Equal(info.Versions[1].Approvers, []string{"o1", "o3"}) || info.Versions[1].TxHash != rc.TxHash {
		t.Fatalf("versions %+v", info.Versions)
	}
}

// TestNetworkReplay: a chain of registry calls, approvals, deploys and
// upgrades re-executes to identical headers on a second ledger.
func TestNetworkReplay(t *testing.T) {
	t.Parallel()
	nw := newNetwork(t, 3, approvalPolicy())
	e := nw.env
	p := proposalOf(t, e.okReceipt(e.deployWith(nw.admins[0], counterCode(t), map[string]any{"start": 1})))
	e.okReceipt(e.registryTx(nw.admins[1], registry.MethodApprove, map[string]any{"id": p.Proposal}))
	e.one(e.registryTx(nw.admins[0], registry.MethodAddMember, map[string]any{"address": ledgertest.AddrOf(ledgertest.MustKey(t, 7)), "roles": []string{"servicer"}}))
	e.callInt(e.servicer, p.Address, "inc")
	up := proposalOf(t, e.okReceipt(e.upgradeTx(nw.admins[0], p.Address, counterV2Code(t), map[string]any{"add": 3})))
	e.okReceipt(e.registryTx(nw.admins[2], registry.MethodApprove, map[string]any{"id": up.Proposal}))

	dst := e.open(Config{Dir: t.TempDir()})
	defer dst.Close(context.Background())
	if dst.Latest().Hash() != mustHeader(t, e.l, 0).Hash() {
		t.Fatal("genesis headers differ")
	}
	src := e.l.Blocks(1, e.l.Latest().Header.Height)
	for {
		sb, err := src.Next(context.Background())
		if err != nil {
			break
		}
		r, err := dst.Reexecute(context.Background(), sb.Header, sb.Txs)
		if err != nil {
			t.Fatal(err)
		}
		if r.Header != sb.Header.Header {
			t.Fatalf("block %d re-executes to %s, signed %s", sb.Header.Header.Height, r.Header.Hash(), sb.Header.Hash())
		}
		if _, err := dst.CommitReexecution(r, sb.Header); err != nil {
			t.Fatal(err)
		}
	}
	if dst.Latest().Hash() != e.l.Latest().Hash() {
		t.Fatal("replayed chain ends elsewhere")
	}
}

func mustHeader(tb testing.TB, l *Ledger, h uint64) *block.SignedHeader {
	tb.Helper()
	sh, err := l.Header(h)
	if err != nil {
		tb.Fatal(err)
	}
	return sh
}

// TestGenesisState: the genesis header commits the registry's records;
// every ledger of the genesis derives the same; the member order of the
// file does not matter; the records are provable at height 0.
func TestGenesisState(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	want, err := GenesisHeader(e.genesis)
	if err != nil {
		t.Fatal(err)
	}
	got := mustHeader(t, e.l, 0)
	if got.Header != want || want.StateRoot == block.EmptyRoot || want.ParentHash != e.genesis.Hash() {
		t.Fatalf("genesis header %+v, derived %+v", got.Header, want)
	}
	shuffled := *e.genesis
	shuffled.Orgs = slices.Clone(e.genesis.Orgs)
	shuffled.Orgs[0].Members = slices.Clone(e.genesis.Orgs[0].Members)
	slices.Reverse(shuffled.Orgs[0].Members)
	if h, err := GenesisHeader(&shuffled); err != nil || h != want || shuffled.Hash() != e.genesis.Hash() {
		t.Fatalf("member order changes the genesis: %v", err)
	}
	p, err := e.l.state.Prove(want.StateRoot, registry.Address, registry.MemberKey(ledgertest.AddrOf(e.owner)))
	if err != nil || !p.Exists {
		t.Fatalf("owner's member record not provable at genesis: %v", err)
	}
	// Its history starts at the genesis, signed by no transaction.
	page, err := e.l.History(registry.Address, registry.MemberKey(ledgertest.AddrOf(e.owner)), Cursor{}, 0)
	if err != nil || len(page.Entries) != 1 || page.Entries[0].Height != 0 || page.Entries[0].Signer != (common.Address{}) {
		t.Fatalf("genesis history %+v %v", page, err)
	}
	// A genesis the registry refuses cannot open a ledger.
	bad := &block.Genesis{ChainID: 1, Orgs: []registry.GenesisOrg{{ID: "x", Name: "X"}}}
	if _, err := GenesisHeader(bad); !errors.Is(err, block.ErrBadGenesis) {
		t.Fatalf("genesis without admins: %v", err)
	}
	if _, err := Open(context.Background(), Config{Dir: t.TempDir(), Genesis: bad, Engine: sharedEngine}); !errors.Is(err, block.ErrBadGenesis) {
		t.Fatalf("open with a genesis without admins: %v", err)
	}
}

// TestStoredGenesisRechecked: a store whose genesis header is not what
// its genesis derives is refused.
func TestStoredGenesisRechecked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sh := mustHeader(t, e.l, 0)
	forged := *sh
	forged.Header.StateRoot = block.EmptyRoot
	enc, err := forged.Encode()
	if err != nil {
		t.Fatal(err)
	}
	e.l.Close(context.Background())
	l, err := Open(context.Background(), Config{Dir: e.dir, Engine: sharedEngine})
	if err != nil {
		t.Fatal(err)
	}
	rawPut(t, l, storage.HeaderKey(0), enc)
	l.Close(context.Background())
	if _, err := Open(context.Background(), Config{Dir: e.dir, Engine: sharedEngine}); !errors.Is(err, ErrInconsistent) {
		t.Fatalf("open with a forged genesis header: %v", err)
	}
	e.l = e.open(Config{Dir: t.TempDir()}) // for the cleanup
}

// TestUpgradeGasAndCode: an upgrade pays its intrinsic deploy gas before
// loading code like a deploy (out_of_gas below it, nothing changes), and
// one by hash of code never stored is rejected.
func TestUpgradeGasAndCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.okReceipt(e.deployWith(e.owner, counterCode(t), map[string]any{"start": 1})).ContractAddress
	v2 := counterV2Code(t)
	u := tx.Upgrade{From: ledgertest.AddrOf(e.owner), Nonce: e.next(e.owner), Contract: c, GasLimit: 1000}
	low, err := tx.SignUpgrade(u, v2, ledgertest.ChainID, e.owner)
	if err != nil {
		t.Fatal(err)
	}
	rc := e.one(low)
	if rc.Status != status.OutOfGas || rc.GasUsed != 1000 || len(rc.Writes) != 0 {
		t.Fatalf("upgrade below its intrinsic gas: %+v", rc)
	}
	if v := e.callInt(e.owner, c, "version"); v != 1 {
		t.Fatalf("version after an upgrade out of gas: %d", v)
	}
	byHash := tx.Upgrade{From: ledgertest.AddrOf(e.owner), Nonce: e.nonce(e.owner), Contract: c,
		CodeHash: crypto.Keccak256Hash([]byte("never stored")), GasLimit: block.DefaultBlockDeployGasLimit}
	unknown, err := tx.SignUpgrade(byHash, nil, ledgertest.ChainID, e.owner)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.l.CheckTx(unknown); !errors.Is(err, ErrUnknownCode) {
		t.Fatalf("CheckTx of an upgrade to unknown code: %v", err)
	}
	if rej := e.applyRejected(unknown); len(rej) != 1 || !errors.Is(rej[0].Err, ErrUnknownCode) {
		t.Fatalf("upgrade to unknown code in a block: %v", rej)
	}
	// The code stored by the failed upgrade serves a later one by hash.
	byHash.CodeHash, byHash.MigrateArgs = crypto.Keccak256Hash(v2), []byte(`{"add":1}`)
	stored, err := tx.SignUpgrade(byHash, nil, ledgertest.ChainID, e.owner)
	if err != nil {
		t.Fatal(err)
	}
	e.okReceipt(stored)
	if v, n := e.callInt(e.owner, c, "version"), e.callInt(e.owner, c, "get"); v != 2 || n != 2 {
		t.Fatalf("after an upgrade by hash: version %d count %d", v, n)
	}
}

// TestProposalExpiryThroughBlocks: a vote after a proposal's expiry (block
// time) is a failed receipt, proposal_expired, and changes nothing.
func TestProposalExpiryThroughBlocks(t *testing.T) {
	t.Parallel()
	policy := approvalPolicy()
	policy.ProposalTTLMs = 60_000
	nw := newNetwork(t, 3, policy)
	e := nw.env
	p := proposalOf(t, e.okReceipt(e.deployWith(nw.admins[0], counterCode(t), map[string]any{})))
	late := e.proposal(e.registryTx(nw.admins[1], registry.MethodApprove, map[string]any{"id": p.Proposal}))
	late.TimeMs = e.l.Latest().Header.TimeMs + policy.ProposalTTLMs
	a, err := e.l.ApplyBlock(context.Background(), late, e.proposer)
	if err != nil {
		t.Fatal(err)
	}
	rc := a.Receipts[0]
	if rc.Status != "proposal_expired" || len(rc.Writes) != 0 {
		t.Fatalf("vote after expiry: %s %s", rc.Status, rc.Message)
	}
	if _, err := e.l.Contract(p.Address); !errors.Is(err, ErrUnknownContract) {
		t.Fatalf("contract of an expired proposal: %v", err)
	}
}

// TestAdmissionCacheUnderCommits: admission reads the tip's registry
// cache while blocks that add members commit; after each block every
// member added is admitted (run with -race).
func TestAdmissionCacheUnderCommits(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	keys := make([]*ecdsa.PrivateKey, 5)
	for i := range keys {
		keys[i] = ledgertest.MustKey(t, byte(60+i))
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			for _, k := range keys {
				_ = e.l.CheckTx(ledgertest.CallTx(t, k, 0, registry.Address, "noSuchMethod", map[string]any{}))
			}
		}
	}()
	for _, k := range keys {
		e.okReceipt(e.registryTx(e.owner, registry.MethodAddMember, map[string]any{"address": ledgertest.AddrOf(k), "roles": []string{}}))
		if err := e.l.CheckTx(ledgertest.CallTx(t, k, 0, registry.Address, "noSuchMethod", map[string]any{})); err != nil {
			t.Errorf("member added in the last block refused: %v", err)
		}
	}
	close(stop)
	<-done
}
