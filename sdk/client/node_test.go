package client_test

// Tests of the client against a real node on 127.0.0.1.

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/client"
)

// testNet is a started node, a client signing as its admin, and the loan
// contract it deployed.
type testNet struct {
	node  *nodetest.Node
	admin *client.Client
	loan  common.Address
}

// TestAgainstNode runs the client's tests against one real node: starting
// it and deploying the loan contract is by far the slowest part, so it is
// done once.
func TestAgainstNode(t *testing.T) {
	n := nodetest.Start(t, nodetest.Config(t.TempDir()))
	c, err := client.New(n.URL(), client.WithKey(client.NewKey(n.Key())), client.WithTrustedNodes(n.Address()),
		client.WithPollInterval(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := c.Submit(ctx(t), client.DeployOp(nodetest.LoanWasm(t), "loan", nil), client.Wait())
	if err == nil {
		err = client.ReceiptError(rec)
	}
	if err != nil {
		t.Fatalf("deploy the loan contract: %v", err)
	}
	tn := &testNet{node: n, admin: c, loan: *rec.Receipt.ContractAddress}
	for _, tt := range []struct {
		name string
		fn   func(*testing.T, *testNet)
	}{
		{"SubmitWaitAndVerify", testClientSubmitWaitAndVerify},
		{"ConcurrentSubmittersNoNonceGaps", testClientConcurrentSubmittersNoNonceGaps},
		{"ResyncsAfterForeignSubmitter", testClientResyncsAfterForeignSubmitter},
		{"Batch", testClientBatch},
		{"EventsFromNode", testClientEventsFromNode},
		{"NotFound", testClientNotFound},
		{"Registry", testClientRegistry},
		{"Access", testClientAccess},
	} {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, tn) })
	}
}

// callAndWait submits op, waits for its receipt and reports a failed call
// as a *client.CallFailedError, returned with the record.
func callAndWait(ctx context.Context, c *client.Client, op client.Op) (*api.Tx, error) {
	rec, err := c.Submit(ctx, op, client.Wait())
	if err != nil {
		return rec, err
	}
	return rec, client.ReceiptError(rec)
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return c
}

func loanArgs(id string, borrower, servicer common.Address) map[string]any {
	return map[string]any{
		"id": id, "borrower": borrower.Hex(), "servicer": servicer.Hex(),
		"principal": 30_000_000, "rate_bps": 650, "term_months": 360, "first_due": time.Now().Unix() + 30*24*3600,
	}
}

func testClientSubmitWaitAndVerify(t *testing.T, tn *testNet) {
	c := tn.admin
	borrower, _ := client.GenerateKey()
	rec, err := callAndWait(ctx(t), c, client.CallOp(tn.loan, "create", loanArgs("L1", borrower.Address(), c.Key().Address())))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if err := c.Verifier().VerifyTx(rec); err != nil {
		t.Fatalf("VerifyTx: %v", err)
	}
	// A failed call is a committed transaction with a failed receipt.
	bad, err := callAndWait(ctx(t), c, client.CallOp(tn.loan, "pay", map[string]any{"id": "nope", "amount": 1}))
	var cf *client.CallFailedError
	if !errors.As(err, &cf) || cf.Status == "ok" || bad == nil || bad.Status != api.TxCommitted {
		t.Fatalf("pay unknown loan: rec=%v err=%v", bad, err)
	}

	st, err := c.State(ctx(t), tn.loan, []byte("loan/L1"), nil)
	if err != nil || !st.Exists {
		t.Fatalf("State = %+v, %v", st, err)
	}
	if err := c.Verifier().VerifyState(st); err != nil {
		t.Fatalf("VerifyState: %v", err)
	}
	absent, err := c.State(ctx(t), tn.loan, []byte("loan/none"), nil)
	if err != nil || absent.Exists {
		t.Fatalf("absent State = %+v, %v", absent, err)
	}
	if err := c.Verifier().VerifyState(absent); err != nil {
		t.Fatalf("VerifyState(absent): %v", err)
	}
	q, err := c.Query(ctx(t), tn.loan, "get", map[string]string{"id": "L1"}, nil)
	if err != nil || q.Status != "ok" || len(q.Proofs) == 0 {
		t.Fatalf("Query = %+v, %v", q, err)
	}
	if err := c.Verifier().VerifyQuery(q); err != nil {
		t.Fatalf("VerifyQuery: %v", err)
	}

	// Tampering with any part must fail verification.
	tamperTx := []struct {
		name   string
		mutate func(r *api.Tx)
		want   error
	}{
		{"tx proof node", func(r *api.Tx) { r.TxProof[0][5] ^= 1 }, client.ErrVerify},
		{"receipt proof node", func(r *api.Tx) { r.ReceiptProof[len(r.ReceiptProof)-1][3] ^= 1 }, client.ErrVerify},
		{"receipt gas", func(r *api.Tx) { r.Receipt.GasUsed++ }, client.ErrVerify},
		{"write proof value", func(r *api.Tx) { r.WriteProofs[0].Value = append(r.WriteProofs[0].Value, '!') }, client.ErrVerify},
		{"write proof missing", func(r *api.Tx) { r.WriteProofs = nil }, client.ErrVerify},
		{"header state root", func(r *api.Tx) { r.Header.Header.StateRoot[0] ^= 1 }, client.ErrVerify},
		{"header signature", func(r *api.Tx) { r.Header.Signature[10] ^= 1 }, client.ErrVerify},
	}
	for _, tt := range tamperTx {
		t.Run("tx/"+tt.name, func(t *testing.T) {
			r, err := c.Tx(ctx(t), rec.Hash)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Verifier().VerifyTx(r); err != nil {
				t.Fatalf("untampered: %v", err)
			}
			tt.mutate(r)
			if err := c.Verifier().VerifyTx(r); !errors.Is(err, tt.want) {
				t.Fatalf("VerifyTx after tampering = %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("state/value", func(t *testing.T) {
		s := *st
		s.Value = append([]byte(nil), st.Value...)
		s.Value[0] ^= 1
		s.Proof.Value = s.Value
		if err := c.Verifier().VerifyState(&s); !errors.Is(err, client.ErrVerify) {
			t.Fatalf("VerifyState(tampered) = %v", err)
		}
	})
	t.Run("state/claims absent", func(t *testing.T) {
		s := *st
		s.Exists, s.Value, s.Proof.Exists, s.Proof.Value = false, nil, false, nil
		if err := c.Verifier().VerifyState(&s); !errors.Is(err, client.ErrVerify) {
			t.Fatalf("VerifyState(absent claim) = %v", err)
		}
	})
	t.Run("wrong node address", func(t *testing.T) {
		other, _ := client.GenerateKey()
		v := client.NewVerifier(other.Address())
		for name, err := range map[string]error{"tx": v.VerifyTx(rec), "state": v.VerifyState(st), "query": v.VerifyQuery(q)} {
			if !errors.Is(err, client.ErrUntrustedSigner) || !errors.Is(err, client.ErrVerify) {
				t.Errorf("%s: err = %v, want ErrUntrustedSigner", name, err)
			}
		}
	})
}

func testClientConcurrentSubmittersNoNonceGaps(t *testing.T, tn *testNet) {
	c := tn.admin
	const workers, each = 24, 4
	start, err := c.Account(ctx(t), c.Key().Address())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	hashes := make(chan common.Hash, workers*each)
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				op := client.CallOp(tn.loan, "create", loanArgs(fmt.Sprintf("W%d-%d", w, i), c.Key().Address(), c.Key().Address()))
				t, err := c.Submit(ctx(t), op)
				if err != nil {
					errs <- err
					return
				}
				hashes <- t.Hash
			}
		}()
	}
	wg.Wait()
	close(hashes)
	close(errs)
	for err := range errs {
		t.Fatalf("submit: %v", err)
	}
	var nonces []uint64
	for h := range hashes {
		rec, err := c.WaitTx(ctx(t), h)
		if err != nil {
			t.Fatalf("wait %s: %v", h, err)
		}
		if rec.Receipt.Status != "ok" {
			t.Fatalf("receipt %s: %+v", h, rec.Receipt)
		}
		m := decodeCall(t, rec)
		nonces = append(nonces, m)
	}
	sort.Slice(nonces, func(i, j int) bool { return nonces[i] < nonces[j] })
	for i, n := range nonces {
		if n != start.PendingNonce+uint64(i) {
			t.Fatalf("nonces = %v: gap or repeat at %d", nonces, i)
		}
	}
	acct, err := c.Account(ctx(t), c.Key().Address())
	if err != nil || acct.Nonce != start.PendingNonce+workers*each {
		t.Fatalf("account = %+v, %v; want nonce %d", acct, err, start.PendingNonce+workers*each)
	}
}

func testClientResyncsAfterForeignSubmitter(t *testing.T, tn *testNet) {
	// A second client with the same key moves the nonce behind the first
	// client's back; the first must recover by re-reading it.
	other, err := client.New(tn.node.URL(), client.WithKey(tn.admin.Key()))
	if err != nil {
		t.Fatal(err)
	}
	me := tn.admin.Key().Address()
	for i, c := range []*client.Client{tn.admin, other, tn.admin, other, tn.admin} {
		if _, err := callAndWait(ctx(t), c, client.CallOp(tn.loan, "create", loanArgs(fmt.Sprintf("R%d", i), me, me))); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
}

func testClientBatch(t *testing.T, tn *testNet) {
	me := tn.admin.Key().Address()
	var ops []client.Op
	for i := range 10 {
		ops = append(ops, client.CallOp(tn.loan, "create", loanArgs(fmt.Sprintf("B%d", i), me, me)))
	}
	ops = append(ops, client.CallOp(tn.loan, "create", "not an object"), client.CallOp(tn.loan, "x", json_(t)))
	chainID, err := tn.admin.ChainID(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	acct, err := tn.admin.Account(ctx(t), me)
	if err != nil {
		t.Fatal(err)
	}
	// A batch is signed ahead of time, with consecutive nonces, and sent
	// as it is.
	var body []byte
	var hashes []common.Hash
	for i, op := range ops[:11] {
		signed, err := op.Sign(tn.admin.Key(), chainID, acct.PendingNonce+uint64(i), client.DefaultGasLimit)
		if err != nil {
			t.Fatalf("sign item %d: %v", i, err)
		}
		body = append(append(body, ","[:min(i, 1)]...), signed.EncodeJSON()...)
		hashes = append(hashes, signed.Hash())
	}
	items, err := tn.admin.SubmitRaw(ctx(t), append(append([]byte("["), body...), ']'))
	if err != nil || len(items) != 11 {
		t.Fatalf("SubmitRaw = %d items, %v", len(items), err)
	}
	for i, it := range items {
		if i == 10 {
			// Arguments the manifest's schema refuses are refused at
			// admission.
			if it.Error == nil || it.Error.Code != api.CodeInvalidArgs || it.HTTPStatus != 422 {
				t.Fatalf("item %d (args not an object): %+v, want 422 invalid_args", i, it)
			}
			continue
		}
		if it.Error != nil || it.Hash != hashes[i] {
			t.Fatalf("item %d: %+v", i, it)
		}
		rec, err := tn.admin.WaitTx(ctx(t), it.Hash)
		if err != nil {
			t.Fatal(err)
		}
		if ok := rec.Receipt.Status == "ok"; ok != (i < 10) {
			t.Fatalf("item %d receipt %+v", i, rec.Receipt)
		}
	}
	if _, err := ops[11].Sign(tn.admin.Key(), chainID, 0, client.DefaultGasLimit); err == nil {
		t.Fatal("op with invalid args JSON signed")
	}
	big := "[" + strings.Repeat("{},", api.MaxBatch) + "{}]"
	if _, err := tn.admin.SubmitRaw(ctx(t), []byte(big)); err == nil {
		t.Fatal("oversized batch accepted")
	}
	noKey, _ := client.New(tn.node.URL())
	if _, err := noKey.Submit(ctx(t), ops[0]); !errors.Is(err, client.ErrNoKey) {
		t.Fatalf("submit without key: %v", err)
	}
	if _, err := noKey.Submit(ctx(t), ops[0], client.Wait()); !errors.Is(err, client.ErrNoKey) {
		t.Fatalf("submit and wait without key: %v", err)
	}
}

// json_ is bytes that are not valid JSON, to check args validation.
func json_(t *testing.T) []byte { return []byte("{not json") }

func testClientEventsFromNode(t *testing.T, tn *testNet) {
	me := tn.admin.Key().Address()
	var from uint64
	for i := range 2 {
		rec, err := callAndWait(ctx(t), tn.admin, client.CallOp(tn.loan, "create", loanArgs(fmt.Sprintf("E%d", i), me, me)))
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			from = rec.Receipt.Height
		}
	}
	var names []string
	var last api.EventID
	var err error
	for ev, e := range tn.admin.Events(ctx(t), client.EventFilter{FromHeight: from, Contract: &tn.loan}) {
		if err = e; err != nil {
			break
		}
		if !last.Less(ev.ID) && last != (api.EventID{}) {
			t.Fatalf("out of order: %s after %s", ev.ID, last)
		}
		last = ev.ID
		if ev.Event != nil {
			names = append(names, ev.Event.Name)
		}
		if len(names) == 2 {
			break
		}
	}
	if err != nil || fmt.Sprint(names) != "[LoanCreated LoanCreated]" {
		t.Fatalf("events = %v, %v", names, err)
	}
	// Resuming after the first event delivers only the second.
	after := last
	after.Seq--
	var again []api.EventID
	for ev, e := range tn.admin.Events(ctx(t), client.EventFilter{After: &after, Contract: &tn.loan}) {
		if err = e; err != nil {
			break
		}
		again = append(again, ev.ID)
		if ev.ID == last {
			break
		}
	}
	if err != nil || len(again) == 0 || again[0] == after {
		t.Fatalf("resumed = %v, %v", again, err)
	}
}

func testClientNotFound(t *testing.T, tn *testNet) {
	_, err := tn.admin.Tx(ctx(t), common.Hash{1})
	if !client.IsNotFound(err) || !client.IsCode(err, string(api.CodeNotFound)) {
		t.Fatalf("Tx(unknown) = %v", err)
	}
	_, err = tn.admin.Block(ctx(t), 1<<40)
	if !client.IsNotFound(err) {
		t.Fatalf("Block(far) = %v", err)
	}
}
