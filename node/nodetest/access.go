package nodetest

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/node"
)

// commitWait bounds how long CommitAll waits for a transaction's block.
const commitWait = 20 * time.Second

// producerGrace is how long CommitAll leaves a started node's producer to
// commit a transaction before it cuts the block itself.
const producerGrace = 200 * time.Millisecond

// SessionLifetime is how long the sessions Session signs last.
const SessionLifetime = time.Hour

// Session returns an Authorization header value (MeshSession ...) for
// key's address, valid from now for SessionLifetime on n's chain:
//
//	n.Do("GET", path, nil, "Authorization", nodetest.Session(t, n, key))
func Session(t testing.TB, n *Node, key *ecdsa.PrivateKey) string {
	t.Helper()
	return SessionAt(t, n.ChainID(), key, time.Now())
}

// SessionAt is Session for a chain id and an issue time of the test's
// choosing (a node with a fake clock, an expired session).
func SessionAt(t testing.TB, chainID uint64, key *ecdsa.PrivateKey, issued time.Time) string {
	t.Helper()
	s := tx.ReadSession{
		Reader:    crypto.PubkeyToAddress(key.PublicKey),
		IssuedMs:  uint64(issued.UnixMilli()),
		ExpiresMs: uint64(issued.Add(SessionLifetime).UnixMilli()),
	}
	signed, err := tx.SignSession(s, chainID, key)
	if err != nil {
		t.Fatalf("SignSession: %v", err)
	}
	return signed.Header()
}

// AddMember makes addr a member of the organisation of n's key (the dev
// network's admin) with roles, signing the registry's addMember with the
// node key, and waits for its block. It fails the test unless the call
// succeeds.
func AddMember(t testing.TB, n *Node, addr common.Address, roles ...string) {
	t.Helper()
	args := map[string]any{"address": addr, "roles": append([]string{}, roles...)}
	if rc := RegistryCall(t, n, n.Key(), "addMember", args); rc.Status != "ok" {
		t.Fatalf("addMember %s %v: receipt %s: %s", addr, roles, rc.Status, rc.Message)
	}
}

// NewMember is NewAccount made a member of n's organisation with roles.
func NewMember(t testing.TB, n *Node, roles ...string) *Account {
	t.Helper()
	return NewMembers(t, n, 1, roles...)[0]
}

// NewMembers makes count fresh accounts members of n's organisation with
// roles, in one block: tests with many senders pay for one commit.
func NewMembers(t testing.TB, n *Node, count int, roles ...string) []*Account {
	t.Helper()
	accts := make([]*Account, count)
	txs := make([]*tx.Tx, count)
	admin := AccountOf(n.Key())
	nonce, err := n.PendingNonce(admin.Addr)
	if err != nil {
		t.Fatalf("PendingNonce %s: %v", admin.Addr, err)
	}
	admin.Nonce = nonce
	for i := range accts {
		accts[i] = NewAccount(t)
		args := map[string]any{"address": accts[i].Addr, "roles": append([]string{}, roles...)}
		txs[i] = admin.Call(t, n.ChainID(), registry.Address, "addMember", args)
	}
	for i, rc := range n.CommitAll(txs...) {
		if rc.Status != "ok" {
			t.Fatalf("addMember %s %v: receipt %s: %s", accts[i].Addr, roles, rc.Status, rc.Message)
		}
	}
	return accts
}

// DevMembers prepares data directory dir for a node whose development
// genesis makes count fresh accounts members from the start, beside the
// node key (created now): each holds the dev roles (admin, deployer,
// auditor). Tests that must not commit a block before they begin use it
// instead of NewMembers; start the node with Config(dir).
func DevMembers(t testing.TB, dir string, count int) []*Account {
	t.Helper()
	key, _, err := node.LoadOrCreateKey(filepath.Join(dir, node.KeyFile))
	if err != nil {
		t.Fatalf("node key: %v", err)
	}
	accts := make([]*Account, count)
	addrs := []common.Address{crypto.PubkeyToAddress(key.PublicKey)}
	for i := range accts {
		accts[i] = NewAccount(t)
		addrs = append(addrs, accts[i].Addr)
	}
	g := block.DevGenesis(node.DefaultDevChainID, time.Now().UnixMilli(), addrs...)
	b, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, node.GenesisFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return accts
}

// AdminAuth is the Authorization header of a session of n's key (the dev
// network's admin, an auditor), as the header pair Do and HTTP take:
//
//	n.HTTP("GET", path, nil, n.AdminAuth()...)
func (n *Node) AdminAuth() []string {
	n.T.Helper()
	return []string{"Authorization", Session(n.T, n, n.Key())}
}

// Auth is AdminAuth for another key.
func (n *Node) Auth(key *ecdsa.PrivateKey) []string {
	n.T.Helper()
	return []string{"Authorization", Session(n.T, n, key)}
}

// RegistryCall signs a registry method call with key (at its next pending
// nonce), submits it and waits for its block; it returns the receipt,
// failed or not.
func RegistryCall(t testing.TB, n *Node, key *ecdsa.PrivateKey, method string, args any) *block.Receipt {
	t.Helper()
	raw, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	from := crypto.PubkeyToAddress(key.PublicKey)
	nonce, err := n.PendingNonce(from)
	if err != nil {
		t.Fatalf("PendingNonce %s: %v", from, err)
	}
	c := tx.Call{From: from, Nonce: nonce, Contract: registry.Address, Method: method, Args: raw, GasLimit: DefaultGas}
	signed, err := tx.SignCall(c, n.ChainID(), key)
	if err != nil {
		t.Fatalf("SignCall: %v", err)
	}
	return n.Commit(signed)
}

// Commit submits t and waits until it is committed, producing blocks
// itself when the node was opened without its producer (Open). It returns
// the receipt and fails the test if t is refused or not committed in
// time.
func (n *Node) Commit(t *tx.Tx) *block.Receipt {
	n.T.Helper()
	return n.CommitAll(t)[0]
}

// CommitAll is Commit for several transactions, submitted in order
// before any is waited for; receipts are in the same order.
func (n *Node) CommitAll(txs ...*tx.Tx) []*block.Receipt {
	n.T.Helper()
	for _, t := range txs {
		if _, err := n.Submit(t); err != nil {
			n.T.Fatalf("submit %s %s: %v", t.Type(), t.Hash(), err)
		}
	}
	out := make([]*block.Receipt, len(txs))
	start := time.Now()
	deadline := start.Add(commitWait)
	for i, t := range txs {
		for {
			if rec, err := n.Ledger().Tx(t.Hash()); err == nil {
				out[i] = rec.Receipt
				break
			}
			if err, dropped := n.Dropped(t.Hash()); dropped {
				n.T.Fatalf("%s %s dropped: %v", t.Type(), t.Hash(), err)
			}
			if time.Now().After(deadline) {
				n.T.Fatalf("%s %s not committed after %v", t.Type(), t.Hash(), commitWait)
			}
			// A started node's producer makes the block, unless its
			// interval is long (a test driving blocks by hand): then
			// CommitAll cuts it, as the test itself would.
			// On a BFT chain blocks come from consensus alone.
			if n.Started && (time.Since(start) < producerGrace || n.Ledger().Genesis().BFT()) {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			a, err := n.ProduceBlock(context.Background())
			if err != nil {
				n.T.Fatalf("ProduceBlock: %v", err)
			}
			if a == nil {
				time.Sleep(time.Millisecond) // nothing ready yet (a deploy compiling)
			}
		}
	}
	return out
}
