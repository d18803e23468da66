package ledger

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/meshledger/meshledger/ledger/tx"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string // "" when valid; else the field the error must name
	}{
		{"zero: all defaults", Config{}, ""},
		{"defaults", DefaultConfig(), ""},
		{"partial", Config{QueryGasCap: 5, TxLimits: tx.Limits{MaxNameBytes: 8}}, ""},
		{"auto recovery workers", Config{RecoverWorkers: -1}, ""},
		{"negative QueryScanLimit", Config{QueryScanLimit: -1}, "QueryScanLimit"},
		{"negative MaxEnvelopeBytes", Config{TxLimits: tx.Limits{MaxEnvelopeBytes: -1}}, "TxLimits.MaxEnvelopeBytes"},
		{"negative MaxCodeBytes", Config{TxLimits: tx.Limits{MaxCodeBytes: -1}}, "TxLimits.MaxCodeBytes"},
		{"negative MaxArgsBytes", Config{TxLimits: tx.Limits{MaxArgsBytes: -1}}, "TxLimits.MaxArgsBytes"},
		{"negative MaxNameBytes", Config{TxLimits: tx.Limits{MaxNameBytes: -1}}, "TxLimits.MaxNameBytes"},
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
				t.Fatalf("Validate = %v, want ErrBadConfig naming %s", err, tt.want)
			}
		})
	}
}

// A zero Config runs as DefaultConfig, and WithDefaults keeps what a
// caller sets.
func TestConfigWithDefaults(t *testing.T) {
	if got := (Config{}).WithDefaults(); !reflect.DeepEqual(got, DefaultConfig()) {
		t.Fatalf("Config{}.WithDefaults() = %+v, want DefaultConfig() %+v", got, DefaultConfig())
	}
	c := Config{QueryGasCap: 5, TxLimits: tx.Limits{MaxNameBytes: 8}}.WithDefaults()
	if c.QueryGasCap != 5 || c.TxLimits.MaxNameBytes != 8 || c.TxLimits.MaxCodeBytes != tx.DefaultMaxCodeBytes || c.QueryScanLimit != DefaultQueryScanLimit {
		t.Fatalf("partial config: %+v", c)
	}
}

// Open refuses a Config that Validate refuses, before touching storage.
func TestOpenRefusesBadConfig(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(context.Background(), Config{Dir: dir, QueryScanLimit: -1}); !errors.Is(err, ErrBadConfig) {
		t.Fatalf("Open = %v, want ErrBadConfig", err)
	}
}
