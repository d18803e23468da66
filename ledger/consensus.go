package ledger

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethdb"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/ledger/storage"
)

// ErrWrongMode: the call belongs to the other way of making blocks. A
// solo chain's blocks come from ApplyBlock (signed by the producer); a
// BFT chain's (genesis consensus "cometbft") only from Finalize and
// CommitFinalized, driven by the consensus engine.
var ErrWrongMode = errors.New("ledger: wrong block production mode for this chain")

// metaConsensus names the chain-meta record of the last consensus height
// the ledger committed (see ConsensusState).
const metaConsensus = "consensus"

// ConsensusState is what the ledger records of the consensus engine that
// drives it: the last consensus height it committed and the app hash it
// answered for it. It is written in the same batch as the block it
// committed (or alone, for a height without transactions), so after a
// crash the engine learns exactly which heights to replay.
type ConsensusState struct {
	Height  uint64      // last consensus height committed; 0 before the first
	AppHash common.Hash // the hash of the ledger's latest header after Height
}

// ConsensusState returns the last committed consensus height and app hash.
// Before any consensus height, it is height 0 and the genesis header's
// hash.
func (l *Ledger) ConsensusState() (ConsensusState, error) {
	if err := l.checkOpen(); err != nil {
		return ConsensusState{}, err
	}
	v, ok, err := storage.Get(l.kv, storage.ChainMetaKey(metaConsensus))
	if err != nil {
		return ConsensusState{}, fmt.Errorf("ledger: read consensus state: %w", err)
	}
	if !ok {
		return ConsensusState{AppHash: l.latest.Load().Hash()}, nil
	}
	if len(v) != 8+common.HashLength {
		return ConsensusState{}, fmt.Errorf("ledger: consensus state: %d bytes", len(v))
	}
	return ConsensusState{Height: binary.BigEndian.Uint64(v), AppHash: common.BytesToHash(v[8:])}, nil
}

func (s ConsensusState) encode() []byte {
	out := binary.BigEndian.AppendUint64(make([]byte, 0, 8+common.HashLength), s.Height)
	return append(out, s.AppHash[:]...)
}

// Finalized is a consensus block executed but not stored: the ledger's
// answer to the engine's "finalize block", kept until "commit". Nothing of
// it reaches the store before CommitFinalized; dropping it leaves the
// ledger unchanged.
type Finalized struct {
	// Height is the consensus height this block was finalized at.
	Height uint64
	// AppHash is what the engine records for Height: the hash of the
	// ledger header that commits this block, or, when no transaction
	// could be included (Empty), the unchanged hash of the latest header.
	AppHash common.Hash
	// Empty: no ledger block is made at this height (an engine's empty
	// block, or one whose every transaction was rejected). The state, and
	// the app hash, stay as they were.
	Empty bool
	// Header is the new ledger header (zero when Empty).
	Header block.Header
	// Receipts are the included transactions' receipts, in order; TxHashes
	// their hashes.
	Receipts []*block.Receipt
	TxHashes []common.Hash
	// ValidatorUpdates are the changes the block made to the validator set
	// (registry ValidatorChanged events): one per key, the last power the
	// block gave it, ordered by key. CometBFT applies them two heights
	// later.
	ValidatorUpdates []ValidatorUpdate
	// Rejected lists the transactions left out of the block. A proposal
	// that passed ProcessProposal's check includes every transaction, but
	// a transaction can still be refused in its turn (a nonce spent by an
	// earlier one): every node rejects it alike.
	Rejected []Rejected

	parent *block.SignedHeader
	b      *pendingBlock
	batch  ethdb.Batch
}

// Finalize executes a consensus block on top of the latest ledger block,
// as ApplyBlock's executor does, and seals its header without storing
// anything. p.Proposer is the consensus proposer's address; the header
// carries it and no signature. p.TimeMs is the engine's block time, raised
// to one millisecond after the parent's when the engine's clock gives an
// equal or earlier millisecond (its times are strictly increasing only to
// the nanosecond): the result depends only on the block and the chain, so
// every node computes the same.
//
// Finalize only runs on a BFT chain (ErrWrongMode otherwise). A returned
// error is a host failure: the engine must stop rather than vote.
func (l *Ledger) Finalize(ctx context.Context, height uint64, p Proposal) (*Finalized, error) {
	if err := l.checkOpen(); err != nil {
		return nil, err
	}
	if !l.genesis.BFT() {
		return nil, fmt.Errorf("%w: Finalize on a solo chain", ErrWrongMode)
	}
	unlock, err := l.lockApply()
	if err != nil {
		return nil, err
	}
	defer unlock()
	parent := l.latest.Load()
	if p.TimeMs <= parent.Header.TimeMs {
		p.TimeMs = parent.Header.TimeMs + 1
	}
	p.Cutoff = nil // a consensus block holds exactly what was agreed
	f := &Finalized{Height: height, parent: parent}
	if len(p.Txs) == 0 {
		f.Empty, f.AppHash = true, parent.Hash()
		return f, nil
	}
	b, err := l.execute(ctx, p)
	if err != nil {
		return nil, err
	}
	f.Rejected = b.rejected
	if len(b.records) == 0 {
		_ = b.enc.finish() // stop its goroutine; no block is made
		f.Empty, f.AppHash = true, parent.Hash()
		return f, nil
	}
	batch := l.newBlockBatch(len(b.records))
	h, err := l.seal(b, batch)
	if err != nil {
		return nil, err
	}
	f.Header, f.AppHash, f.b, f.batch = h, h.Hash(), b, batch
	f.Receipts = b.receipts
	if f.ValidatorUpdates, err = validatorUpdates(b.receipts); err != nil {
		return nil, fmt.Errorf("ledger: block %d: %w", h.Height, err)
	}
	f.TxHashes = make([]common.Hash, len(b.records))
	for i, r := range b.records {
		f.TxHashes[i] = r.Hash
	}
	return f, nil
}

// CommitFinalized stores a finalized block, and the consensus state that
// says its height is done, in one synced write. It refuses a Finalized
// whose parent is no longer the tip (ErrTipMoved): the engine commits the
// heights it finalized, in order, one at a time. It returns the committed
// block, or nil for an empty height.
func (l *Ledger) CommitFinalized(f *Finalized) (*Applied, error) {
	unlock, err := l.lockApply()
	if err != nil {
		return nil, err
	}
	defer unlock()
	if l.latest.Load() != f.parent {
		return nil, fmt.Errorf("%w: consensus height %d", ErrTipMoved, f.Height)
	}
	cs := ConsensusState{Height: f.Height, AppHash: f.AppHash}
	if f.Empty {
		batch := l.kv.NewBatch()
		if err := batch.Put(storage.ChainMetaKey(metaConsensus), cs.encode()); err != nil {
			return nil, fmt.Errorf("ledger: consensus height %d: %w", f.Height, err)
		}
		if err := batch.Write(); err != nil {
			return nil, fmt.Errorf("ledger: write consensus height %d: %w", f.Height, err)
		}
		return nil, nil
	}
	if err := f.batch.Put(storage.ChainMetaKey(metaConsensus), cs.encode()); err != nil {
		return nil, fmt.Errorf("ledger: consensus height %d: %w", f.Height, err)
	}
	if err := f.batch.Put(storage.ConsensusHeightKey(f.Header.Height), storage.EncodeUint64(f.Height)); err != nil {
		return nil, fmt.Errorf("ledger: consensus height %d: %w", f.Height, err)
	}
	sh := &block.SignedHeader{Header: f.Header}
	if err := l.commit(f.b, sh, f.batch); err != nil {
		return nil, err
	}
	return f.b.applied(sh), nil
}

// ConsensusHeightOf returns the consensus height that committed the ledger
// block at height: the validators' commit over its header hash (its app
// hash) is in the consensus block one height later. ErrNotFound for a block
// not made by consensus (genesis, a solo chain) or not yet committed.
func (l *Ledger) ConsensusHeightOf(height uint64) (uint64, error) {
	if err := l.checkOpen(); err != nil {
		return 0, err
	}
	v, ok, err := storage.Get(l.kv, storage.ConsensusHeightKey(height))
	if err != nil {
		return 0, fmt.Errorf("ledger: consensus height of block %d: %w", height, err)
	}
	if !ok {
		return 0, fmt.Errorf("%w: no consensus height for block %d", ErrNotFound, height)
	}
	h, err := storage.DecodeUint64(v)
	if err != nil {
		return 0, fmt.Errorf("%w: consensus height of block %d: %v", storage.ErrCorrupt, height, err)
	}
	return h, nil
}

// ValidatorUpdate is a validator's new power (0: it leaves the set).
type ValidatorUpdate struct {
	PubKey []byte // ed25519, 32 bytes
	Power  int64
}

// validatorUpdates collects the validator changes of a block's receipts
// from the registry's ValidatorChanged events, in order: the last change of
// each key wins (CometBFT refuses two updates of one key in a block), and
// the result is ordered by key so that it depends on nothing but the
// changes.
func validatorUpdates(receipts []*block.Receipt) ([]ValidatorUpdate, error) {
	last := map[string]int64{}
	for _, rc := range receipts {
		if !rc.OK() {
			continue
		}
		for _, e := range rc.Events {
			if e.Contract != registry.Address || e.Name != registry.EventValidatorChanged {
				continue
			}
			var c registry.ValidatorChange
			if err := json.Unmarshal(e.Data, &c); err != nil {
				return nil, fmt.Errorf("decode %s event: %w", e.Name, err)
			}
			last[string(c.PubKey)] = c.Power
		}
	}
	if len(last) == 0 {
		return nil, nil
	}
	keys := make([]string, 0, len(last))
	for k := range last {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]ValidatorUpdate, len(keys))
	for i, k := range keys {
		out[i] = ValidatorUpdate{PubKey: []byte(k), Power: last[k]}
	}
	return out, nil
}

// GenesisValidators are the founding validators the genesis declares in
// its organisations, ordered by key.
func (l *Ledger) GenesisValidators() []ValidatorUpdate {
	var out []ValidatorUpdate
	for _, o := range l.genesis.Orgs {
		if o.Validator != nil {
			out = append(out, ValidatorUpdate{PubKey: slices.Clone(o.Validator.PubKey), Power: o.Validator.Power})
		}
	}
	slices.SortFunc(out, func(a, b ValidatorUpdate) int { return bytes.Compare(a.PubKey, b.PubKey) })
	return out
}
