// Command loadgen drives a meshledger node with signed loan payments and
// reports committed transactions per second and submit-to-commit latency.
// It is the same program as "meshledger bench"; see docs/cli.md.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/meshledger/meshledger/cmd/loadgen/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := bench.NewCommand("loadgen", os.Stdout, os.Stderr).ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		stop()
		os.Exit(1)
	}
}
