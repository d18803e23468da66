package block

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/meshledger/meshledger/ledger/registry"
)

// Gas limits (docs/design.md, "Gas limits"). Gas is calibrated at about
// 0.1 ns of this reference machine per gas for every class of work, and
// at most 0.2 ns (docs/design.md, "Gas schedule").
const (
	// DefaultBlockGasLimit is the block gas limit when the genesis file
	// names none. It bounds the gas a block's transactions may use
	// executing (calls and deploys' init), excluding deploys' intrinsic
	// gas: about 0.5 s of execution, 1 s at the worst class's rate.
	DefaultBlockGasLimit uint64 = 5_000_000_000
	// DefaultTxGasCap caps one transaction's execution gas: the gas limit
	// of a call, and the gas a deploy's init method may use. About 10 ms
	// of execution (20 ms at worst), so that one sender cannot hold the
	// block for the others.
	DefaultTxGasCap uint64 = 100_000_000
	// DefaultBlockDeployGasLimit bounds the intrinsic deploy gas
	// (runtime.DeployGas: validating, instrumenting and compiling code)
	// of one block's deploys. A live node compiles a deploy when it
	// admits it, before proposing it, so this work is off the block's
	// critical path there; it bounds what replaying a block costs, and
	// fits the largest module (8 MiB of Go code, about 7e10 gas).
	DefaultBlockDeployGasLimit uint64 = 100_000_000_000
)

// ErrBadGenesis reports a genesis file that cannot define a chain.
var ErrBadGenesis = errors.New("block: bad genesis")

// Genesis is the content of a genesis file:
//
//	{"chain_id": 1337, "time_ms": 1700000000000, "block_gas_limit": 10000000000,
//	 "orgs": [{"id": "dev", "name": "Development",
//	           "members": [{"address": "0x…", "roles": ["admin", "deployer", "auditor"]}]}],
//	 "policy": {"threshold": 0, "deployPolicy": "open", "proposalTtlMs": 604800000}}
//
// It fixes everything a chain needs before its first block: the founding
// organisations of the participant registry, their members and the
// network policy included. Its ConfigHash is committed as the genesis
// header's ParentHash, so two chains with different organisations,
// policies or limits never share a genesis hash.
type Genesis struct {
	ChainID       uint64                `json:"chain_id"`
	TimeMs        int64                 `json:"time_ms"`
	BlockGasLimit uint64                `json:"block_gas_limit,omitempty"`
	Orgs          []registry.GenesisOrg `json:"orgs"`
	// Policy is the network policy at genesis; nil is
	// registry.DefaultPolicy().
	Policy *registry.Policy `json:"policy,omitempty"`
	// Consensus names the engine that orders and commits blocks: ""
	// (solo: one producer signs every header with its key) or
	// ConsensusCometBFT (a BFT validator set commits blocks; headers carry
	// no proposer signature, their authority is the validators' commit
	// over the app hash, docs/consensus.md).
	Consensus string `json:"consensus,omitempty"`
}

// ConsensusCometBFT is Genesis.Consensus for a network run by CometBFT.
const ConsensusCometBFT = "cometbft"

// BFT reports whether blocks are committed by a validator set rather than
// signed by a solo producer.
func (g *Genesis) BFT() bool { return g.Consensus == ConsensusCometBFT }

// LoadGenesis reads and validates a genesis file. Unknown fields are
// refused: a misspelt limit must not silently become the default.
func LoadGenesis(path string) (*Genesis, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("block: read genesis: %w", err)
	}
	return ParseGenesis(b)
}

// ParseGenesis parses and validates genesis JSON.
func ParseGenesis(b []byte) (*Genesis, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var g Genesis
	if err := dec.Decode(&g); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadGenesis, err)
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	return &g, nil
}

// Development network identity (DevGenesis).
const (
	DevOrgID   = "dev"
	DevOrgName = "Development"
)

// DevGenesis is a genesis for development and tests: chain id, time and
// the default gas limit; one organisation, DevOrgID, whose members are
// admins, each with the roles admin, deployer and auditor; and a policy
// under which a deployer deploys at once (registry.DeployOpen), network
// changes need a majority, only members transact, and every contract
// carries a manifest (registry.Policy.RequireManifest). Access control is
// on: it is the network a newcomer first sees.
func DevGenesis(chainID uint64, timeMs int64, admins ...common.Address) *Genesis {
	members := make([]registry.GenesisMember, len(admins))
	for i, a := range admins {
		members[i] = registry.GenesisMember{
			Address: a,
			Roles:   []string{registry.RoleAdmin, registry.RoleAuditor, registry.RoleDeployer},
		}
	}
	policy := registry.DefaultPolicy()
	policy.DeployPolicy = registry.DeployOpen
	policy.RequireManifest = true
	return &Genesis{
		ChainID: chainID, TimeMs: timeMs, BlockGasLimit: DefaultBlockGasLimit,
		Orgs:   []registry.GenesisOrg{{ID: DevOrgID, Name: DevOrgName, Members: members}},
		Policy: &policy,
	}
}

// Clone returns a deep copy: a caller may change it without changing g.
func (g *Genesis) Clone() *Genesis {
	c := *g
	c.Orgs = make([]registry.GenesisOrg, len(g.Orgs))
	for i, o := range g.Orgs {
		o.Nodes = append([]common.Address(nil), o.Nodes...)
		if o.Validator != nil {
			v := *o.Validator
			v.PubKey = append([]byte(nil), v.PubKey...)
			o.Validator = &v
		}
		members := make([]registry.GenesisMember, len(o.Members))
		for j, m := range o.Members {
			members[j] = registry.GenesisMember{Address: m.Address, Roles: append([]string(nil), m.Roles...)}
		}
		o.Members = members
		c.Orgs[i] = o
	}
	if g.Policy != nil {
		p := *g.Policy
		c.Policy = &p
	}
	return &c
}

// Registry is the registry part of the genesis.
func (g *Genesis) Registry() registry.GenesisSpec {
	return registry.GenesisSpec{Orgs: g.Orgs, Policy: g.Policy}
}

// EffectivePolicy is the policy at genesis, applying the default.
func (g *Genesis) EffectivePolicy() registry.Policy {
	if g.Policy == nil {
		return registry.DefaultPolicy()
	}
	return *g.Policy
}

// Validate checks the genesis can define a chain.
func (g *Genesis) Validate() error {
	switch {
	case g.ChainID == 0:
		return fmt.Errorf("%w: chain_id must be > 0", ErrBadGenesis)
	case g.TimeMs < 0:
		return fmt.Errorf("%w: time_ms must be >= 0", ErrBadGenesis)
	case g.Consensus != "" && g.Consensus != ConsensusCometBFT:
		return fmt.Errorf("%w: consensus %q: want %q or none (solo)", ErrBadGenesis, g.Consensus, ConsensusCometBFT)
	}
	spec := g.Registry()
	if err := spec.Validate(); err != nil {
		return fmt.Errorf("%w: %v", ErrBadGenesis, err)
	}
	return nil
}

// GasLimit is the block gas limit, applying the default.
func (g *Genesis) GasLimit() uint64 {
	if g.BlockGasLimit == 0 {
		return DefaultBlockGasLimit
	}
	return g.BlockGasLimit
}

// ConfigHash is keccak256(RLP([chain_id, time_ms, gas limit, registry])),
// with the consensus engine's name appended when there is one (so a solo
// chain's hash is what it always was),
// where registry is the canonical JSON of the registry part: organisations
// sorted by id, each one's members by address and roles and nodes sorted,
// and the effective policy (the default spelt out). Sorting first means
// the order of a file's lists does not fork the chain; the policy is
// spelt out so that omitting the default and writing it give one chain.
func (g *Genesis) ConfigHash() common.Hash {
	fields := []any{g.ChainID, uint64(g.TimeMs), g.GasLimit(), g.canonicalRegistry()}
	if g.Consensus != "" {
		fields = append(fields, []byte(g.Consensus))
	}
	enc, err := rlp.EncodeToBytes(fields)
	if err != nil {
		panic(fmt.Sprintf("block: encode genesis: %v", err)) // byte strings and integers only: cannot fail
	}
	return crypto.Keccak256Hash(enc)
}

// canonicalRegistry is the registry part in one canonical encoding.
func (g *Genesis) canonicalRegistry() []byte {
	orgs := make([]registry.GenesisOrg, len(g.Orgs))
	for i, o := range g.Orgs {
		o.Nodes = sortedAddrs(o.Nodes)
		members := make([]registry.GenesisMember, len(o.Members))
		for j, m := range o.Members {
			roles := append([]string(nil), m.Roles...)
			sort.Strings(roles)
			members[j] = registry.GenesisMember{Address: m.Address, Roles: roles}
		}
		sort.SliceStable(members, func(a, b int) bool {
			return bytes.Compare(members[a].Address[:], members[b].Address[:]) < 0
		})
		o.Members = members
		orgs[i] = o
	}
	sort.SliceStable(orgs, func(a, b int) bool { return orgs[a].ID < orgs[b].ID })
	policy := g.EffectivePolicy()
	// encoding/json writes struct fields in declaration order and sorts
	// nothing else here: the bytes are a function of the content.
	enc, err := json.Marshal(registry.GenesisSpec{Orgs: orgs, Policy: &policy})
	if err != nil {
		panic(fmt.Sprintf("block: encode genesis registry: %v", err)) // plain structs: cannot fail
	}
	return enc
}

func sortedAddrs(in []common.Address) []common.Address {
	out := append([]common.Address(nil), in...)
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i][:], out[j][:]) < 0 })
	return out
}

// Header is the genesis header over stateRoot, the root of the
// registry's genesis records (the ledger derives it: ledger.GenesisHeader):
// height 0, the config hash as parent, empty transaction and receipt
// roots, no proposer, and the empty history log's root (no block comes
// before it). It is not signed: every node derives it itself.
func (g *Genesis) Header(stateRoot common.Hash) Header {
	return Header{
		ChainID:     g.ChainID,
		Height:      0,
		ParentHash:  g.ConfigHash(),
		TimeMs:      g.TimeMs,
		TxRoot:      EmptyRoot,
		ReceiptRoot: EmptyRoot,
		StateRoot:   stateRoot,
		LogRoot:     EmptyLogRoot,
	}
}

// EmptyLogRoot is the root of the empty history log, RFC 6962's
// SHA-256(""): the genesis header's LogRoot (package ledger/histlog).
var EmptyLogRoot = common.Hash(sha256.Sum256(nil))

// Hash identifies the chain: the config hash, which commits everything
// the genesis fixes (the registry's genesis state is a function of it).
// The genesis block's own hash also covers the state root the ledger
// derives from the genesis (ledger.GenesisHeader), which this package,
// holding no trie, cannot compute.
func (g *Genesis) Hash() common.Hash { return g.ConfigHash() }
