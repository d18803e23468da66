package runtime

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// digest is a stable rendering of everything consensus-relevant in a
// result (everything but Log).
func digest(r *Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%q|%x|%d|", r.Code, r.Message, r.Return, r.GasUsed)
	for _, e := range r.Events {
		fmt.Fprintf(&b, "e:%s=%x,", e.Name, e.Data)
	}
	for _, w := range r.Writes {
		fmt.Fprintf(&b, "w:%x=%x/%t,", w.Key, w.Value, w.Delete)
	}
	for _, k := range r.Reads {
		fmt.Fprintf(&b, "r:%x,", k)
	}
	return b.String()
}

type step struct {
	env          Env
	method, args string
}

// randomSteps is a seeded mix of every kind of call, successes and
// failures alike.
func randomSteps(n int) []step {
	rng := rand.New(rand.NewSource(20240601))
	key := func() string { return fmt.Sprintf("k%02d", rng.Intn(30)) }
	var steps []step
	for i := 0; i < n; i++ {
		env := testEnv()
		env.Height = uint64(i)
		env.TimeMs += int64(i) * 1000
		env.TxHash = Hash{byte(i), byte(i >> 8)}
		env.GasLimit = 5_000_000
		var method, args string
		switch rng.Intn(19) {
		case 0:
			method, args = "echo", strings.Repeat("x", rng.Intn(100))
		case 1, 2:
			method, args = "set", fmt.Sprintf("%s=%d;%s=v%d", key(), i, key(), i)
		case 3:
			method, args = "set", "-"+key()
		case 4, 5:
			method, args = "get", key()
		case 6:
			method, args = "scan", fmt.Sprintf("k|%s|%d", key(), 1+rng.Intn(10))
		case 7:
			method, args = "emit", fmt.Sprint(rng.Intn(5))
		case 8:
			method, args = "compute", fmt.Sprint(rng.Intn(20000))
		case 9:
			method, args = "json", fmt.Sprint(rng.Intn(30))
		case 10:
			method, args = "time", fmt.Sprint(rng.Intn(5000))
		case 11:
			method, args = "rand", ""
		case 12:
			method = "loop"
			env.GasLimit = uint64(10_000 + rng.Intn(100_000))
		case 13:
			method, args = "abort", "why"
		case 14:
			method, args = "status", fmt.Sprint(rng.Intn(6))
		case 15:
			method, args = "counter", ""
			env.ReadOnly = rng.Intn(2) == 0
		case 16: // a divisor of 0 panics in Go: the unreachable trap
			method, args = "div", fmt.Sprint(rng.Intn(3))
		case 17:
			method, args = "trap", "oob"
		case 18:
			method, args = "raw", fmt.Sprintf("state_get 0x%x 4 buf:8 8", 0xFFFFFFF0+rng.Intn(16))
		}
		steps = append(steps, step{env, method, args})
	}
	return steps
}

// runSteps runs the steps on m, committing successful writes, and returns
// the per-call digests.
func runSteps(tb testing.TB, m *Module, steps []step) []string {
	st := newMemState()
	out := make([]string, len(steps))
	for i, s := range steps {
		r, err := m.Call(context.Background(), s.env, s.method, []byte(s.args), st)
		if err != nil {
			tb.Fatalf("step %d %s: %v", i, s.method, err)
		}
		if r.OK() {
			st.apply(r.Writes)
		}
		out[i] = digest(r)
	}
	return out
}

func sumDigests(ds []string) string {
	h := sha256.New()
	for _, d := range ds {
		h.Write([]byte(d))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

const determinismChildEnv = "MESHLEDGER_RUNTIME_DETERMINISM_CACHE"

func TestDeterminismAcrossEnginesAndProcesses(t *testing.T) {
	if raceEnabled {
		t.Skip("sequential: run without -race (about 10 times slower under it)")
	}
	steps := randomSteps(1200)
	compiled := runSteps(t, rawModule(t, EngineCompiler), steps)
	interpreted := runSteps(t, rawModule(t, EngineInterpreter), steps)
	codes := map[string]int{}
	for i := range steps {
		if compiled[i] != interpreted[i] {
			t.Fatalf("step %d (%s %q): compiler %s\ninterpreter %s", i, steps[i].method, steps[i].args, compiled[i], interpreted[i])
		}
		codes[strings.SplitN(compiled[i], "|", 2)[0]]++
	}
	t.Logf("result codes over %d calls: %v", len(steps), codes)
	if len(codes) < 5 {
		t.Fatalf("sequence exercised too few outcomes: %v", codes)
	}

	// A fresh process, which instruments and initialises the module
	// itself (only compiled code is shared), gives the same figures.
	cmd := exec.Command(os.Args[0], "-test.run", "^TestDeterminismChild$", "-test.v")
	cmd.Env = append(os.Environ(), determinismChildEnv+"="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	want := "digest=" + sumDigests(compiled)
	if !strings.Contains(string(out), want) {
		t.Fatalf("child process output lacks %s:\n%s", want, out)
	}
}

// TestDeterminismChild is the fresh process of the test above.
func TestDeterminismChild(t *testing.T) {
	dir := os.Getenv(determinismChildEnv)
	if dir == "" {
		t.Skip("run by TestDeterminismAcrossEnginesAndProcesses")
	}
	rt := newTestRuntime(t, NewConfig().WithCacheDir(dir).WithCompiledCacheDir(testCompiledDir))
	m := mustLoad(t, rt, rawGuest(t))
	if st := rt.Stats(); st.Prepared != 1 || st.Initialised != 1 {
		t.Fatalf("stats = %+v, want the module instrumented and initialised in this process", st)
	}
	ds := runSteps(t, m, randomSteps(1200))
	fmt.Printf("digest=%s\n", sumDigests(ds))
}

// TestGasDoesNotDependOnHistory runs several calls first on a fresh
// module and again after 100 unrelated calls, on both engines: isolation
// means identical results, and both engines agree.
func TestGasDoesNotDependOnHistory(t *testing.T) {
	probes := []step{
		{testEnv(), "json", "20"},
		{testEnv(), "set", "a=1;b=2"},
		{testEnv(), "scan", "k||5"},
		{testEnv(), "compute", "5000"},
		{testEnv(), "rand", ""},
		{testEnv(), "time", "250"},
		{testEnv(), "emit", "3"},
		{testEnv(), "trap", "oob"},
	}
	var perEngine [2][]string
	for _, e := range []Engine{EngineCompiler, EngineInterpreter} {
		rt := newTestRuntime(t, NewConfig().WithEngine(e).WithModuleCacheSize(1))
		m := mustLoad(t, rt, rawGuest(t))
		st := newMemState()
		st.m["k1"], st.m["k2"] = []byte("v1"), []byte("v2")
		first := make([]string, len(probes))
		for i, p := range probes {
			first[i] = digest(mustCall(t, m, p.env, p.method, p.args, st))
		}
		runSteps(t, m, randomSteps(100))
		for i, p := range probes {
			if again := digest(mustCall(t, m, p.env, p.method, p.args, st)); again != first[i] {
				t.Fatalf("%s %s %q alone: %s\nafter 100 calls: %s", engineName(e), p.method, p.args, first[i], again)
			}
		}
		perEngine[e] = first
	}
	for i := range probes {
		if perEngine[0][i] != perEngine[1][i] {
			t.Fatalf("%s %q: compiler %s\ninterpreter %s", probes[i].method, probes[i].args, perEngine[0][i], perEngine[1][i])
		}
	}
}
