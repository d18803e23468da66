package ledger

import (
	"bytes"
	"context"
	"fmt"
	"sort"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethdb"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/ledger/storage"
)

// ApplyBlock executes a proposal on top of the latest block, signs the
// resulting header with signer and commits the block atomically: the two
// stages a Pipeline overlaps (execute, then finishBlock), one after the
// other. Every block of a solo chain is made by one of the two.
//
// Transactions that cannot enter the block are returned in
// Applied.Rejected and leave no trace. There are no empty blocks: when no
// transaction of the proposal can be included, nothing is committed and the
// error is an *EmptyBlockError (errors.Is ErrEmptyBlock) carrying the
// rejections, which the producer handles like a block's. A returned error
// means no block was committed and the ledger is unchanged.
func (l *Ledger) ApplyBlock(ctx context.Context, p Proposal, signer Signer) (*Applied, error) {
	if err := l.checkOpen(); err != nil {
		return nil, err
	}
	if l.genesis.BFT() {
		return nil, fmt.Errorf("%w: ApplyBlock on a BFT chain (blocks come from consensus: Finalize)", ErrWrongMode)
	}
	if signer.Address() != p.Proposer {
		return nil, fmt.Errorf("%w: signer %s, proposer %s", ErrWrongProposer, signer.Address(), p.Proposer)
	}
	unlock, err := l.lockApply()
	if err != nil {
		return nil, err
	}
	defer unlock()
	b, err := l.execute(ctx, p)
	if err != nil {
		return nil, err
	}
	if len(b.records) == 0 {
		_ = b.enc.finish() // stop its goroutine; the block is abandoned
		return nil, &EmptyBlockError{Height: b.height, Rejected: b.rejected}
	}
	return l.finishBlock(b, signer)
}

// finishBlock is a block's second stage, after execute: it seals the
// block (the state trie commit, which needs the parent's root), signs its
// header and writes it durably. ApplyBlock runs it in line; a Pipeline
// runs it on a goroutine while the next block executes. The caller holds
// applyMu, and blocks are finished in height order. A returned error
// means the block was not committed and the ledger is unchanged.
func (l *Ledger) finishBlock(b *pendingBlock, signer Signer) (*Applied, error) {
	if b.parent == nil {
		// Executed after a block that was not yet durable: that block is
		// now the latest, or it failed and this one must never be
		// written (its reads went through it).
		parent := l.latest.Load()
		if parent.Header.Height+1 != b.height {
			_ = b.enc.finish()
			return nil, fmt.Errorf("%w: block %d executed after block %d, latest is %d", ErrInconsistent, b.height, b.height-1, parent.Header.Height)
		}
		b.parent = parent
	}
	batch := l.newBlockBatch(len(b.records))
	h, err := l.seal(b, batch)
	if err != nil {
		return nil, err
	}
	sh, err := block.SignHeader(h, signer.SignHash)
	if err != nil {
		return nil, fmt.Errorf("ledger: block %d: %w", b.height, err)
	}
	if err := l.commit(b, sh, batch); err != nil {
		return nil, err
	}
	return b.applied(sh), nil
}

func (b *pendingBlock) applied(sh *block.SignedHeader) *Applied {
	hashes := make([]common.Hash, len(b.records))
	for i, r := range b.records {
		hashes[i] = r.Hash
	}
	return &Applied{Header: sh, TxHashes: hashes, Receipts: b.receipts, Rejected: b.rejected}
}

// seal commits the state changes into batch and builds the header. The
// transaction and receipt roots were derived while the block executed
// (blockEncoder); seal only waits for the last of them.
func (l *Ledger) seal(b *pendingBlock, batch ethdb.Batch) (block.Header, error) {
	root, err := l.state.Commit(b.parent.Header.StateRoot, b.height, b.changes, batch)
	encErr := b.enc.finish()
	if err != nil {
		return block.Header{}, fmt.Errorf("ledger: commit state of block %d: %w", b.height, err)
	}
	if encErr != nil {
		return block.Header{}, fmt.Errorf("ledger: block %d: %w", b.height, encErr)
	}
	// The header commits the log of the blocks before it: 0..height-1,
	// exactly the published log while this block is not yet committed.
	if n := l.log.Size(); n != b.height {
		return block.Header{}, fmt.Errorf("%w: history log has %d blocks, sealing block %d", ErrInconsistent, n, b.height)
	}
	logRoot, err := l.log.Root(b.height)
	if err != nil {
		return block.Header{}, fmt.Errorf("ledger: log root of block %d: %w", b.height, err)
	}
	return block.Header{
		ChainID:     l.chainID,
		Height:      b.height,
		ParentHash:  b.parent.Hash(),
		TimeMs:      b.timeMs,
		TxRoot:      b.enc.txRoot,
		ReceiptRoot: b.enc.receiptRoot,
		StateRoot:   root,
		Proposer:    b.proposer,
		LogRoot:     logRoot,
	}, nil
}

// commit puts everything else of the block into the batch that already
// holds its state, and writes it in one synced LevelDB write: the block is
// all there or not at all. The in-memory latest pointer moves only after.
func (l *Ledger) commit(b *pendingBlock, sh *block.SignedHeader, batch ethdb.Batch) error {
	if err := l.putBlock(b, sh, batch); err != nil {
		return fmt.Errorf("ledger: block %d: %w", b.height, err)
	}
	// The block's leaf and the log nodes it completes go into the block's
	// batch: both are stored or neither is.
	logLeaf, err := l.log.Append(sh.Hash(), batch)
	if err != nil {
		return fmt.Errorf("ledger: block %d: %w", b.height, err)
	}
	l.commitSeq.Add(1) // odd: the flat index may move under readers
	defer l.commitSeq.Add(1)
	if err := batch.Write(); err != nil {
		return fmt.Errorf("ledger: write block %d: %w", b.height, err)
	}
	// Contract records are cached once read; a block that rewrote one (an
	// upgrade) replaces it, while the sequence is odd, so that no reader
	// of the new tip runs the old code.
	for a, c := range b.contracts {
		l.contracts.Store(a, c)
	}
	if len(b.ov.byContract[registry.Address]) > 0 {
		l.tipMembers.Store(new(memberCache))
	}
	// The log is published before the tip moves: a reader that sees
	// height H finds the log of H+1 blocks, every proof up to H written.
	if err := l.log.Publish(logLeaf); err != nil {
		return fmt.Errorf("ledger: block %d: %w", b.height, err)
	}
	l.latest.Store(sh)
	l.batchPerTx.Store(int64(batch.ValueSize() / max(len(b.records), 1)))
	return nil
}

// Batch sizing. A LevelDB batch past a few thousand records grows by a
// fixed step, copying everything each time: a block batch of ~1 MB was
// copied ~10 times over. Sizing it from the previous block avoids that.
const (
	defaultBatchPerTx = 2 << 10  // bytes per transaction before any block
	batchSlack        = 64 << 10 // header, indexes, trie nodes of a small block
)

// newBlockBatch returns a batch sized for a block of txs transactions, from
// the bytes per transaction of the last block this ledger committed (plus a
// quarter for record framing and variance).
func (l *Ledger) newBlockBatch(txs int) ethdb.Batch {
	per := int(l.batchPerTx.Load())
	if per <= 0 {
		per = defaultBatchPerTx
	}
	return l.kv.NewBatchWithSize(txs*per*5/4 + batchSlack)
}

func (l *Ledger) putBlock(b *pendingBlock, sh *block.SignedHeader, batch ethdb.Batch) error {
	put := func(k, v []byte) error { return batch.Put(k, v) }
	// Map contents are written in sorted order so the batch, and therefore
	// a crash test's failure points, are the same on every run.
	for _, h := range sortedHashes(b.codes) {
		if err := put(storage.CodeKey(h), b.codes[h]); err != nil {
			return fmt.Errorf("put code %s: %w", h, err)
		}
	}
	for _, a := range sortedAddrs(b.contracts) {
		enc, err := encodeContract(b.contracts[a])
		if err != nil {
			return err
		}
		if err := put(storage.ContractKey(a), enc); err != nil {
			return fmt.Errorf("put contract %s: %w", a, err)
		}
	}
	for _, a := range sortedAddrs(b.nonces) {
		if err := put(storage.NonceKey(a), storage.EncodeUint64(b.nonces[a])); err != nil {
			return fmt.Errorf("put nonce of %s: %w", a, err)
		}
	}
	for i, r := range b.records {
		idx := uint32(i)
		if err := put(storage.TxKey(b.height, idx), b.enc.records[i]); err != nil {
			return fmt.Errorf("put tx %d: %w", i, err)
		}
		if err := put(storage.ReceiptKey(b.height, idx), b.enc.receipts[i]); err != nil {
			return fmt.Errorf("put receipt %d: %w", i, err)
		}
		if err := put(storage.TxLookupKey(r.Hash), storage.EncodePosition(b.height, idx)); err != nil {
			return fmt.Errorf("put tx lookup %d: %w", i, err)
		}
	}
	henc, err := sh.Encode()
	if err != nil {
		return err
	}
	if err := put(storage.HeaderKey(b.height), henc); err != nil {
		return fmt.Errorf("put header: %w", err)
	}
	if err := put(storage.BlockHashKey(sh.Hash()), storage.EncodeUint64(b.height)); err != nil {
		return fmt.Errorf("put block hash: %w", err)
	}
	if err := put(storage.ChainMetaKey(storage.MetaLatestHeight), storage.EncodeUint64(b.height)); err != nil {
		return fmt.Errorf("put latest height: %w", err)
	}
	return nil
}

func sortedHashes[V any](m map[common.Hash]V) []common.Hash {
	out := make([]common.Hash, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i][:], out[j][:]) < 0 })
	return out
}

func sortedAddrs[V any](m map[common.Address]V) []common.Address {
	out := make([]common.Address, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i][:], out[j][:]) < 0 })
	return out
}
