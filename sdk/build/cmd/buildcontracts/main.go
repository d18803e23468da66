// Command buildcontracts builds contracts to Wasm with sdk/build, manifest
// included: for each package directory given, <out>/<base name>.wasm.
// It is what `make contracts` runs, so a clean checkout needs only Go.
//
//	go run ./sdk/build/cmd/buildcontracts -o build/contracts ./contracts/loan ./contracts/pool
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/meshledger/meshledger/sdk/build"
	"github.com/meshledger/meshledger/sdk/manifest"
)

func main() {
	out := flag.String("o", "build/contracts", "output directory")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: buildcontracts [-o dir] package-dir...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *out, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(ctx context.Context, outDir string, pkgs []string) error {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return fmt.Errorf("buildcontracts: %w", err)
	}
	for _, pkg := range pkgs {
		name := filepath.Base(filepath.Clean(pkg))
		out := filepath.Join(outDir, name+".wasm")
		if err := build.Contract(ctx, pkg, out); err != nil {
			return err
		}
		wasm, err := os.ReadFile(out)
		if err != nil {
			return fmt.Errorf("buildcontracts: %w", err)
		}
		_, ok, err := manifest.Extract(wasm)
		if err != nil {
			return fmt.Errorf("buildcontracts: %s: %w", out, err)
		}
		note := "no manifest (does not use the contract SDK)"
		if ok {
			note = "with manifest"
		}
		fmt.Printf("wasm  %s (%s)\n", name, note)
	}
	return nil
}
