package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/node"
)

func newTestnetCmd(a *app) *cobra.Command {
	var (
		orgs, basePort int
		out            string
		chainID        uint64
	)
	cmd := &cobra.Command{
		Use:   "testnet",
		Short: "Write a CometBFT network of organisations on this machine, one node each",
		Long: `Write the homes of a network of --orgs organisations on this machine, one
validator node each, and print the commands that start them. OUT/orgN holds
organisation N's node key (node.key: its admin and deployer), the shared
ledger genesis (genesis.json, every organisation founding, consensus
cometbft, deploys and upgrades approved by the organisations, manifests
required) and its CometBFT home (config/: validator key, node key, the
shared CometBFT genesis, every other node as a persistent peer on
127.0.0.1; data/).

Start each node in its own terminal with the command printed for it; three
of four make blocks. Ports come from the operating system unless
--base-port P gives organisation N the HTTP port P+N-1 and the P2P port
P+100+2(N-1). OUT must not exist or be empty: keys are never overwritten.
For organisations on separate machines see 'meshledger init'.`,
		Example: `  meshledger testnet --orgs 4 --out testnet
  meshledger testnet --orgs 4 --out /tmp/net --base-port 26600 --chain-id 7`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireEmptyDir(out); err != nil {
				return err
			}
			tn, err := node.WriteTestnet(out, node.TestnetOptions{Orgs: orgs, ChainID: chainID, BasePort: basePort})
			if err != nil {
				return err
			}
			v, err := testnetView(tn)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return printJSON(a.stdout, v)
			}
			return printTestnet(a.stdout, v)
		},
	}
	f := cmd.Flags()
	f.IntVar(&orgs, "orgs", 4, "number of organisations, one validator node each (1 to 50)")
	f.StringVar(&out, "out", "testnet", "directory to write the network in (must not exist or be empty)")
	f.IntVar(&basePort, "base-port", 0, "first HTTP port (P2P ports from base+100); 0 takes free ports from the operating system")
	f.Uint64Var(&chainID, "chain-id", node.DefaultTestnetChainID, "ledger chain id (CometBFT's chain id is meshledger-<id>)")
	return cmd
}

// requireEmptyDir refuses a directory that holds anything: a testnet
// written over another would mix two networks' keys and genesis files.
func requireEmptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("--out %s: %w", dir, err)
	case len(entries) > 0:
		return fmt.Errorf("--out %s is not empty (it holds %s): choose a new directory; keys and chains are never overwritten", dir, entries[0].Name())
	}
	return nil
}

// testnetOrgView is one organisation of a testnet as --json prints it.
type testnetOrgView struct {
	ID               string `json:"id"`
	Dir              string `json:"dir"`
	NodeAddress      string `json:"nodeAddress"`
	ValidatorAddress string `json:"validatorAddress"`
	NodeID           string `json:"nodeId"`
	P2P              string `json:"p2p"`
	URL              string `json:"url"`
	KeyFile          string `json:"keyFile"`
	Start            string `json:"start"`
}

type testnetJSON struct {
	Dir         string           `json:"dir"`
	ChainID     uint64           `json:"chainId"`
	GenesisHash string           `json:"genesisHash"`
	Orgs        []testnetOrgView `json:"orgs"`
}

func testnetView(tn *node.Testnet) (testnetJSON, error) {
	// The genesis block's hash, as GET /v1/chain and 'meshledger chain'
	// show it, rather than the genesis file's config hash.
	header, err := ledger.GenesisHeader(tn.Genesis)
	if err != nil {
		return testnetJSON{}, err
	}
	cmds := tn.Commands()
	v := testnetJSON{Dir: tn.Dir, ChainID: tn.Genesis.ChainID, GenesisHash: header.Hash().Hex()}
	for i, o := range tn.Orgs {
		v.Orgs = append(v.Orgs, testnetOrgView{
			ID: o.ID, Dir: o.DataDir, NodeAddress: o.Address.Hex(), ValidatorAddress: o.Comet.Address.String(),
			NodeID: string(o.Comet.NodeID), P2P: o.Comet.P2PAddr, URL: "http://" + o.Listen,
			KeyFile: filepath.Join(o.DataDir, node.KeyFile), Start: cmds[i],
		})
	}
	return v, nil
}

func printTestnet(w io.Writer, v testnetJSON) error {
	fmt.Fprintf(w, "Wrote a network of %d organisations in %s (chain %d, genesis %s).\n",
		len(v.Orgs), v.Dir, v.ChainID, v.GenesisHash)
	fmt.Fprintf(w, "Start each node in its own terminal; more than two thirds of them make blocks.\n")
	for _, o := range v.Orgs {
		fmt.Fprintln(w)
		var k kv
		k.add("organisation", o.ID)
		k.add("node address", o.NodeAddress)
		k.add("validator", o.ValidatorAddress)
		k.add("p2p", o.NodeID+"@"+o.P2P)
		k.add("http", o.URL)
		k.add("key", o.KeyFile)
		if err := k.print(w); err != nil {
			return err
		}
		fmt.Fprintf(w, "  start: %s\n", o.Start)
	}
	first := v.Orgs[0]
	_, err := fmt.Fprintf(w, `
Use the CLI against any node, signing as that node's organisation:
  meshledger --node %s --key %s chain
  meshledger --node %s --key %s org list
A transaction sent to any node is committed by the network; each
organisation's key is its admin and deployer, and deploys need the
organisations' approval ('meshledger proposal').
`, first.URL, first.KeyFile, first.URL, first.KeyFile)
	return err
}
