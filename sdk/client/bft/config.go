package bft

import (
	"errors"
	"fmt"
	"time"

	"github.com/cometbft/cometbft/types"
)

// Config is what a Verifier trusts and how it fetches evidence.
type Config struct {
	// ChainID is the CometBFT chain id (ChainID of the ledger's chain id).
	ChainID string
	// Validators is the trusted validator set of consensus height Height:
	// normally the genesis set (FromGenesis).
	Validators *types.ValidatorSet
	// Height is the consensus height from which Validators is trusted
	// (the genesis's initial height, 1).
	Height int64
	// FetchTimeout bounds the requests of one verification, including the
	// short wait for a commit not yet made (default 10 s).
	FetchTimeout time.Duration
	// CacheSize is how many verified ledger headers are remembered, so
	// that checking a transaction, then a state read of the same block,
	// fetches the evidence once (default 1024).
	CacheSize int
}

// Defaults of Config.
const (
	DefaultFetchTimeout = 10 * time.Second
	DefaultCacheSize    = 1024
)

// ErrConfig wraps every reason Validate refuses a Config.
var ErrConfig = errors.New("bft: invalid config")

// WithDefaults returns c with each zero tunable set to its default.
func (c Config) WithDefaults() Config {
	if c.FetchTimeout == 0 {
		c.FetchTimeout = DefaultFetchTimeout
	}
	if c.CacheSize == 0 {
		c.CacheSize = DefaultCacheSize
	}
	return c
}

// Validate refuses what no default can mend: no chain id, no usable
// validator set, a height below 1, negative tunables.
func (c Config) Validate() error {
	switch {
	case c.ChainID == "":
		return fmt.Errorf("%w: no chain id", ErrConfig)
	case c.Validators == nil || c.Validators.IsNilOrEmpty():
		return fmt.Errorf("%w: no trusted validators", ErrConfig)
	case c.Height < 1:
		return fmt.Errorf("%w: trusted height %d: consensus heights start at 1", ErrConfig, c.Height)
	case c.FetchTimeout < 0:
		return fmt.Errorf("%w: negative fetch timeout", ErrConfig)
	case c.CacheSize < 0:
		return fmt.Errorf("%w: negative cache size", ErrConfig)
	}
	if err := c.Validators.ValidateBasic(); err != nil {
		return fmt.Errorf("%w: trusted validators: %v", ErrConfig, err)
	}
	return nil
}

// ChainID is the CometBFT chain id of a ledger chain id. It repeats the
// node's rule (node/cometbft.ChainID), which this package must not link;
// a test keeps the two equal.
func ChainID(ledgerChainID uint64) string { return fmt.Sprintf("meshledger-%d", ledgerChainID) }

// FromGenesis returns a Config trusting the validators of a CometBFT
// genesis document (the genesis.json every organisation's node starts
// from): its chain id, its validator set, from its initial height.
func FromGenesis(genesisJSON []byte) (Config, error) {
	doc, err := types.GenesisDocFromJSON(genesisJSON)
	if err != nil {
		return Config{}, fmt.Errorf("%w: genesis: %v", ErrConfig, err)
	}
	if len(doc.Validators) == 0 {
		return Config{}, fmt.Errorf("%w: genesis lists no validators (they come from the application's InitChain, which a client cannot check)", ErrConfig)
	}
	vals := make([]*types.Validator, len(doc.Validators))
	for i, gv := range doc.Validators {
		vals[i] = types.NewValidator(gv.PubKey, gv.Power)
	}
	set := types.NewValidatorSet(vals)
	if err := set.ValidateBasic(); err != nil {
		return Config{}, fmt.Errorf("%w: genesis validators: %v", ErrConfig, err)
	}
	return Config{ChainID: doc.ChainID, Validators: set, Height: doc.InitialHeight}, nil
}
