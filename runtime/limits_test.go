package runtime

import (
	"testing"

	"github.com/meshledger/meshledger/sdk/contract/contracttest"
)

// The contract SDK's mock host enforces the real host's default limits.
// It cannot import this package (guests link nothing of the host), so its
// constants are a second copy; this test keeps the two equal.
func TestMockHostLimitsMatchDefaults(t *testing.T) {
	l := DefaultLimits()
	for _, c := range []struct {
		name       string
		mock, real int
	}{
		{"key bytes", contracttest.MaxKeySize, l.MaxKeyBytes},
		{"value bytes", contracttest.MaxValueSize, l.MaxValueBytes},
		{"return bytes", contracttest.MaxReturnSize, l.MaxReturnBytes},
		{"events", contracttest.MaxEvents, l.MaxEvents},
		{"event bytes", contracttest.MaxEventBytes, l.MaxEventBytes},
		{"scan entries", contracttest.MaxScanEntries, l.MaxScanEntries},
	} {
		if c.mock != c.real {
			t.Errorf("%s: contracttest %d, runtime.DefaultLimits %d", c.name, c.mock, c.real)
		}
	}
}
