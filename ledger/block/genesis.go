package block

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
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
//	{"chain_id": 1337, "time_ms": 1700000000000,
//	 "admins": ["0x…"], "block_gas_limit": 10000000000}
//
// It fixes everything a chain needs before its first block; its hash is
// committed as the genesis header's ParentHash, so two chains with
// different admins or limits never share a genesis hash.
type Genesis struct {
	ChainID       uint64           `json:"chain_id"`
	TimeMs        int64            `json:"time_ms"`
	Admins        []common.Address `json:"admins"`
	BlockGasLimit uint64           `json:"block_gas_limit,omitempty"`
}

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

// DevGenesis is a genesis for development and tests: chain id, time, and
// admins as given, default gas limit.
func DevGenesis(chainID uint64, timeMs int64, admins ...common.Address) *Genesis {
	return &Genesis{ChainID: chainID, TimeMs: timeMs, Admins: admins, BlockGasLimit: DefaultBlockGasLimit}
}

// Validate checks the genesis can define a chain.
func (g *Genesis) Validate() error {
	switch {
	case g.ChainID == 0:
		return fmt.Errorf("%w: chain_id must be > 0", ErrBadGenesis)
	case g.TimeMs < 0:
		return fmt.Errorf("%w: time_ms must be >= 0", ErrBadGenesis)
	}
	seen := make(map[common.Address]bool, len(g.Admins))
	for _, a := range g.Admins {
		if a == (common.Address{}) {
			return fmt.Errorf("%w: zero admin address", ErrBadGenesis)
		}
		if seen[a] {
			return fmt.Errorf("%w: duplicate admin %s", ErrBadGenesis, a)
		}
		seen[a] = true
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

// ConfigHash is keccak256(RLP([chain_id, time_ms, sorted admins,
// gas limit])). Admins are sorted so their order in the file does not fork
// the chain.
func (g *Genesis) ConfigHash() common.Hash {
	admins := append([]common.Address(nil), g.Admins...)
	sort.Slice(admins, func(i, j int) bool { return bytes.Compare(admins[i][:], admins[j][:]) < 0 })
	enc, err := rlp.EncodeToBytes([]any{g.ChainID, uint64(g.TimeMs), admins, g.GasLimit()})
	if err != nil {
		panic(fmt.Sprintf("block: encode genesis: %v", err)) // only fixed-size fields: cannot fail
	}
	return crypto.Keccak256Hash(enc)
}

// Header is the genesis header: height 0, the config hash as parent, empty
// roots, no proposer. It is not signed: every node derives it itself.
func (g *Genesis) Header() Header {
	return Header{
		ChainID:     g.ChainID,
		Height:      0,
		ParentHash:  g.ConfigHash(),
		TimeMs:      g.TimeMs,
		TxRoot:      EmptyRoot,
		ReceiptRoot: EmptyRoot,
		StateRoot:   EmptyRoot,
	}
}

// Hash is the genesis block hash.
func (g *Genesis) Hash() common.Hash {
	h := g.Header()
	return h.Hash()
}
