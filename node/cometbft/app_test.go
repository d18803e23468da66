package cometbft_test

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/node/cometbft"
	"github.com/meshledger/meshledger/runtime"
	"github.com/meshledger/meshledger/sdk/build/buildtest"
)

const testChainID = 7

type appEnv struct {
	t       *testing.T
	genesis *block.Genesis
	admin   *ecdsa.PrivateKey
}

func newAppEnv(t *testing.T) *appEnv {
	admin, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	g := block.DevGenesis(testChainID, 1_700_000_000_000, crypto.PubkeyToAddress(admin.PublicKey))
	g.Consensus = block.ConsensusCometBFT
	return &appEnv{t: t, genesis: g, admin: admin}
}

// open opens a BFT ledger in dir (a new one when dir is "").
func (e *appEnv) open(dir string) (*ledger.Ledger, string) {
	e.t.Helper()
	if dir == "" {
		dir = e.t.TempDir()
	}
	rc := runtime.NewConfig().WithCompiledCacheDir(buildtest.CompiledCacheDir())
	l, err := ledger.Open(context.Background(), ledger.Config{Dir: dir, Genesis: e.genesis, RuntimeConfig: &rc})
	if err != nil {
		e.t.Fatal(err)
	}
	return l, dir
}

func (e *appEnv) deploy(nonce uint64) (*tx.Tx, common.Address) {
	e.t.Helper()
	d := tx.Deploy{From: crypto.PubkeyToAddress(e.admin.PublicKey), Nonce: nonce, Name: "loan", GasLimit: block.DefaultBlockDeployGasLimit}
	t, err := tx.SignDeploy(d, buildtest.Wasm(e.t, "contracts/loan"), testChainID, e.admin)
	if err != nil {
		e.t.Fatal(err)
	}
	return t, d.ContractAddress()
}

func (e *appEnv) call(key *ecdsa.PrivateKey, chainID, nonce uint64, contract common.Address, method string, args any) *tx.Tx {
	e.t.Helper()
	raw, err := json.Marshal(args)
	if err != nil {
		e.t.Fatal(err)
	}
	t, err := tx.SignCall(tx.Call{From: crypto.PubkeyToAddress(key.PublicKey), Nonce: nonce, Contract: contract, Method: method, Args: raw, GasLimit: 50_000_000}, chainID, key)
	if err != nil {
		e.t.Fatal(err)
	}
	return t
}

func raw(t *testing.T, txs ...*tx.Tx) [][]byte {
	t.Helper()
	out := make([][]byte, len(txs))
	for i, x := range txs {
		b, err := cometbft.EncodeTx(x)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = b
	}
	return out
}

func TestTxEnvelope(t *testing.T) {
	e := newAppEnv(t)
	d, _ := e.deploy(0)
	b := raw(t, d)[0]
	back, err := cometbft.DecodeTx(b, tx.DefaultLimits())
	if err != nil || back.Hash() != d.Hash() || len(back.Code()) != len(d.Code()) {
		t.Fatalf("round trip: %v", err)
	}
	for _, bad := range [][]byte{nil, {0x01}, b[:len(b)/2]} {
		if _, err := cometbft.DecodeTx(bad, tx.DefaultLimits()); !errors.Is(err, tx.ErrMalformed) {
			t.Errorf("%x: %v, want ErrMalformed", bad, err)
		}
	}
}

// TestAppTwoNodes drives the application of two nodes through the ABCI
// calls CometBFT makes, and checks they agree at every height: the app
// hash, the results and the ledger's tip.
func TestAppTwoNodes(t *testing.T) {
	ctx := context.Background()
	e := newAppEnv(t)
	la, dirA := e.open("")
	lb, _ := e.open("")
	defer lb.Close(ctx)
	var committed []*ledger.Applied
	appA, err := cometbft.NewApp(la, func(a *ledger.Applied) { committed = append(committed, a) })
	if err != nil {
		t.Fatal(err)
	}
	appB, err := cometbft.NewApp(lb, nil)
	if err != nil {
		t.Fatal(err)
	}
	apps := []*cometbft.App{appA, appB}

	// InitChain: the chain id must be the ledger's; the app hash is the
	// genesis header's.
	if _, err := appA.InitChain(ctx, &abci.RequestInitChain{ChainId: "other", InitialHeight: 1}); err == nil {
		t.Fatal("InitChain accepted another chain id")
	}
	for _, app := range apps {
		res, err := app.InitChain(ctx, &abci.RequestInitChain{ChainId: cometbft.ChainID(testChainID), InitialHeight: 1})
		if err != nil || common.BytesToHash(res.AppHash) != la.Latest().Hash() {
			t.Fatalf("InitChain: %v", err)
		}
	}

	deploy, loan := e.deploy(0)
	create := e.call(e.admin, testChainID, 1, loan, "create", map[string]any{
		"id": "L1", "borrower": crypto.PubkeyToAddress(e.admin.PublicKey).Hex(), "servicer": crypto.PubkeyToAddress(e.admin.PublicKey).Hex(),
		"principal": 30_000_000, "rate_bps": 650, "term_months": 360, "first_due": e.genesis.TimeMs/1000 + 30*86400,
	})
	pay := e.call(e.admin, testChainID, 2, loan, "pay", map[string]any{"id": "L1", "amount": 1000})
	gap := e.call(e.admin, testChainID, 9, loan, "pay", map[string]any{"id": "L1", "amount": 1})
	stranger, _ := crypto.GenerateKey()
	outsider := e.call(stranger, testChainID, 0, loan, "pay", map[string]any{"id": "L1", "amount": 1})
	otherChain := e.call(e.admin, testChainID+1, 0, loan, "pay", map[string]any{"id": "L1", "amount": 1})

	// CheckTx: admission.
	for _, c := range []struct {
		name string
		tx   []byte
		code uint32
	}{
		{"deploy", raw(t, deploy)[0], cometbft.CodeOK},
		{"call to a pending deploy", raw(t, create)[0], cometbft.CodeOK},
		{"garbage", []byte("not a tx"), cometbft.CodeMalformed},
		{"non-member", raw(t, outsider)[0], cometbft.CodeRefused},
		{"other chain", raw(t, otherChain)[0], cometbft.CodeRefused},
	} {
		res, err := appA.CheckTx(ctx, &abci.RequestCheckTx{Tx: c.tx})
		if err != nil || res.Code != c.code {
			t.Errorf("CheckTx %s: code %d (%s), %v; want %d", c.name, res.GetCode(), res.GetLog(), err, c.code)
		}
	}

	// PrepareProposal: nonce order per sender, no gaps, junk left out.
	prep, err := appA.PrepareProposal(ctx, &abci.RequestPrepareProposal{
		MaxTxBytes: 64 << 20, Txs: append(raw(t, pay, gap, create), append([][]byte{[]byte("junk")}, raw(t, deploy, otherChain)...)...),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := raw(t, deploy, create, pay)
	if len(prep.Txs) != len(want) {
		t.Fatalf("prepared %d txs, want %d", len(prep.Txs), len(want))
	}
	for i := range want {
		if string(prep.Txs[i]) != string(want[i]) {
			t.Fatalf("prepared tx %d out of order", i)
		}
	}
	if small, _ := appA.PrepareProposal(ctx, &abci.RequestPrepareProposal{MaxTxBytes: int64(len(want[0]) - 1), Txs: want}); len(small.Txs) != 0 {
		t.Fatalf("%d txs past the byte limit", len(small.Txs))
	}

	// ProcessProposal: only well-formed, correctly signed txs of this chain.
	for _, c := range []struct {
		name string
		txs  [][]byte
		ok   bool
	}{
		{"prepared", prep.Txs, true},
		{"junk", append(raw(t, deploy), []byte("junk")), false},
		{"other chain", raw(t, otherChain), false},
		{"gap (the executor's to reject)", raw(t, gap), true},
	} {
		res, err := appB.ProcessProposal(ctx, &abci.RequestProcessProposal{Txs: c.txs, Height: 1})
		if err != nil || (res.Status == abci.ResponseProcessProposal_ACCEPT) != c.ok {
			t.Errorf("ProcessProposal %s: %v, %v", c.name, res.GetStatus(), err)
		}
	}

	// FinalizeBlock + Commit on both: same app hash and results.
	proposer := make([]byte, 20)
	proposer[19] = 1
	at := time.UnixMilli(e.genesis.TimeMs + 5000)
	block1 := append(append([][]byte{}, prep.Txs...), raw(t, gap)...)
	var hashes [][]byte
	for _, app := range apps {
		res, err := app.FinalizeBlock(ctx, &abci.RequestFinalizeBlock{Height: 1, Time: at, ProposerAddress: proposer, Txs: block1})
		if err != nil {
			t.Fatal(err)
		}
		codes := []uint32{}
		for _, r := range res.TxResults {
			codes = append(codes, r.Code)
		}
		if len(codes) != 4 || codes[0] != cometbft.CodeOK || codes[1] != cometbft.CodeOK || codes[2] != cometbft.CodeOK || codes[3] != cometbft.CodeRejected {
			t.Fatalf("results %v", codes)
		}
		hashes = append(hashes, res.AppHash)
		if _, err := app.Commit(ctx, &abci.RequestCommit{}); err != nil {
			t.Fatal(err)
		}
	}
	if string(hashes[0]) != string(hashes[1]) || common.BytesToHash(hashes[0]) != la.Latest().Hash() || la.Latest().Hash() != lb.Latest().Hash() {
		t.Fatal("nodes disagree after height 1")
	}
	if len(committed) != 1 || len(committed[0].Receipts) != 3 || committed[0].Header.Header.Proposer != common.BytesToAddress(proposer) {
		t.Fatalf("commit hook saw %+v", committed)
	}

	// Height 2 is empty: the app hash stays.
	for _, app := range apps {
		res, err := app.FinalizeBlock(ctx, &abci.RequestFinalizeBlock{Height: 2, Time: at.Add(time.Second), ProposerAddress: proposer})
		if err != nil || string(res.AppHash) != string(hashes[0]) {
			t.Fatalf("empty height: %v", err)
		}
		if _, err := app.Commit(ctx, &abci.RequestCommit{}); err != nil {
			t.Fatal(err)
		}
		info, err := app.Info(ctx, &abci.RequestInfo{})
		if err != nil || info.LastBlockHeight != 2 || string(info.LastBlockAppHash) != string(hashes[0]) {
			t.Fatalf("Info %+v, %v", info, err)
		}
	}
	if _, err := appA.Commit(ctx, &abci.RequestCommit{}); err == nil {
		t.Fatal("Commit without FinalizeBlock succeeded")
	}

	// A crash between FinalizeBlock and Commit: height 3 is lost, and Info
	// tells CometBFT to replay it.
	if _, err := appA.FinalizeBlock(ctx, &abci.RequestFinalizeBlock{Height: 3, Time: at.Add(2 * time.Second), ProposerAddress: proposer,
		Txs: raw(t, e.call(e.admin, testChainID, 3, loan, "pay", map[string]any{"id": "L1", "amount": 5}))}); err != nil {
		t.Fatal(err)
	}
	if err := la.Close(ctx); err != nil {
		t.Fatal(err)
	}
	la, _ = e.open(dirA)
	defer la.Close(ctx)
	appA, _ = cometbft.NewApp(la, nil)
	info, err := appA.Info(ctx, &abci.RequestInfo{})
	if err != nil || info.LastBlockHeight != 2 || string(info.LastBlockAppHash) != string(hashes[0]) {
		t.Fatalf("Info after a crash before commit: %+v, %v", info, err)
	}
}

func TestNewAppRefusesSoloChain(t *testing.T) {
	e := newAppEnv(t)
	e.genesis.Consensus = ""
	l, _ := e.open("")
	defer l.Close(context.Background())
	if _, err := cometbft.NewApp(l, nil); !errors.Is(err, ledger.ErrWrongMode) {
		t.Fatalf("NewApp on a solo chain: %v, want ErrWrongMode", err)
	}
}
