package main

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/p2p"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/spf13/cobra"

	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/cometbft"
)

// CardFile is where init leaves the organisation's card in its data
// directory, beside node.key.
const CardFile = "org-card.json"

// DefaultP2PPort is CometBFT's customary P2P port.
const DefaultP2PPort = 26656

// orgCard is what one organisation sends the others before a network's
// genesis is assembled: its public keys and where its node is dialled.
// Nothing in it is secret.
type orgCard struct {
	// Org is the organisation id (registry.ValidateOrgID).
	Org string `json:"org"`
	// Name is its display name.
	Name string `json:"name"`
	// NodeAddress is the address of its node key (node.key): the
	// organisation's admin and deployer at genesis.
	NodeAddress common.Address `json:"nodeAddress"`
	// ValidatorPubKey is its ed25519 consensus key, base64 as CometBFT
	// writes keys.
	ValidatorPubKey string `json:"validatorPubKey"`
	// ValidatorAddress is the address CometBFT derives from the key; it
	// lets a reader check a card against a validator list by eye, and
	// catches a card whose key was altered.
	ValidatorAddress string `json:"validatorAddress"`
	// Peer is the node's P2P address in CometBFT's id@host:port form.
	Peer string `json:"peer"`
}

// ErrBadCard is wrapped by every error about an organisation card.
var ErrBadCard = errors.New("bad organisation card")

// parsedCard is a card whose fields were checked.
type parsedCard struct {
	orgCard
	pubKey ed25519.PubKey
	peer   cometbft.Peer
}

// parseCard decodes and checks a card; unknown fields are refused, so a
// misspelt field does not silently drop a key.
func parseCard(raw []byte) (*parsedCard, error) {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	var c parsedCard
	if err := dec.Decode(&c.orgCard); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadCard, err)
	}
	if err := registry.ValidateOrgID(c.Org); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadCard, err)
	}
	if err := registry.ValidateName(c.Name); err != nil {
		return nil, fmt.Errorf("%w: organisation %s: %v", ErrBadCard, c.Org, err)
	}
	if c.NodeAddress == (common.Address{}) {
		return nil, fmt.Errorf("%w: organisation %s: nodeAddress is missing", ErrBadCard, c.Org)
	}
	key, err := base64.StdEncoding.DecodeString(c.ValidatorPubKey)
	if err != nil || len(key) != ed25519.PubKeySize {
		return nil, fmt.Errorf("%w: organisation %s: validatorPubKey is not a base64 %d-byte ed25519 key", ErrBadCard, c.Org, ed25519.PubKeySize)
	}
	c.pubKey = ed25519.PubKey(key)
	if want := c.pubKey.Address().String(); !strings.EqualFold(c.ValidatorAddress, want) {
		return nil, fmt.Errorf("%w: organisation %s: validatorAddress %s is not the key's address %s (the card was altered or damaged)",
			ErrBadCard, c.Org, c.ValidatorAddress, want)
	}
	if c.peer, err = parsePeer(c.Peer); err != nil {
		return nil, fmt.Errorf("%w: organisation %s: peer %q: %v", ErrBadCard, c.Org, c.Peer, err)
	}
	return &c, nil
}

// parsePeer reads CometBFT's id@host:port.
func parsePeer(s string) (cometbft.Peer, error) {
	id, addr, ok := strings.Cut(s, "@")
	if !ok {
		return cometbft.Peer{}, errors.New("want node-id@host:port")
	}
	if b, err := hex.DecodeString(id); err != nil || len(b) != p2p.IDByteLength {
		return cometbft.Peer{}, fmt.Errorf("node id %q is not %d hex bytes", id, p2p.IDByteLength)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return cometbft.Peer{}, errors.New("want node-id@host:port")
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 {
		return cometbft.Peer{}, fmt.Errorf("port %q is not in 1..65535", port)
	}
	return cometbft.Peer{ID: p2p.ID(id), Host: host, Port: p}, nil
}

func newInitCmd(a *app) *cobra.Command {
	var (
		org, name, out, host, bind, listen string
		p2pPort                            int
	)
	cmd := &cobra.Command{
		Use:   "init --org ID --host HOST --out DIR",
		Short: "Prepare this organisation's node for a network on several machines; print its card",
		Long: `Prepare one organisation's node of a CometBFT network whose organisations run
their nodes on separate machines. In DIR, the node's data directory, it
writes the node key (node.key: the organisation's admin and deployer at
genesis) and the CometBFT home DIR/cometbft (the validator key
config/priv_validator_key.json, the P2P key config/node_key.json and
config.toml for validators on separate machines). Both keys stay on this
machine: back them up, and never run two nodes with one validator key.

It prints the organisation's card, also left in DIR/org-card.json: the
organisation id, its node address, its validator's public key and
address, and the P2P address the other nodes dial (--host and
--p2p-port). Nothing in it is secret. Send it to the other organisations;
then each runs 'meshledger genesis assemble' over all the cards, the
organisations compare the hashes it prints, and each runs 'meshledger
genesis install' (docs/operations.md). A directory already initialised is
refused: its keys are never replaced.`,
		Example: `  meshledger init --org acme --name "Acme Bank" --host node.acme.example --out /var/lib/meshledger
  meshledger init --org beta --host 203.0.113.20 --p2p-port 26656 --out ./beta > beta.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := registry.ValidateOrgID(org); err != nil {
				return fmt.Errorf("--org: %w", err)
			}
			if name == "" {
				name = org
			}
			if err := registry.ValidateName(name); err != nil {
				return fmt.Errorf("--name: %w", err)
			}
			if host == "" {
				return errors.New("--host is required: the host name or IP address the other organisations' nodes dial")
			}
			card, err := initOrg(out, org, name, host, bind, p2pPort)
			if err != nil {
				return err
			}
			if err := printJSON(a.stdout, card); err != nil {
				return err
			}
			fmt.Fprintf(a.stderr, `Wrote %s: node key, CometBFT home %s, card %s.
Send the card above to the other organisations. Once the genesis is
assembled, install it and start the node:
  meshledger genesis install --from GENESIS_DIR --data-dir %s
  meshledger node --data-dir %s --consensus cometbft --listen %s
`, out, filepath.Join(out, node.CometDir), filepath.Join(out, CardFile), out, out, listen)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&org, "org", "", "organisation id (a-z, 0-9 and '-', up to 32 characters)")
	f.StringVar(&name, "name", "", "organisation's display name (default: the id)")
	f.StringVar(&out, "out", node.DefaultDataDir, "the node's data directory")
	f.StringVar(&host, "host", "", "host name or IP address the other organisations' nodes dial (required)")
	f.IntVar(&p2pPort, "p2p-port", DefaultP2PPort, "CometBFT P2P port the other nodes dial")
	f.StringVar(&bind, "p2p-bind", "0.0.0.0", "address the P2P port listens on")
	f.StringVar(&listen, "listen", node.DefaultListen, "HTTP API address for the printed start command")
	_ = cmd.MarkFlagRequired("org")
	return cmd
}

// initOrg writes the node key and CometBFT home of one organisation in
// dir and its card, refusing a directory that already has a CometBFT home.
func initOrg(dir, org, name, host, bind string, p2pPort int) (*orgCard, error) {
	// Checked before any key is made, so that a mistyped host leaves
	// nothing behind to refuse the corrected command.
	if _, err := parsePeer(strings.Repeat("0", 2*p2p.IDByteLength) + "@" + net.JoinHostPort(host, strconv.Itoa(p2pPort))); err != nil {
		return nil, fmt.Errorf("--host %q --p2p-port %d: %w", host, p2pPort, err)
	}
	home := filepath.Join(dir, node.CometDir)
	for _, p := range []string{filepath.Join(home, "config", "priv_validator_key.json"), filepath.Join(dir, CardFile)} {
		if _, err := os.Stat(p); err == nil {
			return nil, fmt.Errorf("%s is already initialised (%s exists): its keys are never replaced; its card is %s",
				dir, p, filepath.Join(dir, CardFile))
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("--out: %w", err)
	}
	key, _, err := node.LoadOrCreateKey(filepath.Join(dir, node.KeyFile))
	if err != nil {
		return nil, err
	}
	opts := cometbft.DefaultHomeOptions()
	opts.Moniker, opts.ListenHost, opts.ExternalHost, opts.P2PPort, opts.Public = org, bind, host, p2pPort, true
	// A heartbeat block on an idle network, as a testnet has: a node that
	// was down needs a block above the last to verify it by block sync.
	opts.Timing.EmptyBlockInterval = node.DefaultTestnetHeartbeat
	info, err := cometbft.InitHome(home, opts)
	if err != nil {
		return nil, err
	}
	peer := cometbft.Peer{ID: info.NodeID, Host: host, Port: p2pPort}
	card := &orgCard{
		Org: org, Name: name, NodeAddress: crypto.PubkeyToAddress(key.PublicKey),
		ValidatorPubKey:  base64.StdEncoding.EncodeToString(info.PubKey),
		ValidatorAddress: info.Address.String(),
		Peer:             peer.String(),
	}
	raw, err := json.MarshalIndent(card, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode card: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, CardFile), append(raw, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("write card: %w", err)
	}
	return card, nil
}
