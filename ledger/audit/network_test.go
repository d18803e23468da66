package audit

import (
	"bytes"
	"context"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/internal/ledgertest"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/sdk/build/buildtest"
)

// TestReplayRegistryAndUpgrade: a chain with registry calls and an
// upgrade that carried its code exports and replays to the same headers
// and state, the genesis registry records included.
func TestReplayRegistryAndUpgrade(t *testing.T) {
	t.Parallel()
	src := newEnv(t)
	ctx := context.Background()
	v1 := buildtest.Wasm(t, "ledger/testdata/contracts/counter")
	v2 := buildtest.Wasm(t, "ledger/testdata/contracts/counterv2")

	d, err := tx.SignDeploy(tx.Deploy{From: ledgertest.AddrOf(src.owner), Nonce: src.next(src.owner), Name: "counter",
		InitArgs: []byte(`{"start":1}`), GasLimit: block.DefaultBlockDeployGasLimit}, v1, ledgertest.ChainID, src.owner)
	if err != nil {
		t.Fatal(err)
	}
	c := src.apply(d).Receipts[0].ContractAddress
	newcomer := ledgertest.AddrOf(ledgertest.MustKey(t, 7))
	src.apply(
		src.callTx(src.owner, src.next(src.owner), registry.Address, registry.MethodAddMember, map[string]any{"address": newcomer, "roles": []string{"servicer"}}),
		src.callTx(src.owner, src.next(src.owner), c, "inc", map[string]any{}),
	)
	u, err := tx.SignUpgrade(tx.Upgrade{From: ledgertest.AddrOf(src.owner), Nonce: src.next(src.owner), Contract: c,
		MigrateArgs: []byte(`{"add":5}`), GasLimit: block.DefaultBlockDeployGasLimit}, v2, ledgertest.ChainID, src.owner)
	if err != nil {
		t.Fatal(err)
	}
	if rc := src.apply(u).Receipts[0]; !rc.OK() {
		t.Fatalf("upgrade: %s %s", rc.Status, rc.Message)
	}
	h := src.l.Latest().Header.Height

	var buf bytes.Buffer
	if err := Export(ctx, src.l, &buf, 1, h); err != nil {
		t.Fatal(err)
	}
	er, err := ReadExport(bytes.NewReader(buf.Bytes()), tx.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	dst, _ := src.openStore(er.Genesis())
	if h2, err := Replay(ctx, dst, er); err != nil || h2 != h {
		t.Fatalf("replay export: %d %v", h2, err)
	}
	if dst.Latest().Hash() != src.l.Latest().Hash() {
		t.Fatal("export replay ends elsewhere")
	}
	if err := CompareState(src.l, dst); err != nil {
		t.Fatal(err)
	}
	info, err := dst.Contract(c)
	if err != nil || info.CodeHash != crypto.Keccak256Hash(v2) || len(info.Versions) != 2 {
		t.Fatalf("replayed contract %+v %v", info, err)
	}
	if _, err := dst.Code(crypto.Keccak256Hash(v2)); err != nil {
		t.Fatalf("upgrade's carried code after replay: %v", err)
	}
}
