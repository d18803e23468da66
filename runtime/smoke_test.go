package runtime

import "testing"

func TestSmoke(t *testing.T) {
	for _, cfg := range []Config{NewConfig(), NewConfig().WithIsolation(IsolationCopy), NewConfig().WithInterpreter()} {
		rt := newTestRuntime(t, cfg)
		m := mustLoad(t, rt, rawGuest(t))
		for i := 0; i < 3; i++ {
			res := mustCall(t, m, testEnv(), "counter", "", newMemState())
			t.Logf("%+v", res)
		}
		res := mustCall(t, m, testEnv(), "echo", "hello", newMemState())
		t.Logf("%s %q gas=%d", res.Code, res.Return, res.GasUsed)
		t.Logf("stats %+v", rt.Stats())
	}
}
