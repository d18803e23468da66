package ledger

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/internal/ledgertest"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/ledger/storage"
)

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
