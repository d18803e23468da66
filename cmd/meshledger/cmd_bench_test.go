package main

import (
	"encoding/json"
	"testing"

	"github.com/meshledger/meshledger/cmd/loadgen/bench"
)

func testCLIBench(t *testing.T, tn *testNet) {
	for _, mode := range []string{"batch", "single"} {
		t.Run(mode, func(t *testing.T) {
			r := runCLI(t, nil, "bench", "--node", tn.node.URL(), "--key", tn.keyFile, "--wasm", tn.wasmFile,
				"--mode", mode, "--workers", "2", "--batch", "8", "--count", "40", "--duration", "30s", "--json", "--quiet")
			r.want(t, 0, `"committed": 40`)
			var res bench.Result
			if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || res.Sent != 40 || res.TxPerSec <= 0 || res.P99 < res.P50 {
				t.Fatalf("result %+v, %v", res, err)
			}
		})
	}
}

func TestBenchArgs(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"bench", "--mode", "x", "--spawn"}, "mode must be batch or single"},
		{[]string{"bench"}, "give a node URL or spawn one"},
		{[]string{"bench", "--node", "http://127.0.0.1:1"}, "a key is needed"},
		{[]string{"bench", "--spawn", "--batch", "100", "--window", "64"}, "batch size must not exceed"},
	}
	for _, tt := range tests {
		runCLI(t, nil, tt.args...).wantErr(t, 1, tt.want)
	}
}
