package runtime

import (
	"fmt"
	"testing"
)

// TestCallsDoNotSeeEachOthersMemory runs calls that write different parts
// of a 2 MiB array (every 512th byte of each range, see
// testdata/scribble): pages no call wrote before, pages earlier calls wrote
// (which copy-on-write instances keep and overwrite), more pages than an
// instance keeps, and a change to a global variable. Each call must find
// the array and the variable as the snapshot left them, on every isolation
// mode and both engines, with identical results.
func TestCallsDoNotSeeEachOthersMemory(t *testing.T) {
	code := buildGuest(t, "runtime/testdata/scribble")
	steps := []string{
		"0:1",
		"0:1",                    // the same page again
		"4096:8192,1048576:4096", // new pages
		"0:2097152",              // every page, more than an instance keeps
		"0:1,2000000:1",          // a kept page and a dropped one
		"100000:300000,70000:10", // pages written once before
		"2097151:1",              // the last byte
		"4096:8192,1048576:4096", // a repeat
	}
	var want []string
	for _, eng := range []Engine{EngineCompiler, EngineInterpreter} {
		for _, iso := range []Isolation{IsolationAuto, IsolationCoW, IsolationCopy, IsolationFresh} {
			t.Run(fmt.Sprintf("engine=%d/isolation=%d", eng, iso), func(t *testing.T) {
				rt := newTestRuntime(t, NewConfig().WithEngine(eng).WithIsolation(iso))
				m := mustLoad(t, rt, code)
				env := testEnv()
				var got []string
				for i, args := range steps {
					res := mustCall(t, m, env, "write", args, nil)
					if !res.OK() || string(res.Return) != "clean" {
						t.Fatalf("call %d (%s) after earlier calls: %s %q", i, args, res.Code, res.Return)
					}
					got = append(got, digest(res))
				}
				if want == nil {
					want = got
				}
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("call %d: result %s, want %s (first engine and mode)", i, got[i], want[i])
					}
				}
			})
		}
	}
}
