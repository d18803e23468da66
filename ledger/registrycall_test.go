package ledger

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/internal/ledgertest"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/status"
)

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
