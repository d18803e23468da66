package node

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/node/httpapi"
	"github.com/meshledger/meshledger/node/mempool"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string // "" when valid; else what the error must name
	}{
		{"zero: all defaults", Config{}, ""},
		{"defaults", DefaultConfig(), ""},
		{"partial", Config{BlockInterval: time.Millisecond, Mempool: mempool.Config{MaxTxs: 4}}, ""},
		{"no background compilation", Config{CompileWorkers: -1}, ""},
		{"negative BlockInterval", Config{BlockInterval: -time.Second}, "BlockInterval"},
		{"negative BlockMaxTxs", Config{BlockMaxTxs: -1}, "BlockMaxTxs"},
		{"negative BlockTimeBudget", Config{BlockTimeBudget: -time.Millisecond}, "BlockTimeBudget"},
		{"negative CompileQueue", Config{CompileQueue: -1}, "CompileQueue"},
		{"negative ReadTimeout", Config{ReadTimeout: -time.Second}, "ReadTimeout"},
		{"negative ShutdownTimeout", Config{ShutdownTimeout: -time.Second}, "ShutdownTimeout"},
		{"bad mempool", Config{Mempool: mempool.Config{MaxTxs: -1}}, "Mempool: mempool: bad config: MaxTxs"},
		{"bad API", Config{API: httpapi.Config{MaxBatch: -1}}, "API: bad API config: MaxBatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrBadConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate = %v, want ErrBadConfig naming %q", err, tt.want)
			}
		})
	}
}

// Each part's own sentinel survives the node's wrapping, so a caller can
// tell which part was refused.
func TestConfigValidatePartErrors(t *testing.T) {
	err := Config{Mempool: mempool.Config{MaxAge: -1}, API: httpapi.Config{MaxWaits: -1}}.Validate()
	if !errors.Is(err, mempool.ErrBadConfig) || !errors.Is(err, httpapi.ErrBadConfig) {
		t.Fatalf("Validate = %v, want both parts' errors", err)
	}
}

// A zero Config runs as DefaultConfig: defaults are written once, in
// DefaultConfig, and WithDefaults keeps what a caller sets.
func TestConfigWithDefaults(t *testing.T) {
	got, want := Config{}.WithDefaults(), DefaultConfig()
	if got.Logger == nil || got.Now == nil || got.API.Logger != got.Logger {
		t.Fatal("WithDefaults left the logger or clock unset")
	}
	got.Logger, got.Now, got.API.Logger = nil, nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Config{}.WithDefaults() = %+v\nwant DefaultConfig() %+v", got, want)
	}
	if want.QueryGasCap != ledger.DefaultQueryGasCap || want.API.QueryGasCap != ledger.DefaultQueryGasCap {
		t.Fatalf("query gas caps %d, %d: want the ledger's %d", want.QueryGasCap, want.API.QueryGasCap, ledger.DefaultQueryGasCap)
	}

	c := Config{QueryGasCap: 5, BlockMaxTxs: 7, CompileWorkers: -1, Mempool: mempool.Config{MaxTxs: 8}}.WithDefaults()
	if c.API.QueryGasCap != 5 {
		t.Errorf("API.QueryGasCap = %d, want the node's 5", c.API.QueryGasCap)
	}
	if c.BlockMaxTxs != 7 || c.CompileWorkers != -1 || c.Mempool.MaxTxs != 8 || c.Mempool.MaxGapped != 2 {
		t.Errorf("partial config not kept: %+v", c)
	}
	if c.BlockInterval != DefaultBlockInterval || c.API.MaxBatch != httpapi.DefaultConfig().MaxBatch {
		t.Errorf("unset fields not defaulted: %+v", c)
	}
}
