package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/meshledger/meshledger/sdk/build"
	"github.com/meshledger/meshledger/sdk/client"
)

func newDeployCmd(a *app) *cobra.Command {
	var name, initArgs string
	var noWait bool
	cmd := &cobra.Command{
		Use:   "deploy FILE.wasm|PACKAGE_DIR",
		Short: "Deploy a contract (a Wasm file, or a Go package built on the fly)",
		Long: `Deploy a contract and wait for its receipt, which names the new contract's
address. FILE may be a Wasm module or a directory holding a Go contract
package, which is built with the standard toolchain first. --key needs the
deployer role. Under the approval deploy policy the deploy becomes a proposal
(its receipt returns {"proposal":N,"address":"0x…"}) and the contract exists
once the organisations approve it ('meshledger proposal approve N').`,
		Example: `  meshledger deploy loan.wasm --name loan
  meshledger deploy ./contracts/loan --name loan --init '{"admin":"0x…"}'
  meshledger deploy loan.wasm --name loan --json | jq -r .receipt.contractAddress`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			code, err := readContract(cmd, args[0])
			if err != nil {
				return err
			}
			if name == "" {
				name = strings.TrimSuffix(filepath.Base(filepath.Clean(args[0])), ".wasm")
			}
			initJSON, err := argsJSON("--init", initArgs)
			if err != nil {
				return err
			}
			c, err := a.client(true)
			if err != nil {
				return err
			}
			op := client.DeployOp(code, name, initJSON)
			if !noWait && !a.jsonOut {
				// Under the approval policy the deploy is a proposal: say
				// so, and whether it took effect at once.
				return a.submitGoverned(cmd, c, op, nil)
			}
			return a.submit(cmd, c, op, noWait)
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "contract name (default: the file's base name)")
	cmd.Flags().StringVar(&initArgs, "init", "", "JSON arguments of the contract's init method")
	cmd.Flags().BoolVar(&noWait, "no-wait", false, "return once the node has admitted the transaction")
	return cmd
}

// readContract reads a Wasm file, or builds a Go package directory.
func readContract(cmd *cobra.Command, path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("contract: %w", err)
	}
	if !st.IsDir() {
		return os.ReadFile(path)
	}
	out, err := os.CreateTemp("", "meshledger-*.wasm")
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	out.Close()
	defer os.Remove(out.Name())
	if err := build.Contract(cmd.Context(), path, out.Name()); err != nil {
		return nil, err
	}
	return os.ReadFile(out.Name())
}

// argsJSON checks a JSON argument given on the command line.
func argsJSON(what, s string) (json.RawMessage, error) {
	if s == "" {
		return nil, nil
	}
	if !json.Valid([]byte(s)) {
		return nil, fmt.Errorf("%s: not valid JSON: %s", what, s)
	}
	return json.RawMessage(s), nil
}

// submit signs and sends op, then (unless noWait) waits for the receipt
// and prints the record. A failed call is reported as an error after the
// record is printed, so scripts see both.
func (a *app) submit(cmd *cobra.Command, c *client.Client, op client.Op, noWait bool) error {
	if noWait {
		t, err := c.Submit(cmd.Context(), op)
		if err != nil {
			return err
		}
		if a.jsonOut {
			return printJSON(a.stdout, map[string]string{"hash": t.Hash.Hex(), "status": "pending"})
		}
		_, err = fmt.Fprintf(a.stdout, "hash:    %s\nstatus:  pending\n", t.Hash.Hex())
		return err
	}
	rec, err := c.Submit(cmd.Context(), op, client.Wait())
	if err != nil {
		return err
	}
	if a.jsonOut {
		err = printJSON(a.stdout, rec)
	} else {
		err = printTxRecord(a.stdout, rec)
	}
	if err != nil {
		return err
	}
	return client.ReceiptError(rec)
}
