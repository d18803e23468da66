package bench

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/meshledger/meshledger/sdk/client"
)

func TestConfigValidate(t *testing.T) {
	k, _ := client.GenerateKey()
	tests := []struct {
		name string
		cfg  Config
		want error
	}{
		{"spawn defaults", Config{Spawn: true}, nil},
		{"target with key", Config{NodeURL: "http://127.0.0.1:1", AdminKey: k}, nil},
		{"bad mode", Config{Spawn: true, Mode: "burst"}, ErrBadMode},
		{"bad scenario", Config{Spawn: true, Scenario: "swap"}, ErrBadScenario},
		{"pool with fewer loans than workers", Config{Spawn: true, Scenario: ScenarioPool, Workers: 8, Loans: 7}, ErrFewLoans},
		{"pool with a loan per worker", Config{Spawn: true, Scenario: ScenarioPool, Workers: 8, Loans: 8}, nil},
		{"negative loans", Config{Spawn: true, Loans: -1}, ErrNegative},
		{"loan book with fewer loans than workers", Config{Spawn: true, Workers: 8, Loans: 7}, ErrFewLoans},
		{"loan book", Config{Spawn: true, Workers: 8, Loans: 1_000_000}, nil},
		{"stages of a spawned node", Config{Spawn: true, Stages: true}, nil},
		{"stages of a testnet", Config{Testnet: 2, Stages: true}, nil},
		{"stages of a remote node", Config{NodeURL: "http://127.0.0.1:1", AdminKey: k, Stages: true}, ErrStagesLocal},
		{"no target", Config{}, ErrNoTarget},
		{"no key", Config{NodeURL: "http://127.0.0.1:1"}, ErrNoKey},
		{"nodes with key", Config{Nodes: []string{"http://127.0.0.1:1", "http://127.0.0.1:2"}, AdminKey: k}, nil},
		{"nodes without key", Config{Nodes: []string{"http://127.0.0.1:1", "http://127.0.0.1:2"}}, ErrNoKey},
		{"testnet needs no key", Config{Testnet: 4}, nil},
		{"negative testnet", Config{Testnet: -1}, ErrNegative},
		{"spawn and testnet", Config{Spawn: true, Testnet: 4}, ErrTwoTargets},
		{"node and nodes", Config{NodeURL: "http://127.0.0.1:1", Nodes: []string{"http://127.0.0.1:2"}, AdminKey: k}, ErrTwoTargets},
		{"testnet and node", Config{Testnet: 4, NodeURL: "http://127.0.0.1:1", AdminKey: k}, ErrTwoTargets},
		{"batch above window", Config{Spawn: true, BatchSize: 65, Window: 64}, ErrBatchSize},
		{"single ignores batch size", Config{Spawn: true, Mode: ModeSingle, BatchSize: 65, Window: 64}, nil},
		{"negative workers", Config{Spawn: true, Workers: -1}, ErrNegative},
		{"negative rate", Config{Spawn: true, Rate: -5}, ErrNegative},
		{"negative duration", Config{Spawn: true, Duration: -time.Second}, ErrNegative},
		{"book dir", Config{Spawn: true, Loans: 100, BookDir: "book"}, nil},
		{"book dir of a remote node", Config{NodeURL: "http://127.0.0.1:1", AdminKey: k, Loans: 100, BookDir: "book"}, ErrBookDirSpawn},
		{"book dir without a loan book", Config{Spawn: true, BookDir: "book"}, ErrBookDirLoans},
		{"book dir of a pool", Config{Spawn: true, Scenario: ScenarioPool, Loans: 100, BookDir: "book"}, ErrBookDirLoans},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.cfg.Validate(); !errors.Is(err, tt.want) {
				t.Fatalf("Validate = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestSummarise(t *testing.T) {
	var lat []time.Duration
	for i := 100; i >= 1; i-- {
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	start := time.Unix(0, 0)
	var r Result
	r.summarise(lat, start, start.Add(2*time.Second))
	if r.Committed != 100 || r.TxPerSec != 50 || r.P50 != 50*time.Millisecond || r.P90 != 90*time.Millisecond ||
		r.P99 != 99*time.Millisecond || r.Max != 100*time.Millisecond {
		t.Fatalf("summary %+v", r)
	}
	var empty Result
	empty.summarise(nil, start, start)
	if empty.Committed != 0 || empty.TxPerSec != 0 {
		t.Fatalf("empty summary %+v", empty)
	}
}

func TestPacerSpacesSends(t *testing.T) {
	p := &pacer{interval: 2 * time.Millisecond}
	start := time.Now()
	for range 10 {
		if err := p.wait(context.Background(), 5); err != nil {
			t.Fatal(err)
		}
	}
	// 10 reservations of 5 transactions: the last starts after 45 slots.
	if el := time.Since(start); el < 90*time.Millisecond {
		t.Fatalf("50 transactions at 500/s took %v, want ≥ 90ms", el)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p.next = time.Now().Add(time.Hour)
	if err := p.wait(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("wait after cancel = %v", err)
	}
	var none *pacer
	if err := none.wait(ctx, 1); err != nil {
		t.Fatal("a nil pacer must not wait")
	}
}

func TestBackpressure(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&client.APIError{Status: 503, Code: "mempool_full"}, true},
		{&client.APIError{Status: 422, Code: "nonce_too_high"}, true},
		{fmt.Errorf("submit: %w", &client.APIError{Status: 429, Code: "too_many_requests"}), true},
		{errors.New("mempool_full: a bare string is not the node's answer"), false},
		{&client.APIError{Status: 400, Code: "malformed"}, false},
		{errors.New("bad_signature: x"), false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := backpressure(tt.err); got != tt.want {
			t.Errorf("backpressure(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
