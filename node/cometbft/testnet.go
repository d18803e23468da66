package cometbft

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"github.com/cometbft/cometbft/types"

	"github.com/meshledger/meshledger/internal/freeport"
)

// Testnet defaults.
const (
	// DefaultTestnetChainID names a testnet whose options name none.
	DefaultTestnetChainID = "meshledger-testnet"
	// DefaultTestnetPrefix names the homes org1, org2, ...
	DefaultTestnetPrefix = "org"
	// DefaultValidatorPower is each founding validator's power: all equal,
	// so any three of four make a commit.
	DefaultValidatorPower int64 = 10
)

// TestnetOptions says how Testnet lays out a network on one machine.
type TestnetOptions struct {
	// ChainID names the network; empty means DefaultTestnetChainID.
	ChainID string
	// GenesisTime is the network's genesis time (required; see
	// GenesisParams.GenesisTime).
	GenesisTime time.Time
	// Prefix names the homes Prefix1..PrefixN, which are also their
	// monikers and validator names; empty means DefaultTestnetPrefix.
	Prefix string
	// BasePort, when positive, gives home i (from 0) the P2P port
	// BasePort+2i and, with RPC, the RPC port BasePort+2i+1. Zero takes
	// free ports from the operating system.
	BasePort int
	// RPC turns CometBFT's RPC server on in every home.
	RPC bool
	// Power is each validator's power; zero means DefaultValidatorPower.
	Power int64
	// Home is the template for every home's config (timing, mempool,
	// listen host); its Moniker, ports and Peers are set per home.
	Home HomeOptions
	// BlockMaxBytes, BlockMaxGas, AppVersion and AppState go to the
	// genesis as in GenesisParams.
	BlockMaxBytes int64
	BlockMaxGas   int64
	AppVersion    uint64
	AppState      json.RawMessage
}

// TestnetInfo describes the network Testnet wrote.
type TestnetInfo struct {
	// Homes are the nodes' homes, in order (org1 first).
	Homes []HomeInfo
	// Genesis is the document every home holds.
	Genesis *types.GenesisDoc
}

// ErrInvalidTestnet is wrapped by errors about Testnet's arguments.
var ErrInvalidTestnet = errors.New("invalid testnet")

// Testnet writes n homes under outDir, one per validator, each dialling
// all the others, with one shared genesis in which all are validators of
// equal power. Run again on the same outDir it keeps every key and
// signing state and rewrites configs and genesis.
func Testnet(outDir string, n int, opts TestnetOptions) (*TestnetInfo, error) {
	if n < 1 {
		return nil, fmt.Errorf("%w: %d validators", ErrInvalidTestnet, n)
	}
	if opts.BasePort < 0 || (opts.BasePort > 0 && opts.BasePort+2*n-1 > 65535) {
		return nil, fmt.Errorf("%w: base port %d leaves no room for %d nodes", ErrInvalidTestnet, opts.BasePort, n)
	}
	if opts.ChainID == "" {
		opts.ChainID = DefaultTestnetChainID
	}
	if opts.Prefix == "" {
		opts.Prefix = DefaultTestnetPrefix
	}
	if opts.Power == 0 {
		opts.Power = DefaultValidatorPower
	}
	host := opts.Home.WithDefaults().ListenHost
	ports, err := testnetPorts(host, n, opts.BasePort)
	if err != nil {
		return nil, err
	}

	homeOpts := make([]HomeOptions, n)
	dirs := make([]string, n)
	for i := range n {
		o := opts.Home
		o.Moniker = opts.Prefix + strconv.Itoa(i+1)
		o.P2PPort = ports[2*i]
		o.RPCPort = 0
		if opts.RPC {
			o.RPCPort = ports[2*i+1]
		}
		o.Peers = nil
		homeOpts[i] = o
		dirs[i] = filepath.Join(outDir, o.Moniker)
	}

	// Keys first (node IDs are only known once generated), then the configs
	// again with every peer: InitHome keeps the keys it made.
	homes := make([]HomeInfo, n)
	for i := range n {
		info, err := InitHome(dirs[i], homeOpts[i])
		if err != nil {
			return nil, fmt.Errorf("testnet home %s: %w", dirs[i], err)
		}
		homes[i] = *info
	}
	for i := range n {
		for j := range n {
			if j != i {
				homeOpts[i].Peers = append(homeOpts[i].Peers, homes[j].Peer())
			}
		}
		if _, err := InitHome(dirs[i], homeOpts[i]); err != nil {
			return nil, fmt.Errorf("testnet home %s: %w", dirs[i], err)
		}
	}

	params := GenesisParams{
		ChainID:       opts.ChainID,
		GenesisTime:   opts.GenesisTime,
		BlockMaxBytes: opts.BlockMaxBytes,
		BlockMaxGas:   opts.BlockMaxGas,
		AppVersion:    opts.AppVersion,
		AppState:      opts.AppState,
	}
	for _, h := range homes {
		params.Validators = append(params.Validators, h.Validator(opts.Power))
	}
	doc, err := NewGenesisDoc(params)
	if err != nil {
		return nil, err
	}
	for _, d := range dirs {
		if err := SaveGenesis(d, doc); err != nil {
			return nil, err
		}
	}
	return &TestnetInfo{Homes: homes, Genesis: doc}, nil
}

// testnetPorts returns 2n ports: from base, or free ones below the
// ephemeral range (freeport: a port handed out for host:0 may be taken by
// any outgoing connection before the node binds it), all held open
// together so none is handed out twice. Another process may still take
// one between this and the node's start; that shows as a start error,
// not a silent clash.
func testnetPorts(host string, n, base int) ([]int, error) {
	if base > 0 {
		ports := make([]int, 2*n)
		for i := range ports {
			ports[i] = base + i
		}
		return ports, nil
	}
	ports, err := freeport.Reserve(host, 2*n, freeport.BelowEphemeral())
	if err != nil {
		return nil, fmt.Errorf("testnet: free ports on %s: %w", host, err)
	}
	return ports, nil
}
