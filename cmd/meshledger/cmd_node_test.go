package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/meshledger/meshledger/sdk/client"
)

func TestNodeCommand(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	done := make(chan int, 1)
	environ := map[string]string{"MESHLEDGER_DATA_DIR": dir, "MESHLEDGER_BLOCK_INTERVAL": "20ms"}
	go func() {
		done <- run(ctx, []string{"node", "--listen", "127.0.0.1:0"}, env{stdout: &out, stderr: &errb,
			getenv: func(k string) string { return environ[k] }})
	}()
	addr := regexp.MustCompile(`HTTP API listening" addr=(127\.0\.0\.1:\d+)`)
	var url string
	for deadline := time.Now().Add(time.Minute); url == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		select {
		case code := <-done:
			t.Fatalf("node exited with %d:\n%s", code, errb.String())
		default:
		}
		if m := addr.FindStringSubmatch(errb.String()); m != nil {
			url = "http://" + m[1]
		}
	}
	if url == "" {
		t.Fatalf("node did not report its address:\n%s", errb.String())
	}
	// The env var chose the data dir: the key is there, and the CLI's
	// --key finds it.
	keyFile := filepath.Join(dir, "node.key")
	if _, err := os.Stat(keyFile); err != nil {
		t.Fatal(err)
	}
	k, _ := client.LoadKeyFile(keyFile, "")
	runCLI(t, nil, "--node", url, "chain").want(t, 0, "node address:", k.Address().Hex())
	cancel()
	select {
	case code := <-done:
		if code != 0 && code != 130 {
			t.Fatalf("node exit code %d:\n%s", code, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("node did not stop")
	}
}

func TestNodeCommandBadFlags(t *testing.T) {
	tests := []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, []string{"node", "--block-interval", "soon"}, "invalid argument"},
		{map[string]string{"MESHLEDGER_BLOCK_MAX_TXS": "many"}, []string{"node"}, "MESHLEDGER_BLOCK_MAX_TXS"},
		{nil, []string{"node", "--data-dir", t.TempDir(), "--listen", "256.0.0.1:1"}, "listen"},
		{nil, []string{"node", "--data-dir", t.TempDir(), "--genesis", filepath.Join(t.TempDir(), "none.json")}, "genesis"},
	}
	for _, tt := range tests {
		runCLI(t, tt.env, tt.args...).wantErr(t, 1, tt.want)
	}
}
