package ledger

import (
	"bytes"
	"context"
	"fmt"
	"sort"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethdb"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/storage"
)

// ApplyBlock executes a proposal on top of the latest block, signs the
// resulting header with signer and commits the block atomically. It is
// the only way blocks are made, whichever component proposes them.
//
// Transactions that cannot enter the block are returned in
// Applied.Rejected and leave no trace. A returned error means no block was
// committed and the ledger is unchanged.
func (l *Ledger) ApplyBlock(ctx context.Context, p Proposal, signer Signer) (*Applied, error) {
	if err := l.checkOpen(); err != nil {
		return nil, err
	}
	if signer.Address() != p.Proposer {
		return nil, fmt.Errorf("%w: signer %s, proposer %s", ErrWrongProposer, signer.Address(), p.Proposer)
	}
	l.applyMu.Lock()
	defer l.applyMu.Unlock()
	if err := l.checkOpen(); err != nil { // closed while waiting
		return nil, err
	}
	b, err := l.execute(ctx, p)
	if err != nil {
		return nil, err
	}
	batch := l.kv.NewBatch()
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
// transaction and receipt roots are independent of the state root, so they
// are hashed on another core meanwhile.
func (l *Ledger) seal(b *pendingBlock, batch ethdb.Batch) (block.Header, error) {
	type roots struct {
		tx, receipt common.Hash
		err         error
	}
	done := make(chan roots, 1)
	go func() {
		var r roots
		b.receiptEnc, r.err = block.EncodeReceipts(b.receipts)
		if r.err == nil {
			r.receipt = block.DeriveRoot(b.receiptEnc)
			r.tx = block.DeriveRoot(b.bodies())
		}
		done <- r
	}()
	root, err := l.state.Commit(b.parent.Header.StateRoot, b.height, b.changes, batch)
	r := <-done
	if err != nil {
		return block.Header{}, fmt.Errorf("ledger: commit state of block %d: %w", b.height, err)
	}
	if r.err != nil {
		return block.Header{}, fmt.Errorf("ledger: block %d: %w", b.height, r.err)
	}
	return block.Header{
		ChainID:     l.chainID,
		Height:      b.height,
		ParentHash:  b.parent.Hash(),
		TimeMs:      b.timeMs,
		TxRoot:      r.tx,
		ReceiptRoot: r.receipt,
		StateRoot:   root,
		Proposer:    b.proposer,
	}, nil
}

func (b *pendingBlock) bodies() [][]byte {
	out := make([][]byte, len(b.records))
	for i, r := range b.records {
		out[i] = r.Body
	}
	return out
}

// commit puts everything else of the block into the batch that already
// holds its state, and writes it in one synced LevelDB write: the block is
// all there or not at all. The in-memory latest pointer moves only after.
func (l *Ledger) commit(b *pendingBlock, sh *block.SignedHeader, batch ethdb.Batch) error {
	if err := l.putBlock(b, sh, batch); err != nil {
		return fmt.Errorf("ledger: block %d: %w", b.height, err)
	}
	l.commitMu.Lock()
	defer l.commitMu.Unlock()
	if err := batch.Write(); err != nil {
		return fmt.Errorf("ledger: write block %d: %w", b.height, err)
	}
	l.latest.Store(sh)
	return nil
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
		enc, err := encodeTxRecord(r)
		if err != nil {
			return err
		}
		renc := b.receiptEnc[i]
		if err := put(storage.TxKey(b.height, idx), enc); err != nil {
			return fmt.Errorf("put tx %d: %w", i, err)
		}
		if err := put(storage.ReceiptKey(b.height, idx), renc); err != nil {
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
