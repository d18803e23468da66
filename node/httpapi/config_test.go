package httpapi

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/meshledger/meshledger/ledger"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string // "" when valid; else the field the error must name
	}{
		{"zero: all defaults", Config{}, ""},
		{"defaults", DefaultConfig(), ""},
		{"partial", Config{MaxBodyBytes: 4 << 10, Heartbeat: time.Millisecond}, ""},
		{"wait above max is capped, not refused", Config{DefaultWait: time.Hour, MaxWait: time.Second}, ""},
		{"negative MaxBodyBytes", Config{MaxBodyBytes: -1}, "MaxBodyBytes"},
		{"negative MaxLargeBodies", Config{MaxLargeBodies: -1}, "MaxLargeBodies"},
		{"negative SmallBodyBytes", Config{SmallBodyBytes: -1}, "SmallBodyBytes"},
		{"negative MaxHeaderBytes", Config{MaxHeaderBytes: -1}, "MaxHeaderBytes"},
		{"negative ReadHeaderTimeout", Config{ReadHeaderTimeout: -time.Second}, "ReadHeaderTimeout"},
		{"negative MaxBatch", Config{MaxBatch: -1}, "MaxBatch"},
		{"negative MaxWaits", Config{MaxWaits: -1}, "MaxWaits"},
		{"negative MaxWait", Config{MaxWait: -time.Second}, "MaxWait"},
		{"negative DefaultWait", Config{DefaultWait: -time.Second}, "DefaultWait"},
		{"negative MaxQueries", Config{MaxQueries: -1}, "MaxQueries"},
		{"negative MaxStreams", Config{MaxStreams: -1}, "MaxStreams"},
		{"negative Heartbeat", Config{Heartbeat: -time.Second}, "Heartbeat"},
		{"negative StreamWriteTimeout", Config{StreamWriteTimeout: -time.Second}, "StreamWriteTimeout"},
		{"negative RetryAfter", Config{RetryAfter: -time.Second}, "RetryAfter"},
		{"negative SessionCacheSize", Config{SessionCacheSize: -1}, "SessionCacheSize"},
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

// A zero Config runs as DefaultConfig: defaults are written once, in
// DefaultConfig (the query cap in the ledger), and WithDefaults keeps what
// a caller sets.
func TestConfigWithDefaults(t *testing.T) {
	got := Config{}.WithDefaults()
	if got.Logger == nil {
		t.Fatal("WithDefaults left Logger unset")
	}
	got.Logger = nil
	if !reflect.DeepEqual(got, DefaultConfig()) {
		t.Fatalf("Config{}.WithDefaults() = %+v, want DefaultConfig() %+v", got, DefaultConfig())
	}
	if got.QueryGasCap != ledger.DefaultQueryGasCap {
		t.Fatalf("QueryGasCap = %d, want the ledger's %d", got.QueryGasCap, ledger.DefaultQueryGasCap)
	}
	c := Config{MaxWait: time.Second, MaxBatch: 3}.WithDefaults()
	if c.MaxWait != time.Second || c.DefaultWait != time.Second || c.MaxBatch != 3 {
		t.Fatalf("partial config: %+v", c)
	}
}
