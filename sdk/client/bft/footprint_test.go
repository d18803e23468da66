package bft_test

import (
	"os/exec"
	"strings"
	"testing"
)

// deps lists pkg's transitive dependencies as `go list -deps` sees them.
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

// CometBFT enters a client program only through this package, and only
// its types: a client of a solo chain links none of it, and this package
// none of CometBFT's light client, storage or node.
func TestDependencyFootprint(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	tests := []struct {
		pkg       string
		forbidden []string
	}{
		{"github.com/meshledger/meshledger/sdk/client", []string{
			"github.com/cometbft/", "github.com/meshledger/meshledger/sdk/client/bft",
		}},
		{"github.com/meshledger/meshledger/sdk/client/bft", []string{
			"github.com/cometbft/cometbft/light", "github.com/cometbft/cometbft/store",
			"github.com/cometbft/cometbft/state", "github.com/cometbft/cometbft/node",
			"github.com/cometbft/cometbft-db", "github.com/syndtr/goleveldb",
			"github.com/meshledger/meshledger/sdk/client/bft/bfttest",
		}},
	}
	for _, tt := range tests {
		for _, d := range deps(t, tt.pkg) {
			for _, f := range tt.forbidden {
				if d == f || strings.HasPrefix(d, strings.TrimSuffix(f, "/")+"/") || strings.HasSuffix(f, "/") && strings.HasPrefix(d, f) {
					t.Errorf("%s links %s", tt.pkg, d)
				}
			}
		}
	}
}
