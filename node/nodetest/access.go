package nodetest

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/ledger/tx"
)

// commitWait bounds how long helpers wait for a transaction's block.
const commitWait = 20 * time.Second

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
	a := NewAccount(t)
	AddMember(t, n, a.Addr, roles...)
	return a
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
	if _, err := n.Submit(t); err != nil {
		n.T.Fatalf("submit %s %s: %v", t.Type(), t.Hash(), err)
	}
	deadline := time.Now().Add(commitWait)
	for {
		if rec, err := n.Ledger().Tx(t.Hash()); err == nil {
			return rec.Receipt
		}
		if err, dropped := n.Dropped(t.Hash()); dropped {
			n.T.Fatalf("%s %s dropped: %v", t.Type(), t.Hash(), err)
		}
		if time.Now().After(deadline) {
			n.T.Fatalf("%s %s not committed after %v", t.Type(), t.Hash(), commitWait)
		}
		if n.Started {
			time.Sleep(5 * time.Millisecond)
			continue
		}
		if _, err := n.ProduceBlock(context.Background()); err != nil {
			n.T.Fatalf("ProduceBlock: %v", err)
		}
	}
}
