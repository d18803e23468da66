package mempool

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string // "" when valid; else a field name the error must name
	}{
		{"zero: all defaults", Config{}, ""},
		{"defaults", DefaultConfig(), ""},
		{"partial", Config{MaxTxs: 4, GappedMaxAge: time.Hour}, ""},
		{"negative MaxTxs", Config{MaxTxs: -1}, "MaxTxs"},
		{"negative MaxBytes", Config{MaxBytes: -1}, "MaxBytes"},
		{"negative MaxAge", Config{MaxAge: -time.Second}, "MaxAge"},
		{"negative KeepDropped", Config{KeepDropped: -5}, "KeepDropped"},
		{"negative DroppedTTL", Config{DroppedTTL: -time.Second}, "DroppedTTL"},
		{"negative MaxGapped", Config{MaxGapped: -1}, "MaxGapped"},
		{"negative GappedMaxAge", Config{GappedMaxAge: -time.Minute}, "GappedMaxAge"},
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
// caller sets: defaults are written once, in DefaultConfig.
func TestConfigWithDefaults(t *testing.T) {
	if got, want := (Config{}).WithDefaults(), DefaultConfig(); got != want {
		t.Fatalf("Config{}.WithDefaults() = %+v, want DefaultConfig() %+v", got, want)
	}
	if got := DefaultConfig().WithDefaults(); got != DefaultConfig() {
		t.Fatalf("DefaultConfig is not fixed by WithDefaults: %+v", got)
	}
	c := Config{MaxTxs: 8, MaxAge: time.Second}.WithDefaults()
	if c.MaxTxs != 8 || c.MaxGapped != 2 || c.GappedMaxAge != time.Second || c.MaxBytes != DefaultMaxBytes {
		t.Fatalf("partial config: %+v", c)
	}
}
