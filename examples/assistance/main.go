package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/sdk/client"
)

func main() {
	node := flag.String("node", "http://127.0.0.1:8080", "the node's API URL")
	keyFile := flag.String("key", "data/node.key", "hex key file of an organisation admin (the dev network's node key)")
	trusted := flag.String("trust", "", "address of the node whose signed headers proofs are checked against (default: the key's address, the dev node's own)")
	contracts := flag.String("contracts", "build/contracts", "directory of the compiled contracts (make contracts)")
	flag.Parse()

	key, err := client.LoadHexKey(*keyFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "assistance:", err)
		os.Exit(2)
	}
	trust := key.Address()
	if *trusted != "" {
		if !common.IsHexAddress(*trusted) {
			fmt.Fprintf(os.Stderr, "assistance: --trust %q is not an address\n", *trusted)
			os.Exit(2)
		}
		trust = common.HexToAddress(*trusted)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cfg := Config{
		NodeURL:      *node,
		AdminKey:     key,
		TrustedNodes: []common.Address{trust},
		Code:         codeFrom(*contracts),
	}
	if _, err := Run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "assistance:", err)
		os.Exit(1)
	}
}

// codeFrom reads <dir>/<name>.wasm, building the contract from
// contracts/<name> into dir first when the file is missing.
func codeFrom(dir string) func(ctx context.Context, name string) ([]byte, error) {
	return func(ctx context.Context, name string) ([]byte, error) {
		path := filepath.Join(dir, name+".wasm")
		code, err := os.ReadFile(path)
		if !errors.Is(err, fs.ErrNotExist) {
			return code, err
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		cmd := exec.CommandContext(ctx, "go", "run", "./sdk/build/cmd/buildcontracts", "-o", dir, "./contracts/"+name)
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("building contracts/%s (run from the repository root, or make contracts): %w", name, err)
		}
		return os.ReadFile(path)
	}
}
