package ledger

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/registry"
)

// RegistryAt returns the participant registry as it was at a committed
// height, with that height's header. At the tip it reads the flat index,
// and falls back to the trie under the header's state root as soon as a
// block commits behind it, so every answer is the registry of that one
// block. The reader is not safe for concurrent use (a trie reader keeps
// the nodes it resolved): take one per decision.
func (l *Ledger) RegistryAt(height uint64) (registry.Reader, *block.SignedHeader, error) {
	if err := l.checkOpen(); err != nil {
		return nil, nil, err
	}
	seq := l.commitSeq.Load()
	latest := l.latest.Load()
	sh := latest
	if height != latest.Header.Height {
		// Only the tip is held in memory: every read decision asks for
		// it, and reading and decoding its header each time would cost
		// more than the lookup itself.
		var err error
		if sh, err = l.Header(height); err != nil {
			return nil, nil, err
		}
	}
	r := &registryReader{l: l, sh: sh, seq: seq, tip: seq%2 == 0 && sh.Header.Height == latest.Header.Height}
	return r, sh, nil
}

// registryReader reads the registry's namespace at one block: the flat
// index while it still holds that block's state (commitSeq unchanged),
// else the trie at the block's root (Get) and the history index (Iterate,
// see historicalState).
type registryReader struct {
	l    *Ledger
	sh   *block.SignedHeader
	seq  uint64
	tip  bool
	hist *historicalState // nil until the flat index moved or was never valid
}

var _ registry.Reader = (*registryReader)(nil)

func (r *registryReader) Get(key []byte) ([]byte, bool, error) {
	if r.tip {
		v, ok, err := r.l.state.Get(registry.Address, key)
		if err != nil {
			return nil, false, fmt.Errorf("ledger: read registry %q: %w", key, err)
		}
		if r.l.commitSeq.Load() == r.seq {
			return v, ok, nil
		}
		r.tip = false // a block committed since: the flat index is past this block
	}
	h, err := r.historical()
	if err != nil {
		return nil, false, err
	}
	return h.Get(key)
}

func (r *registryReader) Iterate(prefix, start []byte, fn func(key, value []byte) bool) error {
	if r.tip {
		// Collected first and handed over only if no block committed
		// meanwhile, so that fn never sees two blocks' records mixed.
		var keys, values [][]byte
		err := r.l.state.Iterate(registry.Address, prefix, start, func(k, v []byte) bool {
			keys, values = append(keys, k), append(values, v)
			return true
		})
		if err != nil {
			return fmt.Errorf("ledger: list registry %q: %w", prefix, err)
		}
		if r.l.commitSeq.Load() == r.seq {
			for i := range keys {
				if !fn(keys[i], values[i]) {
					break
				}
			}
			return nil
		}
		r.tip = false
	}
	h, err := r.historical()
	if err != nil {
		return err
	}
	return h.Iterate(prefix, start, fn)
}

func (r *registryReader) historical() (*historicalState, error) {
	if r.hist == nil {
		rr, err := r.l.state.ContractReaderAt(r.sh.Header.StateRoot, registry.Address)
		if err != nil {
			return nil, fmt.Errorf("ledger: registry at %d: %w", r.sh.Header.Height, err)
		}
		r.hist = &historicalState{l: r.l, root: rr, contract: registry.Address, height: r.sh.Header.Height}
	}
	return r.hist, nil
}

// memberOf returns addr's member record in r, nil if it is none.
func memberOf(r registry.Reader, addr common.Address) (*registry.Member, error) {
	m, err := registry.LookupMember(r, addr)
	switch {
	case err == nil:
		return m, nil
	case errors.Is(err, registry.ErrNotFound):
		return nil, nil
	default:
		return nil, fmt.Errorf("ledger: registry member %s: %w", addr, err)
	}
}
