package node

import (
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/meshledger/meshledger/internal/atomicfile"
	"github.com/meshledger/meshledger/internal/freeport"
	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/node/cometbft"
)

// TestnetOptions shape WriteTestnet's network.
type TestnetOptions struct {
	// Orgs is the number of founding organisations, one validator each
	// (default 4).
	Orgs int
	// ChainID is the ledger chain id (default DefaultTestnetChainID).
	ChainID uint64
	// GenesisTime is the genesis time (default now, to the millisecond).
	GenesisTime time.Time
	// BasePort, when positive, gives org i (from 0) the HTTP port
	// BasePort+i and the CometBFT P2P port BasePort+100+2i; zero takes
	// free ports from the operating system.
	BasePort int
	// Policy is the network policy (default: registry.DefaultPolicy with
	// manifests required: deploys and upgrades need the organisations'
	// approval).
	Policy *registry.Policy
	// Comet is the template of every CometBFT home's options (timing,
	// mempool); default cometbft.DefaultHomeOptions.
	Comet *cometbft.HomeOptions
}

// DefaultTestnetHeartbeat is how long a testnet's idle network waits
// before an empty block.
const DefaultTestnetHeartbeat = time.Second

// DefaultTestnetChainID is a testnet's chain id when none is given.
const DefaultTestnetChainID = 1338

// TestnetOrg is one organisation of a testnet and the node it runs.
type TestnetOrg struct {
	// ID is the organisation id (org1, org2, ...).
	ID string
	// DataDir is the node's data directory; it is also its CometBFT home
	// (config/ and data/ beside the ledger's chain/).
	DataDir string
	// Listen is the node's HTTP address.
	Listen string
	// Key is the node key (DataDir/node.key): the organisation's admin
	// and deployer.
	Key     *ecdsa.PrivateKey
	Address common.Address
	// Comet is the node's CometBFT home.
	Comet cometbft.HomeInfo
}

// Testnet is a network of organisations on one machine, written by
// WriteTestnet.
type Testnet struct {
	Dir     string
	Genesis *block.Genesis
	Orgs    []TestnetOrg
}

// ErrTestnet is wrapped by WriteTestnet's errors about its arguments.
var ErrTestnet = errors.New("node: invalid testnet")

// WriteTestnet writes a BFT network of opts.Orgs organisations under dir:
// for each, dir/orgN holds the node key, the shared ledger genesis (every
// organisation founding, its node key its admin and deployer, consensus
// cometbft) and the CometBFT home (its validator key, the shared CometBFT
// genesis, peers wired to the others on loopback). Start node i with
// Testnet.Config(i) (or the commands Commands prints). It refuses a dir
// that already holds a testnet's chain: keys are never overwritten.
func WriteTestnet(dir string, opts TestnetOptions) (*Testnet, error) {
	if opts.Orgs == 0 {
		opts.Orgs = 4
	}
	if opts.Orgs < 1 || opts.Orgs > 50 {
		return nil, fmt.Errorf("%w: %d organisations (1 to 50)", ErrTestnet, opts.Orgs)
	}
	if opts.ChainID == 0 {
		opts.ChainID = DefaultTestnetChainID
	}
	if opts.GenesisTime.IsZero() {
		opts.GenesisTime = time.Now()
	}
	genesisMs := opts.GenesisTime.UnixMilli()
	if opts.Policy == nil {
		p := registry.DefaultPolicy()
		p.RequireManifest = true
		opts.Policy = &p
	}
	home := cometbft.DefaultHomeOptions()
	// A heartbeat block each second on an idle network: a validator that
	// was down syncs blocks up to the last but one, and needs a newer
	// block to verify the last (its commit is in the next header).
	home.Timing.EmptyBlockInterval = DefaultTestnetHeartbeat
	if opts.Comet != nil {
		home = *opts.Comet
	}
	if _, err := os.Stat(filepath.Join(dir, "org1", ChainDir)); err == nil {
		return nil, fmt.Errorf("%w: %s already holds a chain", ErrTestnet, dir)
	}

	// CometBFT homes first: they choose the P2P ports and make the keys.
	ctn, err := cometbft.Testnet(dir, opts.Orgs, cometbft.TestnetOptions{
		ChainID: cometbft.ChainID(opts.ChainID), GenesisTime: time.UnixMilli(genesisMs),
		Prefix: "org", BasePort: cometBasePort(opts.BasePort), Home: home,
	})
	if err != nil {
		return nil, fmt.Errorf("node: testnet: %w", err)
	}
	httpPorts, err := httpPorts(opts.Orgs, opts.BasePort)
	if err != nil {
		return nil, err
	}
	tn := &Testnet{Dir: dir}
	g := &block.Genesis{ChainID: opts.ChainID, TimeMs: genesisMs, BlockGasLimit: block.DefaultBlockGasLimit, Policy: opts.Policy, Consensus: block.ConsensusCometBFT}
	for i, h := range ctn.Homes {
		org := TestnetOrg{ID: h.Moniker, DataDir: h.Dir, Listen: net.JoinHostPort("127.0.0.1", strconv.Itoa(httpPorts[i])), Comet: h}
		key, _, err := LoadOrCreateKey(filepath.Join(h.Dir, KeyFile))
		if err != nil {
			return nil, err
		}
		org.Key, org.Address = key, crypto.PubkeyToAddress(key.PublicKey)
		tn.Orgs = append(tn.Orgs, org)
		g.Orgs = append(g.Orgs, registry.GenesisOrg{
			ID: org.ID, Name: "Organisation " + strconv.Itoa(i+1), Nodes: []common.Address{org.Address},
			Members: []registry.GenesisMember{{Address: org.Address, Roles: []string{registry.RoleAdmin, registry.RoleDeployer}}},
			// The registry knows the founders' validators, as CometBFT's
			// genesis does, so that governance can re-weight or remove them.
			Validator: &registry.Validator{PubKey: []byte(h.PubKey), Power: cometbft.DefaultValidatorPower},
		})
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	raw, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("node: encode genesis: %w", err)
	}
	for _, o := range tn.Orgs {
		if err := atomicfile.WriteFile(filepath.Join(o.DataDir, GenesisFile), append(raw, '\n'), 0o644); err != nil {
			return nil, fmt.Errorf("node: testnet genesis: %w", err)
		}
	}
	tn.Genesis = g
	return tn, nil
}

// cometBasePort is the CometBFT port range of a testnet's base port.
func cometBasePort(base int) int {
	if base <= 0 {
		return 0
	}
	return base + 100
}

// httpPorts returns n HTTP ports: from base, or free ones below the
// ephemeral range (see freeport), held open together so none is handed
// out twice.
func httpPorts(n, base int) ([]int, error) {
	if base > 0 {
		ports := make([]int, n)
		for i := range ports {
			ports[i] = base + i
		}
		return ports, nil
	}
	ports, err := freeport.Reserve("127.0.0.1", n, freeport.BelowEphemeral())
	if err != nil {
		return nil, fmt.Errorf("node: testnet: %w", err)
	}
	return ports, nil
}

// Config returns the node configuration of organisation i (from 0).
func (t *Testnet) Config(i int) Config {
	o := t.Orgs[i]
	return Config{DataDir: o.DataDir, Listen: o.Listen, Consensus: ConsensusCometBFT, CometHome: o.DataDir}
}

// Commands are the shell commands that start the testnet's nodes, one per
// organisation.
func (t *Testnet) Commands() []string {
	out := make([]string, len(t.Orgs))
	for i, o := range t.Orgs {
		out[i] = fmt.Sprintf("meshledger node --data-dir %s --listen %s --consensus cometbft --comet-home %s", o.DataDir, o.Listen, o.DataDir)
	}
	return out
}

// AddOrg prepares the home of one more organisation's node beside the
// testnet's (dir/orgN+1): a node key, a CometBFT home whose peers are the
// existing nodes, and copies of both genesis files. The organisation is
// not a member yet: the existing organisations add it, and its validator,
// by proposals (addOrg, setValidator); its node then syncs the chain from
// genesis and joins consensus once the set includes it.
func (t *Testnet) AddOrg(comet *cometbft.HomeOptions) (*TestnetOrg, error) {
	id := "org" + strconv.Itoa(len(t.Orgs)+1)
	dir := filepath.Join(t.Dir, id)
	opts := cometbft.DefaultHomeOptions()
	opts.Timing.EmptyBlockInterval = DefaultTestnetHeartbeat
	if comet != nil {
		opts = *comet
	}
	ports, err := httpPorts(2, 0)
	if err != nil {
		return nil, err
	}
	opts.Moniker, opts.P2PPort = id, ports[1]
	for _, o := range t.Orgs {
		opts.Peers = append(opts.Peers, o.Comet.Peer())
	}
	h, err := cometbft.InitHome(dir, opts)
	if err != nil {
		return nil, fmt.Errorf("node: testnet home %s: %w", id, err)
	}
	doc, err := cmttypes.GenesisDocFromFile(filepath.Join(t.Orgs[0].DataDir, "config", "genesis.json"))
	if err != nil {
		return nil, fmt.Errorf("node: testnet: read CometBFT genesis: %w", err)
	}
	if err := cometbft.SaveGenesis(dir, doc); err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(filepath.Join(t.Orgs[0].DataDir, GenesisFile))
	if err != nil {
		return nil, fmt.Errorf("node: testnet: read genesis: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, GenesisFile), raw, 0o644); err != nil {
		return nil, fmt.Errorf("node: testnet genesis: %w", err)
	}
	key, _, err := LoadOrCreateKey(filepath.Join(dir, KeyFile))
	if err != nil {
		return nil, err
	}
	org := TestnetOrg{ID: id, DataDir: dir, Listen: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0])), Key: key,
		Address: crypto.PubkeyToAddress(key.PublicKey), Comet: *h}
	t.Orgs = append(t.Orgs, org)
	return &t.Orgs[len(t.Orgs)-1], nil
}
