//go:build !failpoints

package node

import (
	"log/slog"

	abci "github.com/cometbft/cometbft/abci/types"
)

// withFailpoints returns app unchanged: failpoints exist only in builds
// with the failpoints tag (failpoint_crash.go), which crash tests make.
func withFailpoints(app abci.Application, _ *slog.Logger) (abci.Application, error) {
	return app, nil
}
