package runtime

// EXPERIMENT: temporary harness to compare metering variants; deleted before delivery.

import (
	"context"
	"os"
	goruntime "runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/meshledger/meshledger/sdk/build/buildtest"
)

func threadCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestMeterExperiment(t *testing.T) {
	vs := os.Getenv("MESHEXP")
	if vs == "" {
		t.Skip()
	}
	goruntime.LockOSThread()
	defer goruntime.UnlockOSThread()
	type variant struct {
		name string
		m    *Module
		wall []time.Duration
		cpu  []time.Duration
		gas  uint64
	}
	var vars []*variant
	code := buildtest.Wasm(t, "runtime/testdata/contracts/spin")
	loan := buildtest.Wasm(t, "contracts/loan")
	method := os.Getenv("MESHEXP_METHOD")
	for _, v := range strings.Split(vs, ",") {
		cfg := NewConfig().WithIsolation(IsolationCopy)
		name := v
		if v == "raw" {
			cfg = cfg.WithoutMetering()
			v = ""
		}
		os.Setenv("MESHGAS_V", v)
		rt := newTestRuntime(t, cfg)
		c := code
		if method == "pay" {
			c = loan
		}
		vars = append(vars, &variant{name: name, m: mustLoad(t, rt, c)})
	}
	os.Setenv("MESHGAS_V", "")
	ctx := context.Background()
	env := testEnv()
	env.GasLimit = 1 << 40
	args := []byte(`{"n":1000000}`)
	rounds := 40
	for r := 0; r < rounds; r++ {
		for _, v := range vars {
			var st State
			m := "compute"
			a := args
			reps := 1
			if method == "pay" {
				s := newMemState()
				res, err := v.m.Call(ctx, loanEnv(loanOwner), "create", []byte(loanCreateArgs(t, 1_000_000_000)), s)
				if err != nil || !res.OK() {
					t.Fatalf("create: %v %+v", err, res)
				}
				s.apply(res.Writes)
				st = s
				env = loanEnv(loanServicer)
				env.GasLimit = 1 << 40
				m = "pay"
				a = []byte(`{"id":"L-1","amount":1000}`)
				reps = 20
			}
			w0, c0 := time.Now(), threadCPU()
			for i := 0; i < reps; i++ {
				res, err := v.m.Call(ctx, env, m, a, st)
				if err != nil || !res.OK() {
					t.Fatalf("%v %+v", err, res)
				}
				v.gas = res.GasUsed
			}
			v.wall = append(v.wall, time.Since(w0)/time.Duration(reps))
			v.cpu = append(v.cpu, (threadCPU()-c0)/time.Duration(reps))
		}
	}
	base := vars[0]
	slices.Sort(base.wall)
	slices.Sort(base.cpu)
	for _, v := range vars {
		slices.Sort(v.wall)
		slices.Sort(v.cpu)
		t.Logf("%-8s gas %10d  wall min %8v med %8v (%.3fx/%.3fx)  cpu min %8v med %8v (%.3fx/%.3fx)", v.name, v.gas,
			v.wall[0], v.wall[len(v.wall)/2], float64(v.wall[0])/float64(base.wall[0]), float64(v.wall[len(v.wall)/2])/float64(base.wall[len(base.wall)/2]),
			v.cpu[0], v.cpu[len(v.cpu)/2], float64(v.cpu[0])/float64(base.cpu[0]), float64(v.cpu[len(v.cpu)/2])/float64(base.cpu[len(base.cpu)/2]))
	}
}
