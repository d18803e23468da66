package manifest

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestMatchesMethods(t *testing.T) {
	schema := json.RawMessage(`{}`)
	m := &Manifest{Version: Version, ReadPolicy: true, Methods: map[string]Method{
		"get": {Args: schema, Result: schema}, "pay": {Args: schema, Result: schema},
	}}
	if err := m.MatchesMethods([]string{"get", "mesh.canRead", "pay"}); err != nil {
		t.Fatal(err)
	}
	if err := m.MatchesMethods([]string{"pay", "mesh.canRead", "get"}); err != nil {
		t.Fatalf("order matters: %v", err)
	}
	tests := []struct {
		name   string
		policy bool
		names  []string
		want   string
	}{
		{"method missing from the module", true, []string{"get", "mesh.canRead"}, `method "pay" is described but the module has no such method`},
		{"method not described", true, []string{"get", "mesh.canRead", "pay", "zap"}, `the module's method "zap" is not described`},
		{"undescribed method sorting first", true, []string{"a", "get", "mesh.canRead", "pay"}, `the module's method "a" is not described`},
		{"policy claimed, not answered", true, []string{"get", "pay"}, "readPolicy is true but the module does not answer"},
		{"policy answered, not claimed", false, []string{"get", "mesh.canRead", "pay"}, "readPolicy is false but the module answers"},
		{"listed twice", true, []string{"get", "get", "mesh.canRead", "pay"}, `lists "get" twice`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m.ReadPolicy = tc.policy
			err := m.MatchesMethods(tc.names)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("MatchesMethods = %v, want %q", err, tc.want)
			}
		})
	}
	empty := &Manifest{Version: Version, Methods: map[string]Method{}}
	if err := empty.MatchesMethods(nil); err != nil {
		t.Fatal(err)
	}
}
