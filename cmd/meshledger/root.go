package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/sdk/client"
	"github.com/meshledger/meshledger/sdk/client/keystore"
)

// env is what a command may touch outside its arguments, injected so that
// tests run commands in-process.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}

// app holds the global flags of one invocation.
type app struct {
	env
	nodeURL    string
	keyFile    string
	passFile   string
	jsonOut    bool
	trust      []string
	keyFlagSet bool
}

// Defaults of the global flags.
const (
	defaultNode    = "http://" + node.DefaultListen
	defaultKeyFile = node.DefaultDataDir + "/" + node.KeyFile // the development node's key
	envPrefix      = "MESHLEDGER_"
)

// run executes one command line and returns the process exit code.
func run(ctx context.Context, args []string, e env) int {
	root := newRoot(e)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	// A command with its own exit statuses (audit: 0/1/2) says which.
	var ec interface{ ExitCode() int }
	if errors.As(err, &ec) {
		fmt.Fprintln(e.stderr, "error:", err)
		return ec.ExitCode()
	}
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return 130 // interrupted: not a failure worth a message
	}
	fmt.Fprintln(e.stderr, "error:", err)
	var ae *client.APIError
	if errors.As(err, &ae) {
		return 3
	}
	var cf *client.CallFailedError
	if errors.As(err, &cf) {
		return 4
	}
	return 1
}

func newRoot(e env) *cobra.Command {
	a := &app{env: e}
	root := &cobra.Command{
		Use:   "meshledger",
		Short: "Run and use a meshledger node",
		Long: `meshledger runs a node hosting deterministic WebAssembly contracts and talks to
one over its HTTP API: deploy, call and upgrade contracts, read state with
proofs, follow lineage and events, and run the partner network: organisations,
members and their roles, and the proposals the organisations vote on. --key
signs transactions and proves who reads (a signed read session).

Every flag can also be set from the environment as MESHLEDGER_<FLAG>, with
dashes as underscores (--block-interval → MESHLEDGER_BLOCK_INTERVAL).`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd.Flags(), e.getenv); err != nil {
				return err
			}
			a.keyFlagSet = cmd.Flags().Changed("key")
			return nil
		},
	}
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	pf := root.PersistentFlags()
	pf.StringVar(&a.nodeURL, "node", defaultNode, "node API base URL")
	pf.StringVar(&a.keyFile, "key", defaultKeyFile, "signing key file (hex or keystore JSON): signs transactions and the read sessions that prove who reads; the node command signs blocks with it")
	pf.StringVar(&a.passFile, "passphrase-file", "", "file holding the keystore passphrase (or set MESHLEDGER_PASSPHRASE)")
	pf.BoolVar(&a.jsonOut, "json", false, "print machine-readable JSON")
	pf.StringSliceVar(&a.trust, "trust", nil, "node addresses whose signed headers --verify accepts (default: the node's own address, trusted on first use)")

	root.AddCommand(
		newNodeCmd(a), newKeysCmd(a), newDeployCmd(a), newCallCmd(a), newQueryCmd(a),
		newStateCmd(a), newHistoryCmd(a), newTxCmd(a), newBlockCmd(a), newEventsCmd(a),
		newChainCmd(a), newContractsCmd(a), newBenchCmd(a), newExportCmd(a), newReplayCmd(a),
		newOrgCmd(a), newMemberCmd(a), newProposalCmd(a), newPolicyCmd(a), newRoleCmd(a), newContractCmd(a),
		newTestnetCmd(a), newInitCmd(a), newGenesisCmd(a),
		newLogCmd(a),
		newEvidenceCmd(a),
		newAuditCmd(a),
	)
	return root
}

// applyEnv sets every flag not given on the command line from
// MESHLEDGER_<NAME> when that variable is set.
func applyEnv(fs *pflag.FlagSet, getenv func(string) string) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed {
			return
		}
		name := envPrefix + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(name); v != "" {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s=%q: %w", name, v, e)
			}
		}
	})
	return err
}

// passphrase reads the keystore passphrase: --passphrase-file, else
// MESHLEDGER_PASSPHRASE, else empty.
func (a *app) passphrase() (string, error) {
	if a.passFile != "" {
		b, err := os.ReadFile(a.passFile)
		if err != nil {
			return "", fmt.Errorf("passphrase: %w", err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	return a.getenv(envPrefix + "PASSPHRASE"), nil
}

// loadKey loads the --key file.
func (a *app) loadKey() (*client.Key, error) {
	pass, err := a.passphrase()
	if err != nil {
		return nil, err
	}
	k, err := keystore.LoadKeyFile(a.keyFile, pass)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && !a.keyFlagSet {
			return nil, fmt.Errorf("no signing key: %s does not exist (pass --key FILE, or create one with 'meshledger keys new')", filepath.Clean(a.keyFile))
		}
		return nil, err
	}
	return k, nil
}

// client returns an API client. withKey needs the signing key (the
// command signs a transaction); without it the key is still loaded when
// there is one, because it is also the reader: the client signs read
// sessions with it, and nodes answer most reads only to members. Only
// when no --key was given and the default key file is absent does the
// client read anonymously. extra options come first (log verify's
// byte-counting transport).
func (a *app) client(withKey bool, extra ...client.Option) (*client.Client, error) {
	opts := append([]client.Option{}, extra...)
	if _, err := os.Stat(a.keyFile); withKey || a.keyFlagSet || !errors.Is(err, os.ErrNotExist) {
		k, err := a.loadKey()
		if err != nil {
			return nil, err
		}
		opts = append(opts, client.WithKey(k))
	}
	trusted, err := a.trustedAddrs()
	if err != nil {
		return nil, err
	}
	for _, t := range trusted {
		opts = append(opts, client.WithTrustedNodes(t))
	}
	return client.New(a.nodeURL, opts...)
}

// trustedAddrs parses --trust.
func (a *app) trustedAddrs() ([]common.Address, error) {
	var out []common.Address
	for _, s := range a.trust {
		addr, err := parseAddress("--trust", s)
		if err != nil {
			return nil, err
		}
		out = append(out, addr)
	}
	return out, nil
}

// signersOrNode returns the --trust addresses or, without them, node: the
// address the node advertises, trusted on first use and said so on
// stderr. Every command that checks signed headers trusts the same way.
func (a *app) signersOrNode(node common.Address) ([]common.Address, error) {
	if len(a.trust) > 0 {
		return a.trustedAddrs()
	}
	fmt.Fprintf(a.stderr, "note: trusting node address %s as reported by the node (pin it with --trust)\n", node.Hex())
	return []common.Address{node}, nil
}

// verifier returns the verifier of --trust, or, without it, one trusting
// the node's advertised address (trust on first use), saying so on stderr.
func (a *app) verifier(ctx context.Context, c *client.Client) (*client.Verifier, error) {
	if len(a.trust) > 0 {
		return c.Verifier(), nil
	}
	ch, err := c.Chain(ctx)
	if err != nil {
		return nil, err
	}
	signers, err := a.signersOrNode(ch.NodeAddress)
	if err != nil {
		return nil, err
	}
	return client.NewVerifier(signers...), nil
}

// parseAddress parses a contract or account address argument.
func parseAddress(what, s string) (common.Address, error) {
	if !common.IsHexAddress(s) {
		return common.Address{}, fmt.Errorf("%s %q: want a 0x-prefixed 20-byte hex address", what, s)
	}
	return common.HexToAddress(s), nil
}

// parseCallArgs reads CONTRACT METHOD [ARGS_JSON], as call and query take them.
func parseCallArgs(args []string) (contract common.Address, method string, raw []byte, err error) {
	if contract, err = parseAddress("contract", args[0]); err != nil {
		return contract, "", nil, err
	}
	if len(args) == 3 {
		if raw, err = argsJSON("ARGS", args[2]); err != nil {
			return contract, "", nil, err
		}
	}
	return contract, args[1], raw, nil
}

// parseContractKey reads CONTRACT KEY, as state and history take them.
func parseContractKey(args []string, isHex bool) (common.Address, []byte, error) {
	contract, err := parseAddress("contract", args[0])
	if err != nil {
		return contract, nil, err
	}
	key, err := parseKey(args[1], isHex)
	return contract, key, err
}

// heightFlag is the --height flag's value when given, else nil (latest).
func heightFlag(cmd *cobra.Command, height *uint64) *uint64 {
	if cmd.Flags().Changed("height") {
		return height
	}
	return nil
}
