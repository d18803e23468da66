package node_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/api"
)

// skipBFT skips a test that runs a network of validators in process
// under -short, and under -race, where compiling the loan contract for
// every node takes minutes (the runner's own concurrency is raced in
// node/cometbft with a small application).
func skipBFT(t *testing.T) {
	t.Helper()
	switch {
	case testing.Short():
		t.Skip("starts a network of validators")
	case raceEnabled:
		t.Skip("skipped under -race: Wasm compilation is too slow")
	}
}

// bftNet is a testnet of organisations whose nodes run in this process.
type bftNet struct {
	t      *testing.T
	tn     *node.Testnet
	nodes  []*nodetest.Node
	nonces []uint64 // each organisation's next nonce, kept as a client keeps it
}

func startBFTNet(t *testing.T, orgs int) *bftNet {
	t.Helper()
	tn, err := node.WriteTestnet(t.TempDir(), node.TestnetOptions{Orgs: orgs})
	if err != nil {
		t.Fatal(err)
	}
	net := &bftNet{t: t, tn: tn, nodes: make([]*nodetest.Node, orgs), nonces: make([]uint64, orgs)}
	for i := range orgs {
		net.start(i)
	}
	return net
}

// start starts (or restarts) organisation i's node.
func (b *bftNet) start(i int) {
	b.t.Helper()
	cfg := b.tn.Config(i)
	cfg.Listen = ""
	if os.Getenv("MESH_BFT_DEBUG") != "" {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil)).With("org", i+1)
		cfg.CometLogLevel = os.Getenv("MESH_BFT_DEBUG")
	}
	b.nodes[i] = nodetest.Start(b.t, cfg)
}

// stop closes organisation i's node.
func (b *bftNet) stop(i int) {
	b.t.Helper()
	if err := b.nodes[i].Close(context.Background()); err != nil {
		b.t.Fatalf("close org%d: %v", i+1, err)
	}
	b.nodes[i] = nil
}

// call signs a call by org i's node key at its next nonce.
func (b *bftNet) call(i int, contract common.Address, method string, args any) *tx.Tx {
	b.t.Helper()
	raw, err := json.Marshal(args)
	if err != nil {
		b.t.Fatal(err)
	}
	org := b.tn.Orgs[i]
	nonce := b.nonces[i]
	b.nonces[i]++
	signed, err := tx.SignCall(tx.Call{From: org.Address, Nonce: nonce, Contract: contract, Method: method, Args: raw, GasLimit: nodetest.DefaultGas}, b.tn.Genesis.ChainID, org.Key)
	if err != nil {
		b.t.Fatal(err)
	}
	return signed
}

// commit submits t to node via and waits for it there.
func (b *bftNet) commit(via int, t *tx.Tx) *block.Receipt {
	b.t.Helper()
	rc := b.nodes[via].Commit(t)
	if !rc.OK() {
		b.t.Fatalf("%s via org%d: receipt %s %s", t.Type(), via+1, rc.Status, rc.Message)
	}
	return rc
}

// agree waits until every running node's ledger reaches the same tip as
// the highest, and checks they hold the same header (hence state, tx and
// receipt roots).
func (b *bftNet) agree() common.Hash {
	b.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var top *block.SignedHeader
		for _, n := range b.nodes {
			if n != nil && (top == nil || n.Ledger().Latest().Header.Height > top.Header.Height) {
				top = n.Ledger().Latest()
			}
		}
		same := true
		for i, n := range b.nodes {
			if n == nil {
				continue
			}
			got := n.Ledger().Latest()
			if got.Header.Height == top.Header.Height && got.Hash() != top.Hash() {
				b.t.Fatalf("org%d diverged at height %d: %s, another node %s", i+1, got.Header.Height, got.Hash(), top.Hash())
			}
			same = same && got.Hash() == top.Hash()
		}
		if same {
			return top.Hash()
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("nodes did not reach height %d", top.Header.Height)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestBFTNetworkLoanFlow(t *testing.T) {
	skipBFT(t)
	b := startBFTNet(t, 4)
	var chain api.Chain
	b.nodes[2].HTTP("GET", api.PathChain, nil).JSON(t, &chain)
	if chain.Consensus != api.ConsensusCometBFT || len(chain.Validators) != 4 {
		t.Fatalf("chain: consensus %q, %d validators", chain.Consensus, len(chain.Validators))
	}

	loan := b.setupLoan()
	var last *block.Receipt
	for k := range 5 {
		last = b.commit(3, b.call(0, loan, "pay", map[string]any{"id": "L1", "amount": 1000 + k}))
	}
	b.agree()
	// Every node holds the payment in the same block with the same
	// receipt as the node it was sent to.
	sent, err := b.nodes[3].Ledger().Tx(last.TxHash)
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range b.nodes {
		rec, err := n.Ledger().Tx(last.TxHash)
		if err != nil || rec.Header.Hash() != sent.Header.Hash() || rec.Receipt.Status != sent.Receipt.Status ||
			rec.Receipt.GasUsed != sent.Receipt.GasUsed || len(rec.Receipt.Events) != len(sent.Receipt.Events) {
			t.Fatalf("org%d: receipt %+v, %v; org4's %+v", i+1, rec, err, sent)
		}
		if len(rec.Header.Signature) != 0 {
			t.Fatalf("org%d: a BFT header carries a signature", i+1)
		}
	}

	// One of four stops: the others keep committing. It restarts and
	// catches up with the same chain.
	b.stop(3)
	for k := range 3 {
		b.commit(k%3, b.call(0, loan, "pay", map[string]any{"id": "L1", "amount": 2000 + k}))
	}
	b.agree()
	b.start(3)
	b.catchUp(3)
	b.commit(3, b.call(0, loan, "pay", map[string]any{"id": "L1", "amount": 3000}))
	b.agree()
	t.Logf("ledger height %d", b.nodes[0].Ledger().Latest().Header.Height)
}

// setupLoan deploys the loan contract (a proposal org1 makes through its
// node and org2 and org3 approve through theirs), makes org1's node key a
// servicer and books loan L1 through org3's node.
func (b *bftNet) setupLoan() common.Address {
	t := b.t
	t.Helper()
	// org1 deploys through its node; the deploy is a proposal that org2
	// and org3 approve through theirs (majority of four).
	org1 := nodetest.AccountOf(b.tn.Orgs[0].Key)
	dep := b.commit(0, org1.Deploy(t, b.tn.Genesis.ChainID, "loan", nodetest.LoanWasm(t)))
	b.nonces[0]++
	var proposed struct {
		Proposal uint64         `json:"proposal"`
		Address  common.Address `json:"address"`
	}
	if err := json.Unmarshal(dep.Return, &proposed); err != nil || proposed.Proposal == 0 {
		t.Fatalf("deploy return %s: %v", dep.Return, err)
	}
	for _, org := range []int{1, 2} {
		b.commit(org, b.call(org, registry.Address, "approve", map[string]any{"id": proposed.Proposal}))
	}
	loan := proposed.Address

	// org1 makes its node key a servicer, books a loan through org3's
	// node and pays it through org4's.
	b.commit(0, b.call(0, registry.Address, "setRoles", map[string]any{
		"address": b.tn.Orgs[0].Address, "roles": []string{"admin", "deployer", "servicer"},
	}))
	borrower := crypto.PubkeyToAddress(b.tn.Orgs[1].Key.PublicKey)
	b.agree()
	b.commit(2, b.call(0, loan, "create", map[string]any{
		"id": "L1", "borrower": borrower.Hex(), "servicer": b.tn.Orgs[0].Address.Hex(),
		"principal": 30_000_000, "rate_bps": 650, "term_months": 360, "first_due": b.tn.Genesis.TimeMs/1000 + 30*86400,
	}))
	b.agree()
	return loan
}

// catchUp waits until organisation i's node holds the chain up to the
// block org1's node holds now, and checks it is the same block.
func (b *bftNet) catchUp(i int) {
	b.t.Helper()
	want := b.nodes[0].Ledger().Latest()
	deadline := time.Now().Add(60 * time.Second)
	for b.nodes[i].Ledger().Latest().Header.Height < want.Header.Height {
		if time.Now().After(deadline) {
			b.t.Fatalf("org%d stuck at %d, network at %d", i+1, b.nodes[i].Ledger().Latest().Header.Height, want.Header.Height)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got, err := b.nodes[i].Ledger().Header(want.Header.Height); err != nil || got.Hash() != want.Hash() {
		b.t.Fatalf("org%d caught up to %v, %v; want %s", i+1, got, err, want.Hash())
	}
}

// submit hands t to node via without waiting for it.
func (b *bftNet) submit(via int, t *tx.Tx) {
	b.t.Helper()
	if _, err := b.nodes[via].Submit(t); err != nil {
		b.t.Fatalf("submit via org%d: %v", via+1, err)
	}
}

// TestBFTNetworkAddValidator adds a fifth organisation and its validator
// by governance while payments flow, starts its node, and checks that it
// syncs the chain, enters the validator set and commits with the others.
func TestBFTNetworkAddValidator(t *testing.T) {
	skipBFT(t)
	b := startBFTNet(t, 4)
	loan := b.setupLoan()
	pay := func(via, amount int) {
		b.submit(via, b.call(0, loan, "pay", map[string]any{"id": "L1", "amount": amount}))
	}

	org5, err := b.tn.AddOrg(nil)
	if err != nil {
		t.Fatal(err)
	}
	b.nodes = append(b.nodes, nil)
	b.nonces = append(b.nonces, 0)
	propose := func(kind string, params any, approvers ...int) {
		t.Helper()
		rc := b.commit(0, b.call(0, registry.Address, "propose", map[string]any{"kind": kind, "params": params}))
		var p registry.Proposal
		if err := json.Unmarshal(rc.Return, &p); err != nil {
			t.Fatal(err)
		}
		for _, org := range approvers {
			pay(3, 10+org)
			b.commit(org, b.call(org, registry.Address, "approve", map[string]any{"id": p.ID}))
		}
	}
	pay(3, 1)
	propose(registry.KindAddOrg, registry.AddOrgParams{ID: org5.ID, Name: "Organisation 5", Admins: []common.Address{org5.Address}, Nodes: []common.Address{org5.Address}}, 1, 2)
	pay(3, 2)
	// Five organisations now: a majority is three.
	propose(registry.KindSetValidator, registry.SetValidatorParams{Org: org5.ID, PubKey: org5.Comet.PubKey, Power: 10}, 1, 2)
	pay(3, 3)
	b.start(4)

	deadline := time.Now().Add(90 * time.Second)
	for {
		var chain api.Chain
		b.nodes[0].HTTP("GET", api.PathChain, nil).JSON(t, &chain)
		if len(chain.Validators) == 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("validator set still %d after the proposals", len(chain.Validators))
		}
		pay(1, 4) // blocks keep coming, so the update takes effect
		time.Sleep(200 * time.Millisecond)
	}
	// org5's node catches up, commits what it is sent, and agrees with
	// the others.
	b.catchUp(4)
	for k := range 3 {
		b.commit(4, b.call(0, loan, "pay", map[string]any{"id": "L1", "amount": 500 + k}))
	}
	b.agree()
	var chain api.Chain
	b.nodes[4].HTTP("GET", api.PathChain, nil).JSON(t, &chain)
	if len(chain.Validators) != 5 || chain.Consensus != api.ConsensusCometBFT {
		t.Fatalf("org5 sees %d validators", len(chain.Validators))
	}
}
