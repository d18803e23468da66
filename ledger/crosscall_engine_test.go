package ledger_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/enginetest"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/runtime"
	"github.com/meshledger/meshledger/status"
)

// These tests run cross-contract calls on the scripted engine: a scripted
// contract calls env.Calls as the runtime's call import would (the
// callee's gas charged to the caller, depth plus one, read-only
// inherited), so each test checks one rule of the ledger's side: which
// state a callee sees, what reaches the receipt and the block, and what
// is refused.

// prog is what a scripted contract's "run" does, in this order: its
// calls, then reading Read, then its writes and event, then failing if
// Fail. Each call runs Prog at To.
type prog struct {
	Calls []subcall `json:"calls,omitempty"`
	Read  string    `json:"read,omitempty"`
	// Expect, when set, is the value Read must find: the call fails
	// otherwise ("<absent>" for no value).
	Expect string      `json:"expect,omitempty"`
	Writes [][2]string `json:"writes,omitempty"`
	// Deletes are keys deleted after the writes.
	Deletes []string `json:"deletes,omitempty"`
	// Scan lists the keys with this prefix (after the calls) as
	// "key=value", and fails unless they are ExpectScan.
	Scan       string   `json:"scan,omitempty"`
	ExpectScan []string `json:"expectScan,omitempty"`
	Event      string   `json:"event,omitempty"`
	Fail       bool     `json:"fail,omitempty"`
}

type subcall struct {
	To     common.Address `json:"to"`
	Method string         `json:"method,omitempty"` // default "run"
	Prog   *prog          `json:"prog,omitempty"`
	// Handle: a failure of the call is noted in the return and the
	// caller goes on; otherwise the caller fails with the callee's code.
	Handle bool `json:"handle,omitempty"`
}

// progOut is what "run" returns: each call's code and the value read.
type progOut struct {
	Calls []string `json:"calls"`
	Read  *string  `json:"read"`
}

var errHostBoom = errors.New("scripted host failure")

// Gas a scripted call uses itself, besides its callees'.
const progGas = 100

// progEngine is an engine whose every contract runs progs, and which
// records the env of every call by contract.
type progEngine struct {
	mu   sync.Mutex
	envs map[common.Address][]runtime.Env
}

func newProgEngine() (*progEngine, *enginetest.Engine) {
	pe := &progEngine{envs: make(map[common.Address][]runtime.Env)}
	return pe, enginetest.Loading(&enginetest.Contract{CallFn: pe.call})
}

func (pe *progEngine) seen(addr common.Address) []runtime.Env {
	pe.mu.Lock()
	defer pe.mu.Unlock()
	return append([]runtime.Env(nil), pe.envs[addr]...)
}

func (pe *progEngine) call(ctx context.Context, env runtime.Env, method string, args []byte, st runtime.State) (*runtime.Result, error) {
	switch method {
	case "init":
		// Deployed with init arguments, init runs them as run would.
		if len(args) == 0 {
			return &runtime.Result{Code: runtime.CodeOK}, nil
		}
	case "run":
	case "boom":
		return nil, errHostBoom
	default:
		return &runtime.Result{Code: runtime.CodeUnknownMethod, Message: "no method " + method}, nil
	}
	pe.mu.Lock()
	pe.envs[common.Address(env.Contract)] = append(pe.envs[common.Address(env.Contract)], env)
	pe.mu.Unlock()
	var p prog
	if err := json.Unmarshal(args, &p); err != nil {
		return &runtime.Result{Code: runtime.CodeBadArgs, Message: err.Error(), GasUsed: progGas}, nil
	}
	gas := uint64(progGas)
	var out progOut
	for _, c := range p.Calls {
		if env.Calls == nil {
			return &runtime.Result{Code: runtime.CodeNoCalls, GasUsed: gas}, nil
		}
		m := c.Method
		if m == "" {
			m = "run"
		}
		sub, _ := json.Marshal(c.Prog)
		res, err := env.Calls.CallContract(ctx, runtime.CallRequest{
			From: env.Contract, To: runtime.Address(c.To), Method: m, Args: sub,
			GasLimit: env.GasLimit - gas, Depth: env.Depth + 1, ReadOnly: env.ReadOnly,
		})
		if err != nil {
			return nil, err
		}
		gas += res.GasUsed
		out.Calls = append(out.Calls, string(res.Code))
		if !res.OK() && !c.Handle {
			return &runtime.Result{Code: res.Code, Message: "call failed: " + res.Message, GasUsed: gas}, nil
		}
	}
	if p.Read != "" {
		v, ok, err := st.Get([]byte(p.Read))
		if err != nil {
			return nil, err
		}
		if ok {
			s := string(v)
			out.Read = &s
		}
		if p.Expect != "" && deref(out.Read) != p.Expect {
			return &runtime.Result{Code: runtime.CodeError, Message: fmt.Sprintf("read %s = %s, want %s", p.Read, deref(out.Read), p.Expect), GasUsed: gas}, nil
		}
	}
	if p.Scan != "" {
		var got []string
		err := st.Iterate([]byte(p.Scan), nil, func(k, v []byte) bool {
			got = append(got, string(k)+"="+string(v))
			return true
		})
		if err != nil {
			return nil, err
		}
		if !sameStrings(got, p.ExpectScan) {
			return &runtime.Result{Code: runtime.CodeError, Message: fmt.Sprintf("scan %s = %v, want %v", p.Scan, got, p.ExpectScan), GasUsed: gas}, nil
		}
	}
	ret, _ := json.Marshal(out)
	res := &runtime.Result{Code: runtime.CodeOK, Return: ret, GasUsed: gas}
	if p.Read != "" {
		res.Reads = [][]byte{[]byte(p.Read)}
	}
	for _, w := range p.Writes {
		res.Writes = append(res.Writes, runtime.Write{Key: []byte(w[0]), Value: []byte(w[1])})
	}
	for _, k := range p.Deletes {
		res.Writes = append(res.Writes, runtime.Write{Key: []byte(k), Delete: true})
	}
	if p.Event != "" {
		res.Events = []runtime.Event{{Name: p.Event, Data: []byte(`{}`)}}
	}
	if len(res.Writes) > 0 && env.ReadOnly {
		return &runtime.Result{Code: runtime.CodeReadOnly, Message: "write in a read-only call", GasUsed: gas}, nil
	}
	if p.Fail {
		res.Code, res.Message = runtime.CodeError, "refused"
	}
	return res, nil
}

// progChain is a mock chain with n scripted contracts deployed.
func progChain(t *testing.T, n int) (*mockChain, *progEngine, []common.Address) {
	t.Helper()
	pe, eng := newProgEngine()
	ch := newMockChain(t, eng)
	addrs := make([]common.Address, n)
	for i := range addrs {
		rc := ch.apply(ch.deploy())
		if !rc.OK() {
			t.Fatalf("deploy %d: %+v", i, *rc)
		}
		addrs[i] = rc.ContractAddress
	}
	return ch, pe, addrs
}

func (c *mockChain) run(contract common.Address, p prog) *tx.Tx {
	c.t.Helper()
	args, err := json.Marshal(p)
	if err != nil {
		c.t.Fatal(err)
	}
	t, err := tx.SignCall(tx.Call{From: c.sender(), Nonce: c.nonce, Contract: contract, Method: "run", Args: args, GasLimit: 1_000_000}, mockChainID, c.key)
	if err != nil {
		c.t.Fatal(err)
	}
	c.nonce++
	return t
}

// value queries contract's key through "run" (no calls, no writes).
func (c *mockChain) value(contract common.Address, key string) *string {
	c.t.Helper()
	args, _ := json.Marshal(prog{Read: key})
	q, err := c.l.Query(c.t.Context(), contract, "run", args, c.l.Latest().Header.Height, 0)
	if err != nil || q.Status != block.StatusOK {
		c.t.Fatalf("query %s of %s: %+v %v", key, contract, q, err)
	}
	var out progOut
	if err := json.Unmarshal(q.Return, &out); err != nil {
		c.t.Fatal(err)
	}
	return out.Read
}

func str(s string) *string { return &s }

func wantValue(t *testing.T, ch *mockChain, contract common.Address, key string, want *string) {
	t.Helper()
	got := ch.value(contract, key)
	if (got == nil) != (want == nil) || got != nil && *got != *want {
		t.Fatalf("%s of %s = %v, want %v", key, contract, deref(got), deref(want))
	}
}

func deref(s *string) string {
	if s == nil {
		return "<absent>"
	}
	return fmt.Sprintf("%q", *s)
}

// writesOf lists a receipt's writes as "contract-index:key=value".
func writesOf(rc *block.Receipt, addrs []common.Address) []string {
	var out []string
	for _, w := range rc.Writes {
		out = append(out, fmt.Sprintf("%d:%s=%s", indexOf(addrs, w.Contract), w.Key, w.Value))
	}
	return out
}

func eventsOf(rc *block.Receipt, addrs []common.Address) []string {
	var out []string
	for _, e := range rc.Events {
		out = append(out, fmt.Sprintf("%d:%s", indexOf(addrs, e.Contract), e.Name))
	}
	return out
}

func indexOf(addrs []common.Address, a common.Address) int {
	for i, x := range addrs {
		if x == a {
			return i
		}
	}
	return -1
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A caller updates a callee in the same transaction: both contracts'
// writes and events are in the receipt, each under its own address, the
// caller's first and the callees' in call order, and in the state; the
// callee ran as the caller's callee. Each contract's writes are one per
// key in ascending order, as a receipt's always are.
func TestCrossCallWritesBothContracts(t *testing.T) {
	t.Parallel()
	ch, pe, a := progChain(t, 3)
	rc := ch.apply(ch.run(a[0], prog{
		Writes: [][2]string{{"k", "a"}}, Event: "A",
		Calls: []subcall{
			{To: a[1], Prog: &prog{Writes: [][2]string{{"k", "b"}}, Event: "B", Calls: []subcall{
				{To: a[2], Prog: &prog{Writes: [][2]string{{"k", "c"}}, Event: "C"}},
			}}},
			{To: a[2], Prog: &prog{Writes: [][2]string{{"j", "c2"}}}},
		},
	}))
	if !rc.OK() || rc.GasUsed != 4*progGas {
		t.Fatalf("receipt: %+v", *rc)
	}
	if got, want := writesOf(rc, a), []string{"0:k=a", "1:k=b", "2:j=c2", "2:k=c"}; !sameStrings(got, want) {
		t.Fatalf("receipt writes %v, want %v", got, want)
	}
	if got, want := eventsOf(rc, a), []string{"0:A", "1:B", "2:C"}; !sameStrings(got, want) {
		t.Fatalf("receipt events %v, want %v", got, want)
	}
	wantValue(t, ch, a[0], "k", str("a"))
	wantValue(t, ch, a[1], "k", str("b"))
	wantValue(t, ch, a[2], "k", str("c"))
	wantValue(t, ch, a[2], "j", str("c2"))

	envs := pe.seen(a[2])
	if len(envs) < 2 {
		t.Fatalf("callee ran %d times", len(envs))
	}
	nested, direct := envs[0], envs[1]
	if nested.Caller != runtime.Address(a[1]) || nested.Contract != runtime.Address(a[2]) || nested.Depth != 2 ||
		nested.TxHash != runtime.Hash(rc.TxHash) || nested.Height != rc.Height || nested.ReadOnly || nested.Calls == nil || nested.Directory == nil {
		t.Fatalf("nested callee's env: %+v", nested)
	}
	if direct.Caller != runtime.Address(a[0]) || direct.Depth != 1 {
		t.Fatalf("direct callee's env: %+v", direct)
	}
	// The block's history attributes the callees' writes to the transaction.
	page, err := ch.l.History(a[2], []byte("k"), ledger.Cursor{}, 10)
	if err != nil || len(page.Entries) != 1 || page.Entries[0].TxHash != rc.TxHash || string(page.Entries[0].Value) != "c" {
		t.Fatalf("history of the callee's key: %+v %v", page, err)
	}
}

// A callee's writes are visible to the calls after it in the same
// transaction: a second call of the same contract, and a call reaching it
// through another contract.
func TestCrossCallLaterCallsSeeEarlierWrites(t *testing.T) {
	t.Parallel()
	ch, _, a := progChain(t, 3)
	rc := ch.apply(ch.run(a[0], prog{Calls: []subcall{
		{To: a[1], Prog: &prog{Writes: [][2]string{{"k", "1"}}}},
		{To: a[1], Prog: &prog{Read: "k", Expect: `"1"`, Writes: [][2]string{{"k", "2"}}}},
		{To: a[2], Prog: &prog{Calls: []subcall{{To: a[1], Prog: &prog{Read: "k", Expect: `"2"`}}}}},
	}}))
	if !rc.OK() {
		t.Fatalf("receipt: %+v", *rc)
	}
	// One write per key, with the value the transaction left.
	if got, want := writesOf(rc, a), []string{"1:k=2"}; !sameStrings(got, want) {
		t.Fatalf("receipt writes %v, want %v", got, want)
	}
	wantValue(t, ch, a[1], "k", str("2"))
	// The expectation is checked: a wrong one fails the transaction.
	rc = ch.apply(ch.run(a[0], prog{Calls: []subcall{{To: a[1], Prog: &prog{Read: "k", Expect: `"1"`}}}}))
	if rc.Status != status.Error || !bytes.Contains([]byte(rc.Message), []byte(`want "1"`)) {
		t.Fatalf("a wrong expectation: %+v", *rc)
	}
}

// A callee's scan sees the writes and deletions of the calls before it in
// the transaction merged with the committed state, in key order.
func TestCrossCallScanSeesEarlierWrites(t *testing.T) {
	t.Parallel()
	ch, _, a := progChain(t, 2)
	ch.apply(ch.run(a[1], prog{Writes: [][2]string{{"p/0", "c0"}, {"p/3", "c3"}, {"p/5", "c5"}}}))
	rc := ch.apply(ch.run(a[0], prog{Calls: []subcall{
		{To: a[1], Prog: &prog{Writes: [][2]string{{"p/1", "w1"}, {"p/3", "w3"}}, Deletes: []string{"p/5"}}},
		{To: a[1], Prog: &prog{Writes: [][2]string{{"p/4", "w4"}}, Scan: "p/", ExpectScan: []string{"p/0=c0", "p/1=w1", "p/3=w3"}}},
		{To: a[1], Prog: &prog{Scan: "p/", ExpectScan: []string{"p/0=c0", "p/1=w1", "p/3=w3", "p/4=w4"}}},
	}}))
	if !rc.OK() {
		t.Fatalf("receipt: %+v", *rc)
	}
	if got, want := writesOf(rc, a), []string{"1:p/1=w1", "1:p/3=w3", "1:p/4=w4", "1:p/5="}; !sameStrings(got, want) {
		t.Fatalf("receipt writes %v, want %v", got, want)
	}
	if rc.Writes[3].Delete != true {
		t.Fatalf("the deletion: %+v", rc.Writes[3])
	}
	wantValue(t, ch, a[1], "p/5", nil)
	// A wrong expectation is noticed.
	rc = ch.apply(ch.run(a[0], prog{Calls: []subcall{{To: a[1], Prog: &prog{Scan: "p/", ExpectScan: []string{"p/0=c0"}}}}}))
	if rc.Status != status.Error || !bytes.Contains([]byte(rc.Message), []byte("scan p/")) {
		t.Fatalf("a wrong scan expectation: %+v", *rc)
	}
}

// A failed callee whose caller handles the failure: the callee's writes
// and events — and those of the calls it made — are gone, the caller's
// kept, and the callee's gas charged.
func TestCrossCallHandledFailureDropsCalleeOnly(t *testing.T) {
	t.Parallel()
	ch, _, a := progChain(t, 3)
	rc := ch.apply(ch.run(a[0], prog{
		Writes: [][2]string{{"k", "a"}}, Event: "A",
		Calls: []subcall{{To: a[1], Handle: true, Prog: &prog{
			Writes: [][2]string{{"k", "b"}}, Event: "B", Fail: true,
			Calls: []subcall{{To: a[2], Prog: &prog{Writes: [][2]string{{"k", "c"}}, Event: "C"}}},
		}}},
	}))
	if !rc.OK() || rc.GasUsed != 3*progGas {
		t.Fatalf("receipt: %+v", *rc)
	}
	var out progOut
	if err := json.Unmarshal(rc.Return, &out); err != nil || !sameStrings(out.Calls, []string{string(runtime.CodeError)}) {
		t.Fatalf("caller saw %s (%v)", rc.Return, err)
	}
	if got, want := writesOf(rc, a), []string{"0:k=a"}; !sameStrings(got, want) {
		t.Fatalf("receipt writes %v, want %v", got, want)
	}
	if got, want := eventsOf(rc, a), []string{"0:A"}; !sameStrings(got, want) {
		t.Fatalf("receipt events %v, want %v", got, want)
	}
	wantValue(t, ch, a[0], "k", str("a"))
	wantValue(t, ch, a[1], "k", nil)
	wantValue(t, ch, a[2], "k", nil)
}

// A failed callee whose caller does not handle it fails the transaction:
// nothing any contract wrote remains, and the gas is charged.
func TestCrossCallUnhandledFailureDropsEverything(t *testing.T) {
	t.Parallel()
	ch, _, a := progChain(t, 3)
	before := ch.l.Latest().Header.StateRoot
	rc := ch.apply(ch.run(a[0], prog{
		Writes: [][2]string{{"k", "a"}},
		Calls: []subcall{
			{To: a[2], Prog: &prog{Writes: [][2]string{{"k", "c"}}}},
			{To: a[1], Prog: &prog{Writes: [][2]string{{"k", "b"}}, Fail: true}},
		},
	}))
	if rc.Status != block.Status(runtime.CodeError) || rc.GasUsed != 3*progGas || len(rc.Writes) != 0 || len(rc.Events) != 0 {
		t.Fatalf("receipt: %+v", *rc)
	}
	for i := range a {
		wantValue(t, ch, a[i], "k", nil)
	}
	// Only the sender's nonce changed.
	if root := ch.l.Latest().Header.StateRoot; root == before {
		t.Fatal("the nonce's change is missing from the state root")
	}
}

// Calls nest at most runtime.MaxCallDepth deep (the transaction's own call
// included); the call one deeper fails with call_depth.
func TestCrossCallDepthLimit(t *testing.T) {
	t.Parallel()
	ch, _, a := progChain(t, runtime.MaxCallDepth+1)
	chain := func(n int) prog {
		p := &prog{Writes: [][2]string{{"k", fmt.Sprint(n - 1)}}}
		for i := n - 2; i >= 0; i-- {
			p = &prog{Writes: [][2]string{{"k", fmt.Sprint(i)}}, Calls: []subcall{{To: a[i+1], Prog: p}}}
		}
		return *p
	}
	rc := ch.apply(ch.run(a[0], chain(runtime.MaxCallDepth)))
	if !rc.OK() || len(rc.Writes) != runtime.MaxCallDepth {
		t.Fatalf("%d nested calls: %+v", runtime.MaxCallDepth, *rc)
	}
	rc = ch.apply(ch.run(a[0], chain(runtime.MaxCallDepth+1)))
	if rc.Status != status.CallDepth || len(rc.Writes) != 0 {
		t.Fatalf("%d nested calls: %+v", runtime.MaxCallDepth+1, *rc)
	}
	wantValue(t, ch, a[runtime.MaxCallDepth], "k", nil)
}

// A contract on the call stack cannot be called again: a callee calling
// back into its caller, and a contract calling itself, fail with
// reentrancy. A contract called before and returned may be called again
// (TestCrossCallLaterCallsSeeEarlierWrites).
func TestCrossCallReentrancyRefused(t *testing.T) {
	t.Parallel()
	ch, _, a := progChain(t, 2)
	for name, p := range map[string]prog{
		"back into the caller": {Calls: []subcall{{To: a[1], Prog: &prog{Calls: []subcall{{To: a[0], Prog: &prog{Writes: [][2]string{{"k", "x"}}}}}}}}},
		"itself":               {Calls: []subcall{{To: a[0], Prog: &prog{Writes: [][2]string{{"k", "x"}}}}}},
	} {
		rc := ch.apply(ch.run(a[0], p))
		if rc.Status != status.Reentrancy || len(rc.Writes) != 0 {
			t.Fatalf("%s: %+v", name, *rc)
		}
		if !bytes.Contains([]byte(rc.Message), []byte("already on the call stack")) {
			t.Fatalf("%s: message %q", name, rc.Message)
		}
	}
	wantValue(t, ch, a[0], "k", nil)
}

// A call the ledger cannot run is a failed result the caller sees: no
// contract at the address, and the methods only deploys and upgrades run.
func TestCrossCallRefusedTargets(t *testing.T) {
	t.Parallel()
	ch, pe, a := progChain(t, 2)
	for _, tc := range []struct {
		name   string
		call   subcall
		status block.Status
	}{
		{"no contract", subcall{To: common.HexToAddress("0x00000000000000000000000000000000000000ee")}, status.UnknownContract},
		{"init", subcall{To: a[1], Method: "init"}, status.UnknownMethod},
		{"migrate", subcall{To: a[1], Method: "migrate"}, status.UnknownMethod},
		{"unknown method", subcall{To: a[1], Method: "nope"}, status.UnknownMethod},
	} {
		tc.call.Prog = &prog{}
		rc := ch.apply(ch.run(a[0], prog{Calls: []subcall{tc.call}}))
		if rc.Status != tc.status {
			t.Fatalf("%s: %+v, want %s", tc.name, *rc, tc.status)
		}
	}
	if n := len(pe.seen(a[1])); n != 0 {
		t.Fatalf("the refused calls ran the callee %d times", n)
	}
}

// A query's calls are read-only (a callee's write fails the call) and its
// result carries a proof of every key a callee read, naming the callee.
func TestCrossCallQueryReadOnlyWithProofs(t *testing.T) {
	t.Parallel()
	ch, pe, a := progChain(t, 2)
	ch.apply(ch.run(a[1], prog{Writes: [][2]string{{"k", "b"}}}))
	h := ch.l.Latest().Header.Height

	args, _ := json.Marshal(prog{Read: "k", Calls: []subcall{{To: a[1], Prog: &prog{Read: "k"}}}})
	q, err := ch.l.Query(t.Context(), a[0], "run", args, h, 0)
	if err != nil || q.Status != block.StatusOK || q.GasUsed != 2*progGas {
		t.Fatalf("query: %+v %v", q, err)
	}
	if envs := pe.seen(a[1]); !envs[len(envs)-1].ReadOnly || envs[len(envs)-1].Caller != runtime.Address(a[0]) {
		t.Fatalf("callee's env in a query: %+v", envs[len(envs)-1])
	}
	if len(q.Proofs) != 2 {
		t.Fatalf("%d proofs, want the caller's key and the callee's", len(q.Proofs))
	}
	for i, want := range []struct {
		contract common.Address
		exists   bool
	}{{a[0], false}, {a[1], true}} {
		p := q.Proofs[i]
		if p.Contract != want.contract || string(p.Key) != "k" || p.Exists != want.exists || p.Root != q.Header.Header.StateRoot || p.Verify() != nil {
			t.Fatalf("proof %d: %+v (verify %v)", i, p, p.Verify())
		}
	}

	args, _ = json.Marshal(prog{Calls: []subcall{{To: a[1], Prog: &prog{Writes: [][2]string{{"k", "x"}}}}}})
	q, err = ch.l.Query(t.Context(), a[0], "run", args, h, 0)
	if err != nil || q.Status != status.ReadOnly {
		t.Fatalf("query writing through a callee: %+v %v", q, err)
	}
	args, _ = json.Marshal(prog{Calls: []subcall{{To: common.HexToAddress("0x00000000000000000000000000000000000000ee")}}})
	if q, err = ch.l.Query(t.Context(), a[0], "run", args, h, 0); err != nil || q.Status != status.UnknownContract {
		t.Fatalf("query calling no contract: %+v %v", q, err)
	}
	wantValue(t, ch, a[1], "k", str("b"))

	// At a past height the callee reads that height's state (the trie, not
	// the flat index), and the proof is against that height's root.
	ch.apply(ch.run(a[1], prog{Writes: [][2]string{{"k", "later"}}}))
	args, _ = json.Marshal(prog{Calls: []subcall{{To: a[1], Prog: &prog{Read: "k", Expect: `"b"`}}}})
	q, err = ch.l.Query(t.Context(), a[0], "run", args, h, 0)
	if err != nil || q.Status != block.StatusOK || q.Header.Header.Height != h {
		t.Fatalf("query at a past height: %+v %v", q, err)
	}
	if len(q.Proofs) != 1 || q.Proofs[0].Contract != a[1] || string(q.Proofs[0].Value) != "b" || q.Proofs[0].Verify() != nil {
		t.Fatalf("proofs at a past height: %+v", q.Proofs)
	}
}

// A contract deployed earlier in the same block can be called.
func TestCrossCallCalleeDeployedInTheBlock(t *testing.T) {
	t.Parallel()
	ch, _, a := progChain(t, 1)
	deploy := ch.deploy()
	callee := tx.ContractAddress(ch.sender(), deploy.Message().AccountNonce())
	call := ch.run(a[0], prog{Calls: []subcall{{To: callee, Prog: &prog{Writes: [][2]string{{"k", "new"}}}}}})
	applied, err := ch.propose(deploy, call)
	if err != nil || len(applied.Receipts) != 2 {
		t.Fatalf("block: %+v %v", applied, err)
	}
	if rc := applied.Receipts[1]; !rc.OK() || len(rc.Writes) != 1 || rc.Writes[0].Contract != callee {
		t.Fatalf("call of a contract deployed in the block: %+v", *rc)
	}
	wantValue(t, ch, callee, "k", str("new"))
}

// A host failure inside a callee aborts the whole block, as one in the
// transaction's own call does: nothing is committed.
func TestCrossCallHostFailureAbortsBlock(t *testing.T) {
	t.Parallel()
	ch, _, a := progChain(t, 2)
	before := ch.l.Latest()
	p := ledger.Proposal{TimeMs: before.Header.TimeMs + 1000, Proposer: ch.proposer.Address(),
		Txs: []*tx.Tx{ch.run(a[0], prog{Calls: []subcall{{To: a[1], Method: "boom", Prog: &prog{}}}})}}
	if _, err := ch.l.ApplyBlock(t.Context(), p, ch.proposer); !errors.Is(err, errHostBoom) {
		t.Fatalf("block with a callee's host failure: %v", err)
	}
	if ch.l.Latest() != before {
		t.Fatal("the block was committed")
	}
}

// A deploy's init may call other contracts: their writes take effect with
// the deploy, and none of them if init fails.
func TestCrossCallFromInit(t *testing.T) {
	t.Parallel()
	ch, _, a := progChain(t, 1)
	deployRunning := func(p prog) *tx.Tx {
		t.Helper()
		args, _ := json.Marshal(p)
		d := tx.Deploy{From: ch.sender(), Nonce: ch.nonce, CodeHash: crypto.Keccak256Hash(fakeCode), Name: "mock", InitArgs: args, GasLimit: block.DefaultBlockDeployGasLimit}
		signed, err := tx.SignDeploy(d, fakeCode, mockChainID, ch.key)
		if err != nil {
			t.Fatal(err)
		}
		ch.nonce++
		return signed
	}
	rc := ch.apply(deployRunning(prog{Writes: [][2]string{{"k", "mine"}}, Calls: []subcall{{To: a[0], Prog: &prog{Writes: [][2]string{{"k", "from init"}}}}}}))
	if !rc.OK() || rc.ContractAddress == (common.Address{}) || len(rc.Writes) != 2 || rc.Writes[0].Contract != rc.ContractAddress || rc.Writes[1].Contract != a[0] {
		t.Fatalf("deploy whose init calls: %+v", *rc)
	}
	wantValue(t, ch, a[0], "k", str("from init"))
	wantValue(t, ch, rc.ContractAddress, "k", str("mine"))

	rc = ch.apply(deployRunning(prog{Fail: true, Calls: []subcall{{To: a[0], Prog: &prog{Writes: [][2]string{{"k", "lost"}}}}}}))
	if rc.OK() || len(rc.Writes) != 0 || rc.ContractAddress != (common.Address{}) {
		t.Fatalf("deploy whose init fails after a call: %+v", *rc)
	}
	wantValue(t, ch, a[0], "k", str("from init"))
}
