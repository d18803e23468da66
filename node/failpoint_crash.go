//go:build failpoints

package node

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"

	abci "github.com/cometbft/cometbft/abci/types"
)

// failpointEnv names the failpoint a node built with the failpoints tag
// arms at start. Crash tests set it on the node process they mean to
// crash; production builds do not compile this file.
const failpointEnv = "MESHLEDGER_FAILPOINT"

// failpointCrashBeforeCommit kills the node process (SIGKILL, no cleanup)
// at the first ABCI Commit of a height whose block held transactions:
// FinalizeBlock has executed the block and CometBFT has stored it, and the
// ledger has not written it. Restarted, the node must replay that height
// and agree with the network.
const failpointCrashBeforeCommit = "crash-before-commit"

// withFailpoints wraps app with the failpoint failpointEnv names, if any.
func withFailpoints(app abci.Application, log *slog.Logger) (abci.Application, error) {
	switch name := os.Getenv(failpointEnv); name {
	case "":
		return app, nil
	case failpointCrashBeforeCommit:
		log.Warn("failpoint armed", "failpoint", name)
		return &crashBeforeCommit{Application: app, log: log}, nil
	default:
		return nil, fmt.Errorf("node: %s=%q: unknown failpoint (want %s)", failpointEnv, name, failpointCrashBeforeCommit)
	}
}

type crashBeforeCommit struct {
	abci.Application
	log *slog.Logger
	// height is the last finalized height that held transactions; 0 when
	// the last finalized block was empty.
	height atomic.Int64
}

func (c *crashBeforeCommit) FinalizeBlock(ctx context.Context, req *abci.RequestFinalizeBlock) (*abci.ResponseFinalizeBlock, error) {
	res, err := c.Application.FinalizeBlock(ctx, req)
	if err == nil && len(req.Txs) > 0 {
		c.height.Store(req.Height)
	} else {
		c.height.Store(0)
	}
	return res, err
}

func (c *crashBeforeCommit) Commit(ctx context.Context, req *abci.RequestCommit) (*abci.ResponseCommit, error) {
	if h := c.height.Load(); h > 0 {
		c.log.Warn("failpoint: crashing before commit", "failpoint", failpointCrashBeforeCommit, "height", h)
		p, err := os.FindProcess(os.Getpid())
		if err == nil {
			if err = p.Kill(); err == nil {
				select {} // the signal is on its way: write nothing more
			}
		}
		// Should the kill fail, exiting without cleanup is the next best
		// crash.
		c.log.Error("failpoint: kill failed", "err", err)
		os.Exit(137)
	}
	return c.Application.Commit(ctx, req)
}
