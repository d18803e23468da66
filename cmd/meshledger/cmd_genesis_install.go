package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/cometbft/cometbft/crypto/ed25519"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/spf13/cobra"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/cometbft"
)

// ErrInstall is wrapped by install's refusals: a genesis that is not this
// node's network, or a data directory that already runs another.
var ErrInstall = errors.New("cannot install the genesis")

func newGenesisInstallCmd(a *app) *cobra.Command {
	var (
		from, dataDir, cometHome string
		join                     bool
	)
	cmd := &cobra.Command{
		Use:   "install --from GENESIS_DIR --data-dir DIR",
		Short: "Install an assembled genesis in this organisation's node and wire its peers",
		Long: `Install the genesis 'meshledger genesis assemble' wrote in GENESIS_DIR in the
data directory 'meshledger init' prepared: the ledger genesis goes to
DIR/genesis.json, the CometBFT genesis to the CometBFT home's
config/genesis.json, and every other founding node becomes a persistent
peer in its config.toml (the line persistent_peers; the rest of the file is
kept as it is).

It refuses a genesis that does not name this node: its node key must be an
organisation's node and its validator key one of the validators. With
--join it installs the genesis of a network the organisation joins later:
the node syncs the chain from genesis and votes once the organisations
add it and its validator by proposals ('meshledger org propose-add',
'meshledger org propose-validator'). It refuses a data directory that
holds another genesis. Installing the same genesis again only rewrites
the peers.`,
		Example: `  meshledger genesis install --from genesis --data-dir /var/lib/meshledger`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cometHome == "" {
				cometHome = filepath.Join(dataDir, node.CometDir)
			}
			org, err := installGenesis(from, dataDir, cometHome, join)
			if err != nil {
				return err
			}
			if join {
				org.id = "joining the network"
			} else {
				org.id = "for organisation " + org.id
			}
			fmt.Fprintf(a.stdout, `Installed the genesis of chain %d in %s %s (%d peers).
Start the node:
  meshledger node --data-dir %s --consensus cometbft --comet-home %s --listen %s
`, org.chainID, dataDir, org.id, org.peers, dataDir, cometHome, node.DefaultListen)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "genesis", "directory 'meshledger genesis assemble' wrote")
	f.StringVar(&dataDir, "data-dir", node.DefaultDataDir, "the node's data directory, as 'meshledger init --out' prepared it")
	f.StringVar(&cometHome, "comet-home", "", "the node's CometBFT home (default DATA_DIR/cometbft)")
	f.BoolVar(&join, "join", false, "the organisation joins after genesis: its keys are not in the genesis yet")
	return cmd
}

// installed says what install did.
type installed struct {
	id      string
	chainID uint64
	peers   int
}

func installGenesis(from, dataDir, cometHome string, join bool) (*installed, error) {
	ledgerRaw, err := os.ReadFile(filepath.Join(from, node.GenesisFile))
	if err != nil {
		return nil, fmt.Errorf("--from: %w", err)
	}
	g, err := block.ParseGenesis(ledgerRaw)
	if err != nil {
		return nil, fmt.Errorf("--from %s: %w", from, err)
	}
	if !g.BFT() {
		return nil, fmt.Errorf("%w: %s names no CometBFT network (consensus %q)", ErrInstall, filepath.Join(from, node.GenesisFile), g.Consensus)
	}
	cometRaw, err := os.ReadFile(cometGenesisPath(from))
	if err != nil {
		return nil, fmt.Errorf("--from: %w", err)
	}
	doc, err := types.GenesisDocFromJSON(cometRaw)
	if err != nil {
		return nil, fmt.Errorf("--from %s: %w", cometGenesisPath(from), err)
	}
	if doc.ChainID != cometbft.ChainID(g.ChainID) || doc.GenesisTime.UnixMilli() != g.TimeMs {
		return nil, fmt.Errorf("%w: the CometBFT genesis (chain %s, time %s) is not the ledger genesis's (chain %s, time %d ms)",
			ErrInstall, doc.ChainID, doc.GenesisTime, cometbft.ChainID(g.ChainID), g.TimeMs)
	}
	peersRaw, err := os.ReadFile(filepath.Join(from, PeersFile))
	if err != nil {
		return nil, fmt.Errorf("--from: %w", err)
	}

	// Which organisation this node is: its keys must be in both documents.
	// LoadOrCreateKey would make a key where none is: a mistyped
	// directory must be an error, not a new identity.
	keyFile := filepath.Join(dataDir, node.KeyFile)
	if _, err := os.Stat(keyFile); err != nil {
		return nil, fmt.Errorf("%w: %v (prepare the directory with 'meshledger init')", ErrInstall, err)
	}
	nodeKey, _, err := node.LoadOrCreateKey(keyFile)
	if err != nil {
		return nil, err
	}
	addr := crypto.PubkeyToAddress(nodeKey.PublicKey)
	orgID := ""
	for _, o := range g.Orgs {
		for _, n := range o.Nodes {
			if n == addr {
				orgID = o.ID
			}
		}
	}
	if orgID == "" && !join {
		return nil, fmt.Errorf("%w: this node's key %s is no organisation's node in the genesis: wrong data directory, or its card was left out", ErrInstall, addr.Hex())
	}
	pub, err := validatorPubKey(cometHome)
	if err != nil {
		return nil, err
	}
	if !join && !slices.ContainsFunc(doc.Validators, func(v types.GenesisValidator) bool { return v.PubKey.Equals(pub) }) {
		return nil, fmt.Errorf("%w: this node's validator key %s is not a validator in the genesis: wrong CometBFT home, or its card was altered",
			ErrInstall, pub.Address())
	}
	nk, err := p2p.LoadNodeKey(filepath.Join(cometHome, "config", "node_key.json"))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInstall, err)
	}

	// A data directory runs one network for its whole life.
	ledgerDst, cometDst := filepath.Join(dataDir, node.GenesisFile), filepath.Join(cometHome, "config", "genesis.json")
	for _, f := range []struct{ path, want string }{{ledgerDst, string(ledgerRaw)}, {cometDst, string(cometRaw)}} {
		old, err := os.ReadFile(f.path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return nil, err
		case string(old) != f.want:
			return nil, fmt.Errorf("%w: %s holds another genesis; a node's genesis never changes (start a new network in a new data directory)", ErrInstall, f.path)
		}
	}

	var peers []string
	for _, line := range strings.Fields(string(peersRaw)) {
		p, err := parsePeer(line)
		if err != nil {
			return nil, fmt.Errorf("%s: %q: %w", filepath.Join(from, PeersFile), line, err)
		}
		if p.ID != nk.ID() {
			peers = append(peers, p.String())
		}
	}
	if err := setPersistentPeers(cometHome, peers); err != nil {
		return nil, err
	}
	if err := os.WriteFile(ledgerDst, ledgerRaw, 0o644); err != nil {
		return nil, fmt.Errorf("install: %w", err)
	}
	if err := os.WriteFile(cometDst, cometRaw, 0o644); err != nil {
		return nil, fmt.Errorf("install: %w", err)
	}
	return &installed{id: orgID, chainID: g.ChainID, peers: len(peers)}, nil
}

// validatorPubKey reads the public half of a home's validator key. The
// file is parsed here because privval's loader ends the process on a bad
// file.
func validatorPubKey(home string) (ed25519.PubKey, error) {
	path := filepath.Join(home, "config", "priv_validator_key.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v (prepare the directory with 'meshledger init')", ErrInstall, err)
	}
	var k privval.FilePVKey
	if err := cmtjson.Unmarshal(raw, &k); err != nil {
		return nil, fmt.Errorf("%w: validator key %s: %v", ErrInstall, path, err)
	}
	priv, ok := k.PrivKey.(ed25519.PrivKey)
	if !ok || len(priv) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: validator key %s holds no ed25519 private key", ErrInstall, path)
	}
	return priv.PubKey().(ed25519.PubKey), nil
}

// persistentPeersLine is config.toml's persistent_peers setting, as
// CometBFT's template writes it on a line of its own.
var persistentPeersLine = regexp.MustCompile(`(?m)^persistent_peers = ".*"$`)

// setPersistentPeers rewrites the persistent_peers line of a home's
// config.toml and nothing else, so that an operator's edits to the other
// settings survive an install.
func setPersistentPeers(home string, peers []string) error {
	path := filepath.Join(home, "config", "config.toml")
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInstall, err)
	}
	if n := len(persistentPeersLine.FindAllIndex(raw, -1)); n != 1 {
		return fmt.Errorf("%w: %s has %d persistent_peers lines, want one", ErrInstall, path, n)
	}
	line := fmt.Appendf(nil, "persistent_peers = %q", strings.Join(peers, ","))
	out := persistentPeersLine.ReplaceAllLiteral(raw, line)
	if bytes.Equal(out, raw) {
		return nil
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		return fmt.Errorf("install: %w", err)
	}
	return nil
}
