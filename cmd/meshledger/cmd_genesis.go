package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/types"
	"github.com/ethereum/go-ethereum/common"
	"github.com/spf13/cobra"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/cometbft"
)

// Files of an assembled genesis directory. It has the layout of a node's
// data directory, so that what install copies is where it goes.
const (
	// PeersFile lists every founding node as id@host:port, one a line,
	// in organisation id order.
	PeersFile = "peers.txt"
)

// cometGenesisPath is the CometBFT genesis under a data directory laid
// out as init lays it out.
func cometGenesisPath(dir string) string {
	return filepath.Join(dir, node.CometDir, "config", "genesis.json")
}

func newGenesisCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "genesis",
		Short: "Assemble and install the genesis of a network of organisations",
		Long: `The genesis ceremony of a CometBFT network whose organisations run their
nodes on separate machines (docs/operations.md): every organisation runs
'meshledger init' and sends its card to the others; each assembles the
genesis from all the cards with 'genesis assemble', and all compare the
two hashes it prints; each then installs it with 'genesis install'.`,
	}
	cmd.AddCommand(newGenesisAssembleCmd(a), newGenesisInstallCmd(a))
	return cmd
}

func newGenesisAssembleCmd(a *app) *cobra.Command {
	var (
		cards   []string
		chainID uint64
		at, out string
	)
	cmd := &cobra.Command{
		Use:   "assemble --cards CARD.json... --chain-id N --time RFC3339 --out DIR",
		Short: "Write a network's ledger and CometBFT genesis from the organisations' cards",
		Long: `Write the genesis of a network from the founding organisations' cards (as
'meshledger init' prints them), in DIR:

  genesis.json                    the ledger genesis: every organisation
                                  founding, its node key its admin and
                                  deployer, consensus cometbft, deploys and
                                  upgrades approved by the organisations,
                                  manifests required
  cometbft/config/genesis.json    the CometBFT genesis: each organisation's
                                  validator with equal power, chain id
                                  meshledger-N, the ledger's genesis time
  peers.txt                       every node's P2P address

The output depends only on the cards' contents, --chain-id and --time (the
cards are taken in organisation id order, whatever order they are given
in), so every organisation runs it on its own machine and compares the
two hashes printed: the ledger genesis hash (what 'meshledger chain'
shows as genesis) and the SHA-256 of the CometBFT genesis file. Without
--time the current second is taken and printed: pass it to the others.
A time in the future is when the network starts: CometBFT waits for it
before the first block. DIR must not exist or be empty.`,
		Example: `  meshledger genesis assemble --cards acme.json,beta.json,gamma.json,delta.json \
    --chain-id 7 --time 2026-12-07T09:00:00Z --out genesis`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(cards) == 0 {
				return errors.New("--cards: name every founding organisation's card file")
			}
			if chainID == 0 {
				return errors.New("--chain-id is required: a number no other network of these organisations uses")
			}
			t := time.Now().UTC().Truncate(time.Second)
			if at != "" {
				var err error
				if t, err = time.Parse(time.RFC3339, at); err != nil {
					return fmt.Errorf("--time %q: want RFC 3339, such as 2026-12-07T09:00:00Z", at)
				}
			}
			parsed, err := readCards(cards)
			if err != nil {
				return err
			}
			if err := requireEmptyDir(out); err != nil {
				return err
			}
			res, err := assembleGenesis(parsed, chainID, t)
			if err != nil {
				return err
			}
			if err := res.write(out); err != nil {
				return err
			}
			if a.jsonOut {
				return printJSON(a.stdout, res.summary(out))
			}
			var k kv
			k.add("organisations", strings.Join(res.orgIDs(), ", "))
			k.add("chain id", fmt.Sprintf("%d (CometBFT %s)", chainID, cometbft.ChainID(chainID)))
			k.add("genesis time", res.genesisTime().Format(time.RFC3339Nano))
			k.add("ledger genesis", res.ledgerHash)
			k.add("cometbft genesis", "sha256:"+res.cometHash)
			if err := k.print(a.stdout); err != nil {
				return err
			}
			if start := res.genesisTime(); start.After(time.Now()) {
				fmt.Fprintf(a.stdout, "The network starts at %s: until then the nodes wait for the genesis time.\n", start.Format(time.RFC3339))
			}
			fmt.Fprintf(a.stdout, `Wrote %s. Every organisation assembles with the same cards and
  --chain-id %d --time %s
and compares both hashes before installing it with
  meshledger genesis install --from %s --data-dir DATA_DIR
`, out, chainID, res.genesisTime().Format(time.RFC3339Nano), out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&cards, "cards", nil, "the founding organisations' card files (comma-separated or repeated)")
	f.Uint64Var(&chainID, "chain-id", 0, "the network's ledger chain id (required)")
	f.StringVar(&at, "time", "", "genesis time, RFC 3339 (default: now, to the second; every organisation must pass the same)")
	f.StringVar(&out, "out", "genesis", "directory to write (must not exist or be empty)")
	return cmd
}

// readCards reads and checks card files. A file may hold one card or, as
// `cat a.json b.json` gives, several in a row.
func readCards(files []string) ([]*parsedCard, error) {
	var out []*parsedCard
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("--cards: %w", err)
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		for n := 0; ; n++ {
			var one json.RawMessage
			if err := dec.Decode(&one); errors.Is(err, io.EOF) {
				if n == 0 {
					return nil, fmt.Errorf("%s: %w: the file is empty", f, ErrBadCard)
				}
				break
			} else if err != nil {
				return nil, fmt.Errorf("%s: %w: %v", f, ErrBadCard, err)
			}
			c, err := parseCard(one)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// assembled is a network's genesis, built from its organisations' cards.
type assembled struct {
	cards      []*parsedCard // by organisation id
	ledger     *block.Genesis
	ledgerJSON []byte
	ledgerHash string
	cometDoc   *types.GenesisDoc
	cometJSON  []byte
	cometHash  string
}

// genesisTime is the ledger genesis's time, in UTC.
func (r *assembled) genesisTime() time.Time { return time.UnixMilli(r.ledger.TimeMs).UTC() }

// assembleGenesis builds both genesis documents. Everything comes from its
// arguments, taken in organisation id order, so that every organisation
// that runs it gets the same bytes.
func assembleGenesis(cards []*parsedCard, chainID uint64, at time.Time) (*assembled, error) {
	cards = slices.Clone(cards)
	slices.SortFunc(cards, func(a, b *parsedCard) int { return strings.Compare(a.Org, b.Org) })
	if err := checkDistinct(cards); err != nil {
		return nil, err
	}
	policy := registry.DefaultPolicy()
	policy.RequireManifest = true
	g := &block.Genesis{
		ChainID: chainID, TimeMs: at.UnixMilli(), BlockGasLimit: block.DefaultBlockGasLimit,
		Policy: &policy, Consensus: block.ConsensusCometBFT,
	}
	params := cometbft.GenesisParams{ChainID: cometbft.ChainID(chainID), GenesisTime: time.UnixMilli(g.TimeMs)}
	for _, c := range cards {
		g.Orgs = append(g.Orgs, registry.GenesisOrg{
			ID: c.Org, Name: c.Name, Nodes: []common.Address{c.NodeAddress},
			Members: []registry.GenesisMember{{Address: c.NodeAddress, Roles: []string{registry.RoleAdmin, registry.RoleDeployer}}},
			// Declared in the registry too, so that governance (setValidator,
			// removeOrg) manages the founders' validators like any other,
			// and every node checks CometBFT's genesis set against it.
			Validator: &registry.Validator{PubKey: slices.Clone([]byte(c.pubKey)), Power: cometbft.DefaultValidatorPower},
		})
		params.Validators = append(params.Validators, cometbft.Validator{Name: c.Org, PubKey: c.pubKey, Power: cometbft.DefaultValidatorPower})
	}
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("ledger genesis: %w", err)
	}
	header, err := ledger.GenesisHeader(g)
	if err != nil {
		return nil, fmt.Errorf("ledger genesis: %w", err)
	}
	lj, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode ledger genesis: %w", err)
	}
	doc, err := cometbft.NewGenesisDoc(params)
	if err != nil {
		return nil, err
	}
	// The bytes CometBFT's GenesisDoc.SaveAs writes, so that the hash
	// printed is that of the file on disk (sha256sum shows the same).
	cj, err := cmtjson.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode cometbft genesis: %w", err)
	}
	sum := sha256.Sum256(cj)
	return &assembled{
		cards: cards, ledger: g, ledgerJSON: append(lj, '\n'), ledgerHash: header.Hash().Hex(),
		cometDoc: doc, cometJSON: cj, cometHash: hex.EncodeToString(sum[:]),
	}, nil
}

// checkDistinct refuses two cards sharing an organisation id or a key or
// an address: a genesis holding either would be refused, or worse, one
// organisation would speak twice.
func checkDistinct(cards []*parsedCard) error {
	seen := map[string]string{}
	for _, c := range cards {
		for _, f := range []struct{ what, v string }{
			{"organisation id", c.Org},
			{"node address", c.NodeAddress.Hex()},
			{"validator key", c.ValidatorPubKey},
			{"P2P node id", string(c.peer.ID)},
			{"P2P address", strings.ToLower(c.peer.Host) + ":" + fmt.Sprint(c.peer.Port)},
		} {
			k := f.what + "\x00" + f.v
			if other, dup := seen[k]; dup {
				return fmt.Errorf("%w: organisations %s and %s have the same %s %s", ErrBadCard, other, c.Org, f.what, f.v)
			}
			seen[k] = c.Org
		}
	}
	return nil
}

func (r *assembled) orgIDs() []string {
	ids := make([]string, len(r.cards))
	for i, c := range r.cards {
		ids[i] = c.Org
	}
	return ids
}

func (r *assembled) peers() string {
	var b strings.Builder
	for _, c := range r.cards {
		b.WriteString(c.peer.String() + "\n")
	}
	return b.String()
}

// write puts the genesis in dir, laid out as a data directory.
func (r *assembled) write(dir string) error {
	for _, f := range []struct {
		path string
		data []byte
	}{
		{filepath.Join(dir, node.GenesisFile), r.ledgerJSON},
		{cometGenesisPath(dir), r.cometJSON},
		{filepath.Join(dir, PeersFile), []byte(r.peers())},
	} {
		if err := os.MkdirAll(filepath.Dir(f.path), 0o755); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		if err := os.WriteFile(f.path, f.data, 0o644); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
	}
	return nil
}

// assembledJSON is what assemble --json prints.
type assembledJSON struct {
	Dir                string   `json:"dir"`
	Orgs               []string `json:"orgs"`
	ChainID            uint64   `json:"chainId"`
	CometChainID       string   `json:"cometChainId"`
	GenesisTime        string   `json:"genesisTime"`
	LedgerGenesisHash  string   `json:"ledgerGenesisHash"`
	CometGenesisSHA256 string   `json:"cometGenesisSha256"`
	Peers              []string `json:"peers"`
	Install            string   `json:"install"`
}

func (r *assembled) summary(dir string) assembledJSON {
	return assembledJSON{
		Dir: dir, Orgs: r.orgIDs(), ChainID: r.ledger.ChainID, CometChainID: r.cometDoc.ChainID,
		GenesisTime: r.genesisTime().Format(time.RFC3339Nano), LedgerGenesisHash: r.ledgerHash,
		CometGenesisSHA256: r.cometHash, Peers: strings.Fields(r.peers()),
		Install: "meshledger genesis install --from " + dir + " --data-dir DATA_DIR",
	}
}
