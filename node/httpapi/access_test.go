package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/api"
)

// network is a node whose genesis has three organisations: a and b, each
// with one admin who may deploy, and c, whose admin is the auditor.
type network struct {
	n                *testNode
	a, b, aud, outer *nodetest.Account
	sessions         map[common.Address]string
}

func startNetwork(t testing.TB) *network {
	t.Helper()
	cfg := node.Config{DataDir: t.TempDir()}
	w := &network{a: nodetest.NewAccount(t), b: nodetest.NewAccount(t), aud: nodetest.NewAccount(t), outer: nodetest.NewAccount(t)}
	policy := registry.DefaultPolicy()
	policy.DeployPolicy = registry.DeployOpen
	org := func(id string, a *nodetest.Account, roles ...string) registry.GenesisOrg {
		return registry.GenesisOrg{ID: id, Name: "Org " + id, Members: []registry.GenesisMember{{Address: a.Addr, Roles: roles}}}
	}
	writeGenesis(t, cfg.DataDir, &block.Genesis{
		ChainID: 1337, TimeMs: time.Now().UnixMilli(), BlockGasLimit: block.DefaultBlockGasLimit,
		Orgs: []registry.GenesisOrg{
			org("a", w.a, registry.RoleAdmin, registry.RoleDeployer),
			org("b", w.b, registry.RoleAdmin, registry.RoleDeployer),
			org("c", w.aud, registry.RoleAdmin, registry.RoleAuditor),
		},
		Policy: &policy,
	})
	w.n = &testNode{Node: nodetest.Start(t, cfg)}
	w.sessions = map[common.Address]string{}
	for _, acc := range []*nodetest.Account{w.a, w.b, w.aud, w.outer} {
		w.sessions[acc.Addr] = sessionHeader(t, acc.Key, w.n.ChainID(), time.Now(), time.Hour)
	}
	return w
}

// as calls the API over the network as reader.
func (w *network) as(reader *nodetest.Account, method, path string, body any) nodetest.Response {
	return w.n.Node.HTTP(method, path, body, api.HeaderAuthorization, w.sessions[reader.Addr])
}

// commit submits x and waits for its receipt, which must be ok.
func (w *network) commit(t testing.TB, x *tx.Tx) *api.Tx {
	t.Helper()
	r := w.n.Node.HTTP(http.MethodPost, api.PathTxs+"?wait=true&timeout=20s", encodeB(t, x))
	var out api.Tx
	r.JSON(t, &out)
	if r.Status != http.StatusOK || out.Receipt == nil {
		t.Fatalf("commit: %d %s", r.Status, r.Body)
	}
	return &out
}

func loanArgs(id string, borrower, servicer common.Address) map[string]any {
	return map[string]any{
		"id": id, "borrower": borrower.Hex(), "servicer": servicer.Hex(),
		"principal": 30_000_000, "rate_bps": 650, "term_months": 360, "first_due": 1_900_000_000,
	}
}

// TestReadAccess runs the read rules over real HTTP: org a deploys the
// loan contract and books a loan whose parties are a's; org b books one
// whose parties are b's (the loan's read policy gives loan/<id> to its
// parties, and its events go to them). Org a and the auditor read a's
// loan's key and history; b reads neither (403 forbidden). Each reads its own
// transaction and events and not the other's (404 for a transaction, as
// if it did not exist); the auditor reads everything; an outsider with a
// valid session reads nothing.
func TestReadAccess(t *testing.T) {
	w := startNetwork(t)
	id := w.n.ChainID()
	dep := w.a.Deploy(t, id, "loan", nodetest.LoanWasm(t))
	w.commit(t, dep)
	loan := dep.Message().(*tx.Deploy).ContractAddress()
	createA := w.a.Call(t, id, loan, "create", loanArgs("L1", w.a.Addr, w.a.Addr))
	recA := w.commit(t, createA)
	if recA.Receipt.Status != "ok" || len(recA.Receipt.Events) != 1 {
		t.Fatalf("create: %+v", recA.Receipt)
	}
	createB := w.b.Call(t, id, loan, "create", loanArgs("L2", w.b.Addr, w.b.Addr))
	w.commit(t, createB)

	statePath := api.StatePath(loan.Hex(), "loan/L1")
	historyPath := api.HistoryPath(loan.Hex(), "loan/L1")
	unknown := w.as(w.b, http.MethodGet, api.PathTxs+"/"+common.Hash{1}.Hex(), nil)
	wantError(t, unknown, http.StatusNotFound, api.CodeNotFound)

	for _, rp := range []struct {
		reader *nodetest.Account
		path   string
	}{
		{w.a, statePath}, {w.a, historyPath}, {w.a, api.PathTxs + "/" + createA.Hash().Hex()},
		{w.aud, statePath}, {w.aud, historyPath}, {w.aud, api.PathTxs + "/" + createA.Hash().Hex()}, {w.aud, api.PathTxs + "/" + createB.Hash().Hex()},
	} {
		if r := w.as(rp.reader, http.MethodGet, rp.path, nil); r.Status != http.StatusOK {
			t.Errorf("%s reads %s: %d %s", rp.reader.Addr, rp.path, r.Status, r.Body)
		}
	}
	wantError(t, w.as(w.a, http.MethodGet, api.PathTxs+"/"+createB.Hash().Hex(), nil), http.StatusNotFound, api.CodeNotFound)
	for _, p := range []string{statePath, historyPath, statePath + "?height=1"} {
		r := w.as(w.b, http.MethodGet, p, nil)
		wantError(t, r, http.StatusForbidden, api.CodeForbidden)
		if !strings.Contains(string(r.Body), `"message":"forbidden"`) {
			t.Errorf("refusal of %s says more than forbidden: %s", p, r.Body)
		}
	}
	// Org b's own transaction is its to read; org a's answers as unknown.
	if r := w.as(w.b, http.MethodGet, api.PathTxs+"/"+createB.Hash().Hex(), nil); r.Status != http.StatusOK {
		t.Errorf("b reads its own tx: %d %s", r.Status, r.Body)
	}
	hidden := w.as(w.b, http.MethodGet, api.PathTxs+"/"+createA.Hash().Hex(), nil)
	wantError(t, hidden, http.StatusNotFound, api.CodeNotFound)
	if strings.ReplaceAll(string(hidden.Body), createA.Hash().Hex(), "H") != strings.ReplaceAll(string(unknown.Body), (common.Hash{1}).Hex(), "H") {
		t.Errorf("a hidden tx answers %s, an unknown one %s", hidden.Body, unknown.Body)
	}
	// Every member may query, and the contract sees the reader as its
	// caller: the loan answers its parties only. The registry's keys are
	// every member's.
	query := api.QueryRequest{Method: "get", Args: json.RawMessage(`{"id":"L1"}`)}
	var qa, qb api.QueryResponse
	if r := w.as(w.a, http.MethodPost, api.PathContracts+"/"+loan.Hex()+"/query", query); r.Status != http.StatusOK {
		t.Errorf("a queries: %d %s", r.Status, r.Body)
	} else {
		r.JSON(t, &qa)
	}
	if r := w.as(w.b, http.MethodPost, api.PathContracts+"/"+loan.Hex()+"/query", query); r.Status != http.StatusOK {
		t.Errorf("b queries: %d %s", r.Status, r.Body)
	} else {
		r.JSON(t, &qb)
	}
	if qa.Status != "ok" || qb.Status == "ok" {
		t.Errorf("query as a: %s, as b: %s %s; want ok, then refused", qa.Status, qb.Status, qb.Message)
	}
	if r := w.as(w.b, http.MethodGet, api.StatePath(registry.Address.Hex(), registry.KeyPolicy), nil); r.Status != http.StatusOK {
		t.Errorf("b reads the registry: %d %s", r.Status, r.Body)
	}

	// Blocks: b sees that a's block holds one transaction, not which.
	h := recA.Receipt.Height
	var blkA, blkB, blkAud api.Block
	w.as(w.a, http.MethodGet, api.PathBlocks+itoa(h), nil).JSON(t, &blkA)
	w.as(w.b, http.MethodGet, api.PathBlocks+itoa(h), nil).JSON(t, &blkB)
	w.as(w.aud, http.MethodGet, api.PathBlocks+itoa(h), nil).JSON(t, &blkAud)
	if blkA.TxCount != 1 || len(blkA.TxHashes) != 1 || blkB.TxCount != 1 || len(blkB.TxHashes) != 0 || len(blkAud.TxHashes) != 1 {
		t.Fatalf("block %d: a %+v, b %+v, auditor %+v", h, blkA, blkB, blkAud)
	}
	if blkB.Header.Hash != blkA.Header.Hash {
		t.Fatal("readers see different headers")
	}

	// A pending transaction is its sender's organisation's and the
	// auditor's: it waits behind a nonce gap, so it stays pending.
	gapped := call(t, w.a, id, w.a.Nonce+3, 1000)
	if r := w.n.Node.HTTP(http.MethodPost, api.PathTxs, encode(t, gapped)); r.Status != http.StatusAccepted {
		t.Fatalf("gapped: %d %s", r.Status, r.Body)
	}
	for _, reader := range []*nodetest.Account{w.a, w.aud} {
		var got api.Tx
		r := w.as(reader, http.MethodGet, api.PathTxs+"/"+gapped.Hash().Hex(), nil)
		r.JSON(t, &got)
		if r.Status != http.StatusOK || got.Status != api.TxPending {
			t.Errorf("%s reads a's pending tx: %d %s", reader.Addr, r.Status, r.Body)
		}
	}
	wantError(t, w.as(w.b, http.MethodGet, api.PathTxs+"/"+gapped.Hash().Hex(), nil), http.StatusNotFound, api.CodeNotFound)

	// An outsider with a valid session reads nothing at all.
	for _, p := range []string{statePath, api.PathBlocks + "latest", api.PathOrgs, api.PathTxs + "/" + createB.Hash().Hex()} {
		wantError(t, w.as(w.outer, http.MethodGet, p, nil), http.StatusForbidden, api.CodeNotAMember)
	}

	// Events: each loan's event goes to its parties and the auditor;
	// blocks go to every member, listing only the transactions whose
	// events the reader receives. One more block closes the streams.
	last := w.commit(t, call(t, w.a, id, w.a.Nonce, 1000)).Receipt.Height
	items := func(reader *nodetest.Account) (events []api.ContractEvent, blocks []api.BlockEvent) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, w.n.URL()+api.PathEvents+"?from_height=1", nil)
		req.Header.Set(api.HeaderAuthorization, w.sessions[reader.Addr])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("events: %d", resp.StatusCode)
		}
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		kind := ""
		for sc.Scan() {
			line := sc.Text()
			if k, ok := strings.CutPrefix(line, "event: "); ok {
				kind = k
			}
			data, ok := strings.CutPrefix(line, "data: ")
			if !ok {
				continue
			}
			if kind == api.SSEEvent {
				var ev api.ContractEvent
				if err := json.Unmarshal([]byte(data), &ev); err != nil {
					t.Fatal(err)
				}
				events = append(events, ev)
				continue
			}
			var b api.BlockEvent
			if err := json.Unmarshal([]byte(data), &b); err != nil {
				t.Fatal(err)
			}
			blocks = append(blocks, b)
			if b.Height == last {
				return events, blocks
			}
		}
		t.Fatalf("stream of %s ended before block %d: %v", reader.Addr, last, sc.Err())
		return nil, nil
	}
	txsOf := func(evs []api.ContractEvent) []common.Hash {
		var out []common.Hash
		for _, e := range evs {
			out = append(out, e.TxHash)
		}
		return out
	}
	evA, blocksA := items(w.a)
	evB, blocksB := items(w.b)
	evAud, _ := items(w.aud)
	if got := txsOf(evA); len(got) != 1 || got[0] != createA.Hash() {
		t.Errorf("a received events of %v, want of %s only", got, createA.Hash())
	}
	if got := txsOf(evB); len(got) != 1 || got[0] != createB.Hash() {
		t.Errorf("b received events of %v, want of %s only", got, createB.Hash())
	}
	if len(evAud) != 2 {
		t.Errorf("the auditor received %d events, want 2", len(evAud))
	}
	for _, b := range blocksB {
		if b.Height == h && (b.TxCount != 1 || len(b.TxHashes) != 0) {
			t.Errorf("b's stream lists a's transaction: %+v", b)
		}
	}
	for _, b := range blocksA {
		if b.Height == h && (len(b.TxHashes) != 1 || b.TxHashes[0] != createA.Hash()) {
			t.Errorf("a's stream does not list its transaction: %+v", b)
		}
	}
	if len(blocksB) != int(last) {
		t.Errorf("b received %d blocks, want %d", len(blocksB), last)
	}
}
