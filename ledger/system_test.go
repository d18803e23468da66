package ledger

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/internal/ledgertest"
	"github.com/meshledger/meshledger/ledger/proof"
)

// verifyAgainst checks a state proof against a header's state root with
// the standalone verifier, and returns the proven value.
func verifyAgainst(t *testing.T, sh *block.SignedHeader, p *proof.StateProof, key []byte) ([]byte, bool) {
	t.Helper()
	if p.Root != sh.Header.StateRoot || p.Contract != SystemAddress || !bytes.Equal(p.Key, key) {
		t.Fatalf("proof for %s/%x at %s, header root %s", p.Contract, p.Key, p.Root, sh.Header.StateRoot)
	}
	v, ok, err := proof.VerifyStateProof(sh.Header.StateRoot, SystemAddress, key, p.Nodes)
	if err != nil {
		t.Fatalf("verify %x: %v", key, err)
	}
	if ok != p.Exists || !bytes.Equal(v, p.Value) {
		t.Fatalf("proof claims %x/%v, verifies to %x/%v", p.Value, p.Exists, v, ok)
	}
	return v, ok
}

func TestSystemNamespaceProofs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := ledgertest.AddrOf(e.owner)

	// Before anything: nonce 0 is proven by absence; no contract.
	ap, err := e.l.ProveAccount(owner)
	if err != nil || ap.Nonce != 0 || ap.Proof.Exists {
		t.Fatalf("fresh account: %+v, %v", ap, err)
	}
	verifyAgainst(t, ap.Header, ap.Proof, NonceStateKey(owner))

	rootBefore := e.l.Latest().Header.StateRoot
	e.setup() // deploy (block 1), then a call (block 2)
	deployHeader, err := e.l.Header(1)
	if err != nil {
		t.Fatal(err)
	}
	if deployHeader.Header.StateRoot == rootBefore {
		t.Fatal("deploy did not change the state root")
	}

	ap, err = e.l.ProveAccount(owner)
	if err != nil {
		t.Fatal(err)
	}
	v, ok := verifyAgainst(t, ap.Header, ap.Proof, NonceStateKey(owner))
	if next, _ := e.l.NextNonce(owner); !ok || ap.Nonce != 2 || next != 2 || binary.BigEndian.Uint64(v) != 2 {
		t.Fatalf("proven nonce %d (%x), flat index %d", ap.Nonce, v, next)
	}
	if err := ap.Header.VerifySignature(); err != nil {
		t.Fatal(err)
	}

	cp, err := e.l.ProveContract(e.loan)
	if err != nil {
		t.Fatal(err)
	}
	v, ok = verifyAgainst(t, cp.Header, cp.Proof, ContractStateKey(e.loan))
	rec, err := decodeContract(v)
	if err != nil || !ok {
		t.Fatalf("decode proven contract: %v", err)
	}
	flat, err := e.l.Contract(e.loan)
	if err != nil {
		t.Fatal(err)
	}
	if got := rec.info(e.loan); got.CodeHash != flat.CodeHash || got.Name != flat.Name || got.Deployer != owner ||
		got.Height != 1 || got.TxHash != flat.TxHash || cp.Info.CodeHash != flat.CodeHash {
		t.Fatalf("proven %+v, flat %+v", got, flat)
	}
	// The deploy block's own root already proves the contract.
	if p, err := e.l.State(SystemAddress, ContractStateKey(e.loan), 1); err != nil || !p.Proof.Exists {
		t.Fatalf("contract at deploy height: %v", err)
	} else {
		verifyAgainst(t, p.Header, p.Proof, ContractStateKey(e.loan))
	}
	// Tampering with the proven value fails verification.
	bad := bytes.Clone(cp.Proof.Nodes[len(cp.Proof.Nodes)-1])
	bad[len(bad)-1] ^= 1
	nodes := append(append([][]byte(nil), cp.Proof.Nodes[:len(cp.Proof.Nodes)-1]...), bad)
	if _, _, err := proof.VerifyStateProof(cp.Header.Header.StateRoot, SystemAddress, ContractStateKey(e.loan), nodes); err == nil {
		t.Fatal("tampered proof verified")
	}

	if _, err := e.l.ProveContract(common.HexToAddress("0xdead")); !errors.Is(err, ErrUnknownContract) {
		t.Fatalf("unknown contract: %v", err)
	}
}

// TestSystemAddressIsNotAContract: the zero address is never a contract,
// so no call, query or contract write reaches the system namespace.
func TestSystemAddressIsNotAContract(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.setup()
	if _, err := e.l.Contract(SystemAddress); !errors.Is(err, ErrUnknownContract) {
		t.Fatalf("Contract(0): %v", err)
	}
	if _, err := e.l.ProveContract(SystemAddress); !errors.Is(err, ErrUnknownContract) {
		t.Fatalf("ProveContract(0): %v", err)
	}
	call := e.callTx(e.servicer, e.nonce(e.servicer), SystemAddress, "get", map[string]any{})
	if err := e.l.CheckTx(call); !errors.Is(err, ErrUnknownContract) {
		t.Fatalf("CheckTx call to 0: %v", err)
	}
	before := e.l.Latest().Header.Height
	if _, err := e.l.Query(t.Context(), SystemAddress, "get", nil, before, 0); !errors.Is(err, ErrUnknownContract) {
		t.Fatalf("query of 0: %v", err)
	}
	a := e.apply(call)
	if r := a.Receipts[0]; r.Status != block.StatusUnknownContract || len(r.Writes) != 0 {
		t.Fatalf("call to 0: %+v", *r)
	}
	// Every write a contract made is under its own address.
	for h := uint64(1); h <= e.l.Latest().Header.Height; h++ {
		rs, err := e.l.Receipts(h)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			for _, w := range r.Writes {
				if w.Contract == SystemAddress {
					t.Fatalf("block %d: a contract wrote the system namespace: %+v", h, w)
				}
			}
		}
	}
}
