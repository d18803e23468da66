package cometbft

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	cfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/types"
)

// DefaultBlockMaxBytes is the genesis block size limit: CometBFT's default
// (21 MiB), which holds a transaction of DefaultMaxTxBytes with room to
// spare; a smaller limit would leave the largest deploy in the mempool for
// ever.
const DefaultBlockMaxBytes int64 = 22020096

// Validator is one member of the validator set: an organisation's node.
type Validator struct {
	// Name is informational (the organisation); CometBFT does not use it.
	Name string
	// PubKey is the validator's ed25519 consensus key (32 bytes; convert
	// raw bytes with ed25519.PubKey(b)).
	PubKey ed25519.PubKey
	// Power is the validator's voting power; a commit needs more than two
	// thirds of the total.
	Power int64
}

// GenesisParams are the inputs of a network's genesis.json.
type GenesisParams struct {
	// ChainID names the network; it must equal the ledger's chain id, so
	// that a transaction signed for one network is refused by another.
	ChainID string
	// GenesisTime is the time of the first block. Pass the ledger's genesis
	// time, so that CometBFT's block times, which the ledger executes
	// with, start where the ledger's do. It is required: CometBFT would
	// otherwise take the wall clock, and every home would differ.
	GenesisTime time.Time
	// Validators is the founding validator set, in the order written.
	Validators []Validator
	// BlockMaxBytes bounds a block; zero means DefaultBlockMaxBytes.
	BlockMaxBytes int64
	// BlockMaxGas is CometBFT's block gas limit over CheckTx's GasWanted;
	// zero means -1 (none): the application's PrepareProposal applies the
	// ledger's own block gas limit, which CometBFT cannot see.
	BlockMaxGas int64
	// AppVersion is the application protocol version in block headers.
	AppVersion uint64
	// AppState is handed to the application's InitChain as is (valid JSON
	// or empty), for a genesis the application checks against its own.
	AppState json.RawMessage
}

// ErrInvalidGenesis is wrapped by every error about GenesisParams.
var ErrInvalidGenesis = errors.New("invalid cometbft genesis")

// NewGenesisDoc builds and validates the genesis document params describe.
// Every home of a network must be given the same document; app_hash is
// empty because the application reports its own in InitChain.
func NewGenesisDoc(params GenesisParams) (*types.GenesisDoc, error) {
	if err := params.validate(); err != nil {
		return nil, err
	}
	cp := types.DefaultConsensusParams()
	cp.Block.MaxBytes = DefaultBlockMaxBytes
	if params.BlockMaxBytes != 0 {
		cp.Block.MaxBytes = params.BlockMaxBytes
	}
	cp.Block.MaxGas = -1
	if params.BlockMaxGas != 0 {
		cp.Block.MaxGas = params.BlockMaxGas
	}
	cp.Validator.PubKeyTypes = []string{types.ABCIPubKeyTypeEd25519}
	cp.Version.App = params.AppVersion

	doc := &types.GenesisDoc{
		// CometBFT stores times in UTC; converting here keeps the file
		// byte-identical whatever zone the caller's time carries.
		GenesisTime:     params.GenesisTime.UTC(),
		ChainID:         params.ChainID,
		InitialHeight:   1,
		ConsensusParams: cp,
		AppState:        params.AppState,
	}
	for _, v := range params.Validators {
		doc.Validators = append(doc.Validators, types.GenesisValidator{
			Address: v.PubKey.Address(),
			PubKey:  v.PubKey,
			Power:   v.Power,
			Name:    v.Name,
		})
	}
	if err := doc.ValidateAndComplete(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidGenesis, err)
	}
	return doc, nil
}

func (params GenesisParams) validate() error {
	var problems []string
	if strings.TrimSpace(params.ChainID) == "" {
		problems = append(problems, "chain id is empty")
	}
	if params.GenesisTime.IsZero() {
		problems = append(problems, "genesis time is not set")
	}
	if len(params.Validators) == 0 {
		problems = append(problems, "no validators")
	}
	seen := make(map[string]int, len(params.Validators))
	for i, v := range params.Validators {
		if len(v.PubKey) != ed25519.PubKeySize {
			problems = append(problems, fmt.Sprintf("validator %d (%s): public key is %d bytes, want %d", i, v.Name, len(v.PubKey), ed25519.PubKeySize))
			continue
		}
		if v.Power <= 0 {
			problems = append(problems, fmt.Sprintf("validator %d (%s): power %d is not positive", i, v.Name, v.Power))
		}
		if j, dup := seen[string(v.PubKey)]; dup {
			// CometBFT panics on a validator set holding one key twice.
			problems = append(problems, fmt.Sprintf("validator %d (%s) has the key of validator %d", i, v.Name, j))
		}
		seen[string(v.PubKey)] = i
	}
	if params.BlockMaxBytes < 0 && params.BlockMaxBytes != -1 {
		problems = append(problems, fmt.Sprintf("block max bytes %d", params.BlockMaxBytes))
	}
	if len(params.AppState) > 0 && !json.Valid(params.AppState) {
		problems = append(problems, "app state is not valid JSON")
	}
	if params.BlockMaxGas < -1 {
		problems = append(problems, fmt.Sprintf("block max gas %d", params.BlockMaxGas))
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrInvalidGenesis, strings.Join(problems, "; "))
}

// WriteGenesis writes the genesis document params describe to
// config/genesis.json in the home dir, and returns it.
func WriteGenesis(dir string, params GenesisParams) (*types.GenesisDoc, error) {
	doc, err := NewGenesisDoc(params)
	if err != nil {
		return nil, err
	}
	if err := SaveGenesis(dir, doc); err != nil {
		return nil, err
	}
	return doc, nil
}

// SaveGenesis writes doc, as built by NewGenesisDoc or assembled from
// several organisations' keys, to config/genesis.json in the home dir.
func SaveGenesis(dir string, doc *types.GenesisDoc) error {
	path := filepath.Join(dir, cfg.DefaultConfigDir, cfg.DefaultGenesisJSONName)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("write genesis: %w", err)
	}
	if err := doc.SaveAs(path); err != nil {
		return fmt.Errorf("write genesis %s: %w", path, err)
	}
	return nil
}
