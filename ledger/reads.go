package ledger

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/proof"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/ledger/storage"
	"github.com/meshledger/meshledger/ledger/tx"
)

func (l *Ledger) readHeader(height uint64) (*block.SignedHeader, error) {
	v, ok, err := storage.Get(l.kv, storage.HeaderKey(height))
	if err != nil {
		return nil, fmt.Errorf("ledger: read header %d: %w", height, err)
	}
	if !ok {
		return nil, fmt.Errorf("%w: block %d", ErrNotFound, height)
	}
	sh, err := block.DecodeSignedHeader(v)
	if err != nil {
		return nil, fmt.Errorf("%w: header %d: %v", storage.ErrCorrupt, height, err)
	}
	return sh, nil
}

// Header returns the signed header at height (ErrNotFound above the tip).
func (l *Ledger) Header(height uint64) (*block.SignedHeader, error) {
	if height > l.latest.Load().Header.Height {
		return nil, fmt.Errorf("%w: block %d", ErrNotFound, height)
	}
	return l.readHeader(height)
}

// HeaderByHash returns the header with the given hash.
func (l *Ledger) HeaderByHash(hash common.Hash) (*block.SignedHeader, error) {
	v, ok, err := storage.Get(l.kv, storage.BlockHashKey(hash))
	if err != nil {
		return nil, fmt.Errorf("ledger: read block hash: %w", err)
	}
	if !ok {
		return nil, fmt.Errorf("%w: block %s", ErrNotFound, hash)
	}
	h, err := storage.DecodeUint64(v)
	if err != nil {
		return nil, fmt.Errorf("%w: block hash index: %v", storage.ErrCorrupt, err)
	}
	return l.readHeader(h)
}

// Block returns a header and the hashes of its transactions.
func (l *Ledger) Block(height uint64) (*Block, error) {
	sh, err := l.Header(height)
	if err != nil {
		return nil, err
	}
	recs, err := l.txRecords(height)
	if err != nil {
		return nil, err
	}
	hashes := make([]common.Hash, len(recs))
	for i, r := range recs {
		hashes[i] = r.Hash
	}
	return &Block{Header: sh, TxHashes: hashes}, nil
}

// txRecords reads a block's transaction records in index order.
func (l *Ledger) txRecords(height uint64) ([]*txRecord, error) {
	var out []*txRecord
	err := l.scanBlock(storage.PrefixTx, height, func(v []byte) error {
		r, err := decodeTxRecord(v)
		if err == nil {
			out = append(out, r)
		}
		return err
	})
	return out, err
}

// Receipts returns a block's receipts in transaction order.
func (l *Ledger) Receipts(height uint64) ([]*block.Receipt, error) {
	if _, err := l.Header(height); err != nil {
		return nil, err
	}
	return l.readReceipts(height)
}

func (l *Ledger) readReceipts(height uint64) ([]*block.Receipt, error) {
	var out []*block.Receipt
	err := l.scanBlock(storage.PrefixReceipt, height, func(v []byte) error {
		r, err := block.DecodeReceipt(v)
		if err != nil {
			return fmt.Errorf("%w: receipt of block %d: %v", storage.ErrCorrupt, height, err)
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// scanBlock visits the values of one block's per-transaction family
// (prefix ‖ height ‖ index) in index order.
func (l *Ledger) scanBlock(prefix byte, height uint64, fn func(v []byte) error) error {
	start := storage.TxKey(height, 0) // same layout as ReceiptKey
	start[0] = prefix
	pfx := start[:len(start)-4]
	it := l.kv.NewIterator(pfx, nil)
	defer it.Release()
	for it.Next() {
		if err := fn(bytes.Clone(it.Value())); err != nil {
			return err
		}
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("ledger: scan block %d: %w", height, err)
	}
	return nil
}

// Tx returns a committed transaction with its receipt, its block header,
// and proofs binding both to the header, plus a state proof of every key
// it wrote. Write proofs show each key's value at the end of the block: if
// a later transaction of the same block wrote the key again, the proof
// shows that later value (History tells them apart).
func (l *Ledger) Tx(hash common.Hash) (*TxRecord, error) {
	height, index, err := l.txPosition(hash)
	if err != nil {
		return nil, err
	}
	sh, err := l.readHeader(height)
	if err != nil {
		return nil, err
	}
	bt, err := l.blockTries(height)
	if err != nil {
		return nil, err
	}
	if int(index) >= len(bt.records) {
		return nil, fmt.Errorf("%w: block %d has %d txs, lookup says index %d",
			storage.ErrCorrupt, height, len(bt.records), index)
	}
	t, err := bt.records[index].decodeTx()
	if err != nil {
		return nil, err
	}
	txProof, rProof, err := bt.prove(int(index))
	if err != nil {
		return nil, err
	}
	// Callers own what they get: the cache is shared by every reader.
	rc := cloneReceipt(bt.receipts[index])
	out := &TxRecord{Tx: t, Receipt: rc, Header: sh, TxProof: txProof, ReceiptProof: rProof}
	for _, w := range rc.Writes {
		p, err := l.state.Prove(sh.Header.StateRoot, w.Contract, w.Key)
		if err != nil {
			return nil, fmt.Errorf("ledger: prove write %x of %s: %w", w.Key, w.Contract, err)
		}
		out.WriteProofs = append(out.WriteProofs, p)
	}
	return out, nil
}

// cloneReceipt copies r down to its byte slices, so that a caller changing
// its copy cannot change what the next reader sees.
func cloneReceipt(r *block.Receipt) *block.Receipt {
	c := *r
	c.Return = bytes.Clone(r.Return)
	if r.Events != nil {
		c.Events = make([]block.Event, len(r.Events))
		for i, e := range r.Events {
			e.Data = bytes.Clone(e.Data)
			c.Events[i] = e
		}
	}
	if r.Writes != nil {
		c.Writes = make([]block.Write, len(r.Writes))
		for i, w := range r.Writes {
			w.Key, w.Value = bytes.Clone(w.Key), bytes.Clone(w.Value)
			c.Writes[i] = w
		}
	}
	return &c
}

// HasTx reports whether a transaction is committed: one index read, where
// Tx also builds its proofs.
func (l *Ledger) HasTx(hash common.Hash) (bool, error) {
	_, _, err := l.txPosition(hash)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrNotFound):
		return false, nil
	default:
		return false, err
	}
}

func (l *Ledger) txPosition(hash common.Hash) (uint64, uint32, error) {
	v, ok, err := storage.Get(l.kv, storage.TxLookupKey(hash))
	if err != nil {
		return 0, 0, fmt.Errorf("ledger: read tx index: %w", err)
	}
	if !ok {
		return 0, 0, fmt.Errorf("%w: transaction %s", ErrNotFound, hash)
	}
	h, i, err := storage.DecodePosition(v)
	if err != nil {
		return 0, 0, fmt.Errorf("%w: tx index %s: %v", storage.ErrCorrupt, hash, err)
	}
	return h, i, nil
}

// NextNonce returns the nonce the account's next transaction must carry.
func (l *Ledger) NextNonce(account common.Address) (uint64, error) {
	return l.storedNonce(account)
}

// Contract returns a deployed contract's metadata.
func (l *Ledger) Contract(addr common.Address) (*ContractInfo, error) {
	c, err := l.contractRecord(nil, addr)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, fmt.Errorf("%w: %s", ErrUnknownContract, addr)
	}
	return c.info(addr), nil
}

// Contracts returns every deployed contract, by ascending address.
func (l *Ledger) Contracts() ([]*ContractInfo, error) {
	var out []*ContractInfo
	err := l.scanContracts(nil, func(c *ContractInfo) bool {
		out = append(out, c)
		return true
	})
	return out, err
}

// ContractsPage is one page of deployed contracts, in address order. Next,
// when set, is the last address of the page: pass it to ContractsAfter for
// the page that follows.
type ContractsPage struct {
	Contracts []*ContractInfo
	Next      *common.Address
}

// ContractsAfter lists up to limit contracts whose address is above after
// (from the lowest when after is nil), in address order. It reads only the
// page (and one more entry, to know whether more follow), so listing a
// large chain page by page costs no more than listing it once.
func (l *Ledger) ContractsAfter(after *common.Address, limit int) (*ContractsPage, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("%w: limit %d: want a positive number", ErrBadRequest, limit)
	}
	out := &ContractsPage{}
	err := l.scanContracts(after, func(c *ContractInfo) bool {
		if len(out.Contracts) == limit {
			next := out.Contracts[limit-1].Address
			out.Next = &next
			return false
		}
		out.Contracts = append(out.Contracts, c)
		return true
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// scanContracts visits contracts above after (all when nil) in address
// order until fn returns false.
func (l *Ledger) scanContracts(after *common.Address, fn func(*ContractInfo) bool) error {
	var start []byte
	if after != nil {
		// The smallest key above after's: after ‖ 0x00.
		start = append(after.Bytes(), 0)
	}
	it := l.kv.NewIterator([]byte{storage.PrefixContract}, start)
	defer it.Release()
	for it.Next() {
		k := it.Key()
		if len(k) != 1+common.AddressLength {
			continue
		}
		c, err := decodeContract(it.Value())
		if err != nil {
			return err
		}
		if !fn(c.info(common.BytesToAddress(k[1:]))) {
			return nil
		}
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("ledger: list contracts: %w", err)
	}
	return nil
}

// Code returns stored contract code by hash.
func (l *Ledger) Code(hash common.Hash) ([]byte, error) {
	v, ok, err := storage.Get(l.kv, storage.CodeKey(hash))
	if err != nil {
		return nil, fmt.Errorf("ledger: read code: %w", err)
	}
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrUnknownCode, hash)
	}
	return v, nil
}

// HasCode reports whether code with this hash is stored (a deploy may then
// name it without carrying it).
func (l *Ledger) HasCode(hash common.Hash) (bool, error) { return l.hasCode(nil, hash) }

// StateAt is a proven value of one key at one height.
type StateAt struct {
	Header *block.SignedHeader
	Proof  *proof.StateProof
}

// State returns the value (or absence) of contract's key at height, with a
// proof against that block's state root.
func (l *Ledger) State(contract common.Address, key []byte, height uint64) (*StateAt, error) {
	sh, err := l.Header(height)
	if err != nil {
		return nil, err
	}
	p, err := l.state.Prove(sh.Header.StateRoot, contract, key)
	if err != nil {
		return nil, fmt.Errorf("ledger: prove %x of %s at %d: %w", key, contract, height, err)
	}
	return &StateAt{Header: sh, Proof: p}, nil
}

// CheckTx decides whether a transaction may enter the mempool against the
// latest committed state: everything ApplyBlock would check except that a
// nonce ahead of the account's next one is accepted (it may become valid).
// The access rules come first, before the nonce: a sender outside every
// organisation is ErrNotAMember (unless the policy admits non-members), a
// deploy or upgrade without the deployer role ErrForbidden.
func (l *Ledger) CheckTx(t *tx.Tx) error {
	_, err := l.CheckTxNonce(t)
	return err
}

// CheckTxNonce is CheckTx that also returns the sender's next committed
// nonce it checked against, so that admission reads it once. The nonce is
// valid when the error is nil or ErrUnknownContract/ErrUnknownCode (checked
// after it); otherwise it is 0.
func (l *Ledger) CheckTxNonce(t *tx.Tx) (next uint64, err error) {
	if err := l.checkOpen(); err != nil {
		return 0, err
	}
	if t == nil {
		return 0, fmt.Errorf("%w: nil transaction", tx.ErrMalformed)
	}
	sender, err := t.Verify(l.chainID)
	if err != nil {
		return 0, err
	}
	if err := l.checkStateless(t); err != nil {
		return 0, err
	}
	if err := l.checkSenderLatest(t.Message(), sender); err != nil {
		return 0, err
	}
	if next, err = l.storedNonce(sender); err != nil {
		return 0, err
	}
	if err := tx.CheckNonce(t.Message().AccountNonce(), next); err != nil && !isTooHigh(err) {
		return 0, err
	}
	return next, l.checkTarget(t)
}

// checkTarget checks that a deploy's or upgrade's code (when not carried)
// and a call's or upgrade's contract exist. The registry is a built-in
// contract: it has no record and always exists.
func (l *Ledger) checkTarget(t *tx.Tx) error {
	switch m := t.Message().(type) {
	case *tx.Deploy:
		if err := l.checkStoredCode(t, m.CodeHash); err != nil {
			return err
		}
		return l.checkCodeManifest(t, m.CodeHash)
	case *tx.Upgrade:
		if err := l.checkContract(m.Contract); err != nil {
			return err
		}
		if err := l.checkStoredCode(t, m.CodeHash); err != nil {
			return err
		}
		return l.checkCodeManifest(t, m.CodeHash)
	case *tx.Call:
		if m.Contract == registry.Address {
			return nil
		}
		return l.checkCallArgs(m)
	}
	return nil
}

// checkStoredCode checks that code named by hash is stored, unless t
// carries it.
func (l *Ledger) checkStoredCode(t *tx.Tx, hash common.Hash) error {
	if t.Code() != nil {
		return nil
	}
	has, err := l.hasCode(nil, hash)
	if err != nil {
		return err
	}
	if !has {
		return fmt.Errorf("%w: %s", ErrUnknownCode, hash)
	}
	return nil
}

// checkContract checks that a contract is deployed at addr.
func (l *Ledger) checkContract(addr common.Address) error {
	c, err := l.contractRecord(nil, addr)
	if err != nil {
		return err
	}
	if c == nil {
		return fmt.Errorf("%w: %s", ErrUnknownContract, addr)
	}
	return nil
}
