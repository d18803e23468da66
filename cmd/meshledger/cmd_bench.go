package main

import (
	"github.com/spf13/cobra"

	"github.com/meshledger/meshledger/cmd/loadgen/bench"
)

// newBenchCmd is the load generator (cmd/loadgen) as a subcommand. Its
// --node and --key have the same meaning as the global flags, but no
// defaults: a benchmark must name its target (or --spawn its own).
func newBenchCmd(a *app) *cobra.Command {
	return bench.NewCommand("bench", a.stdout, a.stderr)
}
