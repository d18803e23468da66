package ledger

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethdb"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/ledger/state"
	"github.com/meshledger/meshledger/ledger/storage"
)

// genesisChanges are the registry's genesis records as state changes of
// height 0 (transaction index 0, no transaction hash), in ascending key
// order: what the genesis header's state root commits.
func genesisChanges(g *block.Genesis) ([]state.Change, error) {
	st := newRegistryStore(emptyState{})
	if err := registry.Genesis(st, g.Registry()); err != nil {
		return nil, fmt.Errorf("%w: registry: %v", block.ErrBadGenesis, err)
	}
	ws := st.writes()
	changes := make([]state.Change, 0, len(ws))
	for _, w := range ws {
		if w.Delete {
			continue // nothing to delete in an empty state
		}
		changes = append(changes, state.Change{Contract: registry.Address, Key: w.Key, Value: w.Value})
	}
	return changes, nil
}

// GenesisHeader is the genesis block's header: block.Genesis.Header over
// the state root of the registry's genesis records. Every node derives it
// from the genesis alone, in memory.
func GenesisHeader(g *block.Genesis) (block.Header, error) {
	kv := storage.OpenMemory()
	root, err := genesisState(state.New(kv, state.Options{NodeCacheBytes: -1}), g, kv.NewBatch())
	if err != nil {
		return block.Header{}, err
	}
	return g.Header(root), nil
}

// genesisState puts the registry's genesis records into batch as the
// state of height 0 and returns its root.
func genesisState(db *state.DB, g *block.Genesis, batch ethdb.Batch) (common.Hash, error) {
	changes, err := genesisChanges(g)
	if err != nil {
		return common.Hash{}, err
	}
	root, err := db.Commit(block.EmptyRoot, 0, changes, batch)
	if err != nil {
		return common.Hash{}, fmt.Errorf("ledger: genesis state: %w", err)
	}
	return root, nil
}
