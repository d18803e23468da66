package main

import (
	"strings"
	"testing"
)

func TestWasmMemoryBudgetFlag(t *testing.T) {
	tests := []struct {
		in      string
		want    uint64
		wantErr bool
	}{
		{"2GiB", 2 << 30, false},
		{"512MiB", 512 << 20, false},
		{"64 KiB", 64 << 10, false},
		{"1048576", 1 << 20, false},
		{"100B", 100, false},
		{"0", 0, true},
		{"-1GiB", 0, true},
		{"2GB", 0, true},
		{"lots", 0, true},
		{"17179869184GiB", 0, true}, // 2^64 bytes
	}
	for _, tt := range tests {
		var b byteSize
		err := b.Set(tt.in)
		if tt.wantErr {
			if err == nil || !strings.Contains(err.Error(), "is not a positive size") {
				t.Errorf("Set(%q) = %d, %v; want an error", tt.in, b, err)
			}
			continue
		}
		if err != nil || uint64(b) != tt.want {
			t.Errorf("Set(%q) = %d, %v; want %d", tt.in, b, err, tt.want)
		}
	}
	// The default reads back as it is written in the help.
	cmd := newNodeCmd(&app{})
	if got := cmd.Flags().Lookup("wasm-memory-budget").DefValue; got != "2GiB" {
		t.Fatalf("default = %q, want 2GiB", got)
	}
}
