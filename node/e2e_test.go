package node_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/proof"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/api"
)

// submitWait posts t with wait=true over the network and returns the
// committed record.
func submitWait(t *testing.T, n *nodetest.Node, body any) api.Tx {
	t.Helper()
	r := n.HTTP(http.MethodPost, api.PathTxs+"?wait=true&timeout=30s", body, n.AdminAuth()...)
	if r.Status != http.StatusOK {
		t.Fatalf("submit: %d %s", r.Status, r.Body)
	}
	var out api.Tx
	r.JSON(t, &out)
	if out.Status != api.TxCommitted || out.Receipt == nil {
		t.Fatalf("submit: not committed: %s", r.Body)
	}
	return out
}

func createArgs(id string, borrower, servicer common.Address, firstDue int64) map[string]any {
	return map[string]any{
		"id": id, "borrower": borrower.Hex(), "servicer": servicer.Hex(),
		"principal": 30_000_000, "rate_bps": 650, "term_months": 360, "first_due": firstDue,
	}
}

// verifyHeader checks a wire header's hash and signature against the
// node's address.
func verifyHeader(t *testing.T, sh api.SignedHeader, signer common.Address) {
	t.Helper()
	h := block.SignedHeader{Header: block.Header{
		ChainID: sh.Header.ChainID, Height: sh.Header.Height, ParentHash: sh.Header.ParentHash,
		TimeMs: sh.Header.TimeMs, TxRoot: sh.Header.TxRoot, ReceiptRoot: sh.Header.ReceiptRoot,
		StateRoot: sh.Header.StateRoot, Proposer: sh.Header.Proposer, LogRoot: sh.Header.LogRoot,
	}, Signature: sh.Signature}
	if h.Hash() != sh.Hash {
		t.Fatalf("header hash %s, recomputed %s", sh.Hash, h.Hash())
	}
	got, err := h.Signer()
	if err != nil || got != signer {
		t.Fatalf("header signer %s, %v; want %s", got, err, signer)
	}
}

func verifyStateProof(t *testing.T, p api.StateProof, root common.Hash) {
	t.Helper()
	if p.Root != root {
		t.Fatalf("proof root %s, header state root %s", p.Root, root)
	}
	nodes := make([][]byte, len(p.Nodes))
	for i, n := range p.Nodes {
		nodes[i] = n
	}
	v, exists, err := proof.VerifyStateProof(root, p.Contract, p.Key, nodes)
	if err != nil {
		t.Fatalf("verify proof of %x: %v", []byte(p.Key), err)
	}
	if exists != p.Exists || string(v) != string(p.Value) {
		t.Fatalf("proof proves %v %q, claims %v %q", exists, v, p.Exists, []byte(p.Value))
	}
}

func TestEndToEnd(t *testing.T) {
	if raceEnabled {
		// Compiling a Go-built contract under the race detector takes
		// minutes; concurrency is covered by TestConcurrentSubmitters.
		t.Skip("skipped under -race: Wasm compilation is too slow")
	}
	wasm := nodetest.LoanWasm(t)
	dir := t.TempDir()
	n := nodetest.Start(t, nodetest.Config(dir))
	chainID := n.ChainID()
	// Access control is on: the servicer and the borrower join the node
	// key's organisation (in one block, the admin's first transactions).
	servicer := nodetest.NewMember(t, n, "servicer")
	borrower := nodetest.NewMember(t, n, "borrower")
	admin := nodetest.AccountOf(n.Key())
	admin.Nonce = 2 // after the two addMember calls
	auth := n.AdminAuth()

	var chain api.Chain
	n.HTTP(http.MethodGet, api.PathChain, nil).JSON(t, &chain)
	if chain.ChainID != chainID || chain.NodeAddress != n.Address() || len(chain.Domain) == 0 || chain.PrimaryTypes["call"] == "" ||
		chain.Consensus != api.ConsensusSolo || len(chain.Validators) != 0 {
		t.Fatalf("chain = %+v", chain)
	}

	// Deploy and wait.
	dep := submitWait(t, n, admin.Deploy(t, chainID, "loan", wasm))
	if dep.Receipt.Status != "ok" || dep.Receipt.ContractAddress == nil {
		t.Fatalf("deploy receipt: %+v", dep.Receipt)
	}
	loan := *dep.Receipt.ContractAddress
	verifyHeader(t, *dep.Header, n.Address())
	verifyAccountAndContract(t, n, admin.Addr, admin.Nonce, loan, dep.Header.Header.StateRoot)

	// Follow events from the start, in the background.
	events := make(chan sseItem, 1024)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go readSSE(ctx, n.URL()+api.PathEvents+"?from_height=1&contract="+loan.Hex(), "", auth, events)

	// Create loans and pay.
	firstDue := time.Now().Unix() + 30*24*3600
	for i := range 3 {
		rec := submitWait(t, n, admin.Call(t, chainID, loan, "create", createArgs(fmt.Sprintf("L%d", i), borrower.Addr, servicer.Addr, firstDue)))
		if rec.Receipt.Status != "ok" {
			t.Fatalf("create: %+v", rec.Receipt)
		}
		if len(rec.WriteProofs) == 0 {
			t.Fatal("create: no write proofs")
		}
		for _, p := range rec.WriteProofs {
			verifyStateProof(t, p, rec.Header.Header.StateRoot)
		}
		if len(rec.TxProof) == 0 || len(rec.ReceiptProof) == 0 {
			t.Fatal("create: no inclusion proofs")
		}
		if _, err := proof.VerifyInclusion(rec.Header.Header.TxRoot, proof.IndexKey(uint64(rec.Receipt.Index)), toNodes(rec.TxProof)); err != nil {
			t.Fatalf("tx inclusion: %v", err)
		}
		if _, err := proof.VerifyInclusion(rec.Header.Header.ReceiptRoot, proof.IndexKey(uint64(rec.Receipt.Index)), toNodes(rec.ReceiptProof)); err != nil {
			t.Fatalf("receipt inclusion: %v", err)
		}
	}
	pay := submitWait(t, n, servicer.Call(t, chainID, loan, "pay", map[string]any{"id": "L1", "amount": 100_000}))
	if pay.Receipt.Status != "ok" {
		t.Fatalf("pay: %+v", pay.Receipt)
	}
	// A payment by someone else fails in the receipt, not in HTTP.
	bad := submitWait(t, n, borrower.Call(t, chainID, loan, "pay", map[string]any{"id": "L1", "amount": 1}))
	if bad.Receipt.Status == "ok" {
		t.Fatal("pay by borrower succeeded")
	}

	// Query with proofs.
	var q api.QueryResponse
	r := n.HTTP(http.MethodPost, api.PathContracts+"/"+loan.Hex()+"/query", api.QueryRequest{Method: "get", Args: json.RawMessage(`{"id":"L1"}`)}, auth...)
	r.JSON(t, &q)
	if r.Status != 200 || q.Status != "ok" || len(q.Proofs) == 0 {
		t.Fatalf("query: %d %s", r.Status, r.Body)
	}
	var got struct {
		TotalPaid int64 `json:"total_paid"`
	}
	if err := json.Unmarshal(q.Result, &got); err != nil || got.TotalPaid != 100_000 {
		t.Fatalf("query result %s: %v", q.Result, err)
	}
	verifyHeader(t, q.Header, n.Address())
	for _, p := range q.Proofs {
		verifyStateProof(t, p, q.Header.Header.StateRoot)
	}

	// State with proof, now and at the height before the payment.
	var st api.State
	n.HTTP(http.MethodGet, api.StatePath(loan.Hex(), "loan/L1"), nil, auth...).JSON(t, &st)
	if !st.Exists {
		t.Fatalf("state: %+v", st)
	}
	verifyHeader(t, st.Header, n.Address())
	verifyStateProof(t, st.Proof, st.Header.Header.StateRoot)
	var before api.State
	n.HTTP(http.MethodGet, api.StatePath(loan.Hex(), "_")+"?key_hex="+hexutil.Encode([]byte("loan/L1"))+fmt.Sprintf("&height=%d", pay.Receipt.Height-1), nil, auth...).JSON(t, &before)
	if !before.Exists || string(before.Value) == string(st.Value) {
		t.Fatal("state at the earlier height should hold the unpaid loan")
	}
	verifyStateProof(t, before.Proof, before.Header.Header.StateRoot)
	var absent api.State
	n.HTTP(http.MethodGet, api.StatePath(loan.Hex(), "loan/none"), nil, auth...).JSON(t, &absent)
	if absent.Exists {
		t.Fatal("absent key exists")
	}
	verifyStateProof(t, absent.Proof, absent.Header.Header.StateRoot)

	// Lineage, paginated one entry per page.
	var all []api.HistoryEntry
	cursor := ""
	for range 10 {
		var h api.History
		n.HTTP(http.MethodGet, api.HistoryPath(loan.Hex(), "loan/L1")+"?limit=1&cursor="+cursor, nil, auth...).JSON(t, &h)
		all = append(all, h.Entries...)
		if cursor = h.NextCursor; cursor == "" {
			break
		}
	}
	if len(all) != 2 || all[1].TxHash != pay.Hash || all[1].Signer != servicer.Addr || all[0].Signer != admin.Addr {
		t.Fatalf("history = %+v", all)
	}

	// Events: one LoanCreated per loan and one PaymentRecorded, in order.
	got4 := collectEvents(t, events, 4)
	want := "[LoanCreated LoanCreated LoanCreated PaymentRecorded]"
	if fmt.Sprint(eventNames(got4)) != want {
		t.Fatalf("events = %v, want %v", eventNames(got4), want)
	}
	cancel()
	// Reconnect after the second event, filtered to the loan contract:
	// exactly the third and fourth follow.
	resumed := make(chan sseItem, 64)
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	go readSSE(ctx2, n.URL()+api.PathEvents+"?contract="+loan.Hex(), got4[1].ID, auth, resumed)
	got2 := collectEvents(t, resumed, 2)
	if got2[0].ID != got4[2].ID || got2[1].ID != got4[3].ID {
		t.Fatalf("resumed ids %s %s, want %s %s", got2[0].ID, got2[1].ID, got4[2].ID, got4[3].ID)
	}
	cancel2()

	// Restart on the same directory: everything is still there.
	latest := n.Ledger().Latest().Header.Height
	if err := n.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	n2 := nodetest.Start(t, nodetest.Config(dir))
	if n2.Address() != n.Address() || n2.ChainID() != chainID || n2.DevGenesisCreated() {
		t.Fatal("restart did not reuse the key and genesis")
	}
	var chain2 api.Chain
	n2.HTTP(http.MethodGet, api.PathChain, nil).JSON(t, &chain2)
	if chain2.GenesisHash != chain.GenesisHash || chain2.LatestHeight != latest {
		t.Fatalf("after restart chain = %+v, want genesis %s height %d", chain2, chain.GenesisHash, latest)
	}
	var again api.Tx
	n2.HTTP(http.MethodGet, api.PathTxs+"/"+pay.Hash.Hex(), nil, auth...).JSON(t, &again)
	if again.Status != api.TxCommitted || again.Receipt.Height != pay.Receipt.Height {
		t.Fatalf("after restart tx = %+v", again)
	}
	var st2 api.State
	n2.HTTP(http.MethodGet, api.StatePath(loan.Hex(), "loan/L1"), nil, auth...).JSON(t, &st2)
	if string(st2.Value) != string(st.Value) {
		t.Fatal("after restart state differs")
	}
	// Resubmitting a committed transaction is idempotent.
	r = n2.HTTP(http.MethodPost, api.PathTxs, pay.Tx, auth...)
	var re api.Tx
	r.JSON(t, &re)
	if r.Status != http.StatusOK || re.Status != api.TxCommitted || re.Hash != pay.Hash {
		t.Fatalf("resubmit after restart: %d %s", r.Status, r.Body)
	}
	var acct api.Account
	n2.HTTP(http.MethodGet, api.PathAccounts+admin.Addr.Hex(), nil, auth...).JSON(t, &acct)
	if acct.Nonce != admin.Nonce || acct.PendingNonce != admin.Nonce {
		t.Fatalf("account = %+v, want nonce %d", acct, admin.Nonce)
	}
}

func toNodes(ns []hexutil.Bytes) [][]byte {
	out := make([][]byte, len(ns))
	for i, n := range ns {
		out[i] = n
	}
	return out
}

// sseItem is one received Server-Sent Event.
type sseItem struct {
	ID, Type string
	Data     []byte
}

// readSSE streams events from url into out until ctx ends or the stream
// closes; it closes nothing.
func readSSE(ctx context.Context, url, lastID string, auth []string, out chan<- sseItem) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	for i := 0; i+1 < len(auth); i += 2 {
		req.Header.Set(auth[i], auth[i+1])
	}
	if lastID != "" {
		req.Header.Set(api.HeaderLastEventID, lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var cur sseItem
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if cur.Type != "" {
				select {
				case out <- cur:
				case <-ctx.Done():
					return nil
				}
			}
			cur = sseItem{}
		case strings.HasPrefix(line, "id: "):
			cur.ID = line[4:]
		case strings.HasPrefix(line, "event: "):
			cur.Type = line[7:]
		case strings.HasPrefix(line, "data: "):
			cur.Data = []byte(line[6:])
		}
	}
	return sc.Err()
}

// collectEvents reads until k contract events have arrived and returns
// them, checking ids strictly increase.
func collectEvents(t *testing.T, in <-chan sseItem, k int) []sseItem {
	t.Helper()
	var out []sseItem
	var last *api.EventID
	timeout := time.After(20 * time.Second)
	for len(out) < k {
		select {
		case it := <-in:
			id, err := api.ParseEventID(it.ID)
			if err != nil {
				t.Fatal(err)
			}
			if last != nil && !last.Less(id) {
				t.Fatalf("event id %s after %s", id, last)
			}
			last = &id
			if it.Type == api.SSEEvent {
				out = append(out, it)
			}
		case <-timeout:
			t.Fatalf("got %d events, want %d", len(out), k)
		}
	}
	return out
}

func eventNames(items []sseItem) []string {
	var names []string
	for _, it := range items {
		var ev api.ContractEvent
		_ = json.Unmarshal(it.Data, &ev)
		names = append(names, ev.Name)
	}
	return names
}

// verifyAccountAndContract checks that the account and contract answers
// carry proofs of their nonce and metadata against their signed header,
// and that the deploy changed the state root.
func verifyAccountAndContract(t *testing.T, n *nodetest.Node, acct common.Address, nonce uint64, contract common.Address, deployRoot common.Hash) {
	t.Helper()
	var a api.Account
	n.HTTP(http.MethodGet, api.PathAccounts+acct.Hex(), nil, n.AdminAuth()...).JSON(t, &a)
	if a.Proof == nil || a.Header == nil || !a.Proof.Exists || a.Nonce != nonce {
		t.Fatalf("account = %+v", a)
	}
	verifyHeader(t, *a.Header, n.Address())
	verifyStateProof(t, *a.Proof, a.Header.Header.StateRoot)
	if a.Proof.Contract != ledger.SystemAddress || string(a.Proof.Key) != string(ledger.NonceStateKey(acct)) ||
		binary.BigEndian.Uint64(a.Proof.Value) != a.Nonce {
		t.Fatalf("nonce proof %+v", *a.Proof)
	}

	var c api.Contract
	n.HTTP(http.MethodGet, api.PathContracts+"/"+contract.Hex(), nil, n.AdminAuth()...).JSON(t, &c)
	if c.Proof == nil || c.Header == nil || !c.Proof.Exists || c.Address != contract {
		t.Fatalf("contract = %+v", c)
	}
	verifyHeader(t, *c.Header, n.Address())
	verifyStateProof(t, *c.Proof, c.Header.Header.StateRoot)
	if string(c.Proof.Key) != string(ledger.ContractStateKey(contract)) {
		t.Fatalf("contract proof key %x", []byte(c.Proof.Key))
	}
	// The proven value is the metadata served beside it.
	var rec struct {
		Name     string
		CodeHash common.Hash
		Deployer common.Address
		Height   uint64
		TxHash   common.Hash
		Methods  []string
		Org      string
		Versions []struct {
			CodeHash  common.Hash
			Height    uint64
			TxHash    common.Hash
			Approvers []string
		}
		// Present when the code carries a manifest.
		ManifestHash common.Hash `rlp:"optional"`
	}
	if err := rlp.DecodeBytes(c.Proof.Value, &rec); err != nil {
		t.Fatal(err)
	}
	manifestHash := common.Hash{}
	if c.ManifestHash != nil {
		manifestHash = *c.ManifestHash
	}
	if rec.Name != c.Name || rec.CodeHash != c.CodeHash || rec.Deployer != c.Deployer || rec.Height != c.Height || rec.TxHash != c.TxHash ||
		rec.Org != c.Org || len(rec.Versions) != len(c.Versions) || rec.ManifestHash != manifestHash {
		t.Fatalf("proven %+v, served %+v", rec, c)
	}
	gen, err := n.Ledger().Header(0)
	if err != nil {
		t.Fatal(err)
	}
	if deployRoot == gen.Header.StateRoot {
		t.Fatal("deploy did not change the state root")
	}
}
