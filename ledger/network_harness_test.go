package ledger

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/internal/ledgertest"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/sdk/build/buildtest"
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

func mustHeader(tb testing.TB, l *Ledger, h uint64) *block.SignedHeader {
	tb.Helper()
	sh, err := l.Header(h)
	if err != nil {
		tb.Fatal(err)
	}
	return sh
}
