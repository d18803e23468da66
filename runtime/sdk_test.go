package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/meshledger/meshledger/contracts/loan/loanlogic"
	"github.com/meshledger/meshledger/sdk/build/buildtest"
	"github.com/meshledger/meshledger/sdk/contract/contracttest"
)

// moduleInvoker runs the conformance suite's calls on a real module,
// committing successful writes to an in-memory state.
type moduleInvoker struct {
	t     *testing.T
	m     *Module
	state *memState
	env   Env
	calls *txCalls // nil until AddCallee
}

func (inv *moduleInvoker) Call(caller [20]byte, method string, args []byte) contracttest.Outcome {
	env := inv.env
	env.Caller = caller
	if inv.calls != nil {
		inv.calls.env = env
		inv.calls.begin(env.Contract)
	}
	res := mustCall(inv.t, inv.m, env, method, string(args), inv.state)
	if inv.calls != nil {
		inv.calls.end(res.OK())
	}
	out := contracttest.Outcome{Code: string(res.Code), Message: res.Message, Return: res.Return}
	for _, e := range res.Events {
		out.Events = append(out.Events, contracttest.Event{Name: e.Name, Data: e.Data, Audience: e.Audience})
	}
	for _, w := range res.Writes {
		out.Writes = append(out.Writes, contracttest.Write{Key: w.Key, Value: w.Value, Delete: w.Delete})
	}
	if res.OK() {
		inv.state.apply(res.Writes)
	}
	return out
}

// Query runs a read-only call, committing nothing.
func (inv *moduleInvoker) Query(caller [20]byte, method string, args []byte) contracttest.Outcome {
	env := inv.env
	env.Caller, env.ReadOnly = caller, true
	if inv.calls != nil {
		inv.calls.env = env
		inv.calls.begin(env.Contract)
		defer inv.calls.end(false) // a query commits nothing
	}
	res := mustCall(inv.t, inv.m, env, method, string(args), inv.state)
	out := contracttest.Outcome{Code: string(res.Code), Message: res.Message, Return: res.Return}
	for _, w := range res.Writes {
		out.Writes = append(out.Writes, contracttest.Write{Key: w.Key, Value: w.Value, Delete: w.Delete})
	}
	return out
}

// SetParticipant enters addr in the directory later calls see.
func (inv *moduleInvoker) SetParticipant(addr [20]byte, org string, roles []string) {
	dir, _ := inv.env.Directory.(mapDirectory)
	if dir == nil {
		dir = mapDirectory{}
		inv.env.Directory = dir
	}
	rs := slices.Clone(roles)
	slices.Sort(rs)
	dir[addr] = Participant{Org: org, Roles: slices.Compact(rs)}
}

func (inv *moduleInvoker) Env() contracttest.Env {
	return contracttest.Env{Self: inv.env.Contract, Height: inv.env.Height, TimeMs: inv.env.TimeMs, TxHash: inv.env.TxHash}
}

var (
	_ contracttest.QueryInvoker     = (*moduleInvoker)(nil)
	_ contracttest.DirectoryInvoker = (*moduleInvoker)(nil)
)

// TestConformance runs the suite on both engines: the mock host, the
// compiler and the interpreter must all agree.
func TestConformance(t *testing.T) {
	if raceEnabled {
		t.Skip("sequential: run without -race (about 10 times slower under it)")
	}
	code := buildtest.Wasm(t, "contracts/conformance")
	for _, e := range []Engine{EngineCompiler, EngineInterpreter} {
		t.Run(engineName(e), func(t *testing.T) {
			m := mustLoad(t, sharedRuntime(t, e), code)
			contracttest.RunConformance(t, func(t *testing.T) contracttest.Invoker {
				env := testEnv()
				// Returning 64 KiB through the SDK costs about 50 million gas.
				env.GasLimit = 1 << 30
				return &moduleInvoker{t: t, m: m, state: newMemState(), env: env}
			})
		})
	}
}

var (
	loanOwner    = Address{1}
	loanBorrower = Address{2}
	loanServicer = Address{3}
)

const loanNow = 1_704_067_200 // block time, Unix seconds

// loanDirectory makes the loan's parties members with the roles the loan
// contract asks for.
var loanDirectory = mapDirectory{
	loanOwner:    {Org: "lender", Roles: []string{"owner"}},
	loanBorrower: {Org: "homes", Roles: []string{"borrower"}},
	loanServicer: {Org: "servicing", Roles: []string{"servicer"}},
}

func loanEnv(caller Address) Env {
	env := testEnv()
	env.Caller = caller
	env.TimeMs = loanNow * 1000
	env.Directory = loanDirectory
	return env
}

func loanCreateArgs(t testing.TB, principal int64) string {
	b, err := json.Marshal(loanlogic.CreateRequest{
		ID: "L-1", Borrower: [20]byte(loanBorrower), Servicer: [20]byte(loanServicer),
		Principal: principal, RateBps: 600, TermMonths: 360, FirstDue: loanNow + 86400,
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLoanScenario(t *testing.T) {
	m := mustLoad(t, sharedRuntime(t, EngineCompiler), buildtest.Wasm(t, "contracts/loan"))
	st := newMemState()

	res := mustCall(t, m, loanEnv(loanOwner), "create", loanCreateArgs(t, 200_000_00), st)
	if !res.OK() {
		t.Fatalf("create: %s %s", res.Code, res.Message)
	}
	if len(res.Events) != 1 || res.Events[0].Name != "LoanCreated" {
		t.Fatalf("create events = %+v", res.Events)
	}
	if len(res.Writes) != 1 || string(res.Writes[0].Key) != "loan/L-1" {
		t.Fatalf("create writes = %+v", res.Writes)
	}
	st.apply(res.Writes)

	res = mustCall(t, m, loanEnv(loanServicer), "pay", `{"id":"L-1","amount":150000}`, st)
	if !res.OK() {
		t.Fatalf("pay: %s %s", res.Code, res.Message)
	}
	var p loanlogic.Payment
	if err := json.Unmarshal(res.Return, &p); err != nil {
		t.Fatal(err)
	}
	if p.Amount != 150000 || p.Interest+p.Principal != p.Amount || p.Payments != 1 {
		t.Fatalf("payment = %+v", p)
	}
	if len(res.Events) != 1 || res.Events[0].Name != "PaymentRecorded" || len(res.Writes) != 1 {
		t.Fatalf("pay effects: events %+v writes %+v", res.Events, res.Writes)
	}
	st.apply(res.Writes)

	// Only the servicer may pay; the failure leaves no effects.
	res = mustCall(t, m, loanEnv(loanBorrower), "pay", `{"id":"L-1","amount":1}`, st)
	if res.Code != CodeError || res.Writes != nil || res.Events != nil {
		t.Fatalf("pay by borrower = %+v", res)
	}

	ro := loanEnv(loanBorrower)
	ro.ReadOnly = true
	res = mustCall(t, m, ro, "get", `{"id":"L-1"}`, st)
	if !res.OK() {
		t.Fatalf("get: %s %s", res.Code, res.Message)
	}
	var l map[string]any
	if err := json.Unmarshal(res.Return, &l); err != nil {
		t.Fatal(err)
	}
	if l["balance"] != float64(p.Balance) {
		t.Fatalf("loan after payment = %v, want balance %d", l, p.Balance)
	}
	if len(res.Reads) != 1 || string(res.Reads[0]) != "loan/L-1" {
		t.Fatalf("get reads = %q", res.Reads)
	}

	// Identity through the real host: events name the parties, strangers
	// are refused, and the read policy answers for the loan's key.
	stranger := Address{0x99}
	if res := mustCall(t, m, loanEnv(stranger), "create", loanCreateArgs(t, 1), st); res.Code != CodeError || !strings.Contains(res.Message, "not authorized") {
		t.Fatalf("create by a non-member = %s %s", res.Code, res.Message)
	}
	ro.Caller = stranger
	if res := mustCall(t, m, ro, "get", `{"id":"L-1"}`, st); res.Code != CodeError || !strings.Contains(res.Message, "not authorized") {
		t.Fatalf("get by a non-member = %s %s", res.Code, res.Message)
	}
	for _, tc := range []struct {
		reader Address
		want   string
	}{{loanBorrower, "true"}, {loanOwner, "true"}, {stranger, "false"}} {
		ro.Caller = tc.reader
		if res := mustCall(t, m, ro, "mesh.canRead", "loan/L-1", st); !res.OK() || string(res.Return) != tc.want {
			t.Fatalf("mesh.canRead by %x = %s %s %s, want %s", tc.reader, res.Code, res.Message, res.Return, tc.want)
		}
	}
}

func TestLoanEventAudience(t *testing.T) {
	m := mustLoad(t, sharedRuntime(t, EngineCompiler), buildtest.Wasm(t, "contracts/loan"))
	res := mustCall(t, m, loanEnv(loanOwner), "create", loanCreateArgs(t, 200_000_00), newMemState())
	hex := func(a Address) string { return fmt.Sprintf("0x%x", a) }
	want := []string{hex(loanOwner), hex(loanBorrower), hex(loanServicer)}
	if !res.OK() || len(res.Events) != 1 || !slices.Equal(res.Events[0].Audience, want) {
		t.Fatalf("create: %s %s, events %+v, want audience %q", res.Code, res.Message, res.Events, want)
	}
}

// TestSpinLimits drives the SDK-built misbehaving contract into every
// limit; after each failure the module must still serve a normal call.
func TestSpinLimits(t *testing.T) {
	m := mustLoad(t, sharedRuntime(t, EngineCompiler), buildtest.Wasm(t, "runtime/testdata/contracts/spin"))
	tests := []struct {
		method, args string
		gas          uint64
		want         Code
	}{
		{"loop", "{}", 10_000_000, CodeOutOfGas},
		{"recurse", "{}", 1 << 30, CodeCallDepth},
		{"grow", "{}", 1 << 32, CodeMemoryLimit},
		{"bigreturn", "{}", 1 << 30, CodeReturnTooLarge},
		{"flood", "{}", 1 << 30, CodeEventLimit},
		{"logflood", "{}", 1 << 30, CodeLogLimit},
		{"boom", "{}", 1 << 30, CodePanic},
		{"nosuch", "{}", 1 << 30, CodeUnknownMethod},
		{"compute", "{not json", 1 << 30, CodeBadArgs},
		{"compute", `{"n":1000}`, 1 << 30, CodeOK},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+string(tt.want), func(t *testing.T) {
			env := testEnv()
			env.GasLimit = tt.gas
			res := mustCall(t, m, env, tt.method, tt.args, newMemState())
			if res.Code != tt.want {
				t.Fatalf("%s = %s %q, want %s", tt.method, res.Code, res.Message, tt.want)
			}
			if tt.want == CodeOutOfGas && res.GasUsed != tt.gas {
				t.Fatalf("gas used %d, want the whole limit %d", res.GasUsed, tt.gas)
			}
			if ok := mustCall(t, m, testEnv(), "compute", `{"n":10}`, newMemState()); !ok.OK() {
				t.Fatalf("next call = %s %s", ok.Code, ok.Message)
			}
		})
	}
}

// TestFloatsHaveCanonicalNaNs: every NaN a float operation produces has
// the canonical bits, on both engines, whatever the CPU would give.
func TestFloatsHaveCanonicalNaNs(t *testing.T) {
	spin := buildtest.Wasm(t, "runtime/testdata/contracts/spin")
	want := `["7ff8000000000000","7ff8000000000000","7ff8000000000000","7ff8000000000000",` +
		`"3fd3333333333334","3ff6a09e667f3bcd","7fc00000"]`
	var digests []string
	for _, e := range []Engine{EngineCompiler, EngineInterpreter} {
		res := mustCall(t, mustLoad(t, sharedRuntime(t, e), spin), testEnv(), "floats", "{}", nil)
		if !res.OK() || string(res.Return) != want {
			t.Fatalf("%s: floats = %s %q %s, want %s", engineName(e), res.Code, res.Message, res.Return, want)
		}
		digests = append(digests, digest(res))
	}
	if digests[0] != digests[1] {
		t.Fatalf("engines differ:\ncompiler    %s\ninterpreter %s", digests[0], digests[1])
	}
}

func TestSDKDeployFixtures(t *testing.T) {
	rt := sharedRuntime(t, EngineCompiler)
	interp := newTestRuntime(t, NewConfig().WithInterpreter().WithInitGas(10_000_000))
	tests := []struct {
		pkg  string
		rt   *Runtime
		want Code
	}{
		{"runtime/testdata/contracts/badimport", rt, DeployForbiddenImport},
		{"runtime/testdata/contracts/noexport", rt, DeployMissingExport},
		{"runtime/testdata/contracts/initloop", interp, DeployInitOutOfGas},
	}
	for _, tt := range tests {
		t.Run(tt.pkg, func(t *testing.T) {
			// Built without sdk/build: its manifest step runs the
			// package's init natively, which initloop never finishes.
			_, err := tt.rt.Load(context.Background(), buildGuest(t, tt.pkg))
			var de *DeployError
			if !errors.As(err, &de) || de.Code != tt.want {
				t.Fatalf("Load = %v, want DeployError %s", err, tt.want)
			}
			if res := mustCall(t, mustLoad(t, tt.rt, rawGuest(t)), testEnv(), "echo", "x", nil); !res.OK() {
				t.Fatalf("next call = %+v", res)
			}
		})
	}
}

func TestMethodsListing(t *testing.T) {
	m := mustLoad(t, sharedRuntime(t, EngineCompiler), buildtest.Wasm(t, "contracts/loan"))
	res := mustCall(t, m, testEnv(), "mesh.methods", "", nil)
	if !res.OK() || !strings.Contains(string(res.Return), `"pay"`) {
		t.Fatalf("mesh.methods = %s %q %q", res.Code, res.Return, res.Message)
	}
}
