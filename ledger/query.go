package ledger

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"sort"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/state"
	"github.com/meshledger/meshledger/ledger/storage"
	"github.com/meshledger/meshledger/runtime"
)

// Query runs a read-only call of method against contract's state at a
// committed height and returns the result with a proof of every key the
// call read, against that height's state root. gasCap 0 or above the
// ledger's cap means the cap. A contract failure is a result with a non-ok
// Status; an error means the query could not run (unknown height or
// contract, host failure).
//
// Proofs cover the keys read. For a prefix scan they prove each key
// returned, not that no other key lay between them: the trie is keyed by
// hashes and offers no range proofs.
func (l *Ledger) Query(ctx context.Context, contract common.Address, method string, args []byte, height uint64, gasCap uint64) (*QueryResult, error) {
	return l.query(ctx, common.Address{}, contract, method, args, height, gasCap, true)
}

// QueryAs is Query with caller as the call's ctx.Caller() (the
// authenticated reader), so that a contract decides what the reader may
// see. The contract sees the participant registry (ctx.CallerOrg,
// ctx.HasRole) as it was at height.
func (l *Ledger) QueryAs(ctx context.Context, caller common.Address, contract common.Address, method string, args []byte, height uint64, gasCap uint64) (*QueryResult, error) {
	return l.query(ctx, caller, contract, method, args, height, gasCap, true)
}

// query runs a read-only call for caller; prove adds a proof of every key
// read (a read-policy call needs only the answer).
func (l *Ledger) query(ctx context.Context, caller, contract common.Address, method string, args []byte, height uint64, gasCap uint64, prove bool) (*QueryResult, error) {
	if err := l.checkOpen(); err != nil {
		return nil, err
	}
	if gasCap == 0 || gasCap > l.queryCap {
		gasCap = l.queryCap
	}
	// No lock is held while the contract runs (it may take the whole gas
	// cap): a block may commit meanwhile. At the tip the call reads the
	// flat index, which is checked afterwards not to have moved (commitSeq);
	// if it did, the call runs again against the trie at the header's
	// root, which never changes.
	seq := l.commitSeq.Load()
	latest := l.latest.Load()
	sh := latest // the tip's header is in memory; older ones are read
	if height != latest.Header.Height {
		var err error
		if sh, err = l.Header(height); err != nil {
			return nil, err
		}
	}
	tip := seq%2 == 0 && sh.Header.Height == latest.Header.Height
	res, reads, err := l.queryAt(ctx, sh, seq, tip, caller, contract, method, args, gasCap)
	if err == nil && tip && l.commitSeq.Load() != seq {
		res, reads, err = l.queryAt(ctx, sh, seq, false, caller, contract, method, args, gasCap)
	}
	if err != nil {
		return nil, err
	}
	out := &QueryResult{
		Status: res.Code, Message: res.Message, Return: res.Return,
		GasUsed: res.GasUsed, Header: sh,
	}
	if !prove {
		return out, nil
	}
	for _, k := range res.Reads {
		p, err := l.state.Prove(sh.Header.StateRoot, contract, k)
		if err != nil {
			return nil, fmt.Errorf("ledger: prove read %x: %w", k, err)
		}
		out.Proofs = append(out.Proofs, p)
	}
	// Then the keys the contracts it called read, each proof naming its
	// contract: the answer may rest on any of them.
	for _, c := range reads.order {
		for _, k := range reads.sorted(c) {
			p, err := l.state.Prove(sh.Header.StateRoot, c, k)
			if err != nil {
				return nil, fmt.Errorf("ledger: prove read %x of %s: %w", k, c, err)
			}
			out.Proofs = append(out.Proofs, p)
		}
	}
	return out, nil
}

// queryAt runs the call against the state of sh: the flat index when tip
// (the caller checks it did not move), else the trie at sh's root. The
// code is the contract's code at sh's height: an upgrade committed later
// does not change what a past height answers.
//
// The contracts it calls run the same way, at the same height and
// read-only; reads lists the keys they read.
func (l *Ledger) queryAt(ctx context.Context, sh *block.SignedHeader, seq uint64, tip bool, caller, contract common.Address, method string, args []byte, gasCap uint64) (*runtime.Result, *callReads, error) {
	mod, _, ok, err := l.moduleAt(ctx, contract, sh.Header.Height)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, fmt.Errorf("%w: %s at height %d", ErrUnknownContract, contract, sh.Header.Height)
	}
	st, err := l.stateAt(sh, tip, contract)
	if err != nil {
		return nil, nil, err
	}
	// The registry is read like the contract's state: the flat index at
	// the tip (whose move the caller detects), else the trie at sh's root.
	reg := &registryReader{l: l, sh: sh, seq: seq, tip: tip}
	env := runtime.Env{
		Caller:   runtime.Address(caller),
		Contract: runtime.Address(contract), Height: sh.Header.Height, TimeMs: sh.Header.TimeMs,
		GasLimit: gasCap, ReadOnly: true,
		Directory: directoryOver(reg),
	}
	calls := &crossCalls{l: l, env: env, stack: []*callFrame{{contract: contract}}, reads: &callReads{}}
	calls.module = func(ctx context.Context, addr common.Address) (Contract, common.Hash, bool, error) {
		return l.moduleAt(ctx, addr, sh.Header.Height)
	}
	calls.state = func(addr common.Address) (runtime.State, error) { return l.stateAt(sh, tip, addr) }
	env.Calls = calls
	res, err := mod.Call(ctx, env, method, args, st)
	return res, calls.reads, err
}

// moduleAt loads the code contract ran at height, and returns its hash;
// ok is false when there was no contract there at that height.
func (l *Ledger) moduleAt(ctx context.Context, contract common.Address, height uint64) (Contract, common.Hash, bool, error) {
	rec, err := l.contractRecord(nil, contract)
	if err != nil {
		return nil, common.Hash{}, false, err
	}
	if rec == nil || rec.Height > height {
		return nil, common.Hash{}, false, nil
	}
	codeHash := codeAt(rec.info(contract), height)
	mod, err := l.loadModule(ctx, &pendingBlock{}, codeHash)
	if err != nil {
		return nil, common.Hash{}, false, fmt.Errorf("ledger: load %s: %w", contract, err)
	}
	return mod, codeHash, true, nil
}

// stateAt is contract's state at sh: the flat index when tip (the caller
// checks it did not move), else the trie at sh's root.
func (l *Ledger) stateAt(sh *block.SignedHeader, tip bool, contract common.Address) (runtime.State, error) {
	if tip {
		return l.state.ContractReader(contract), nil
	}
	rr, err := l.state.ContractReaderAt(sh.Header.StateRoot, contract)
	if err != nil {
		return nil, fmt.Errorf("ledger: state at %d: %w", sh.Header.Height, err)
	}
	return &historicalState{l: l, root: rr, contract: contract, height: sh.Header.Height}, nil
}

// codeAt is the hash of the code c ran at height: the last version
// installed at or below it (the deploy's code when c lists no versions).
func codeAt(c *ContractInfo, height uint64) common.Hash {
	for i := len(c.Versions) - 1; i >= 0; i-- {
		if c.Versions[i].Height <= height {
			return c.Versions[i].CodeHash
		}
	}
	return c.CodeHash
}

// historicalState is a contract's state under a past root. The trie
// answers Get; Iterate needs the keys in order, which a hashed trie cannot
// give, so the candidate keys come from the contract's history index (every
// key ever written is there) and each value from the trie. Its cost grows
// with the contract's whole history, which is acceptable for audits and
// point-in-time queries but not for hot paths (those run at the tip).
type historicalState struct {
	l        *Ledger
	root     *state.RootReader
	contract common.Address
	height   uint64
	keys     [][]byte // sorted keys written at or before height; nil until needed
}

func (s *historicalState) Get(key []byte) ([]byte, bool, error) { return s.root.Get(key) }

func (s *historicalState) Iterate(prefix, start []byte, fn func(key, value []byte) bool) error {
	if s.keys == nil {
		keys, err := s.l.keysWritten(s.contract, s.height)
		if err != nil {
			return err
		}
		s.keys = keys
	}
	lower := start
	if bytes.Compare(lower, prefix) < 0 {
		lower = prefix
	}
	i := sort.Search(len(s.keys), func(i int) bool { return bytes.Compare(s.keys[i], lower) >= 0 })
	for ; i < len(s.keys) && bytes.HasPrefix(s.keys[i], prefix); i++ {
		v, ok, err := s.root.Get(s.keys[i])
		if err != nil {
			return err
		}
		if ok && !fn(s.keys[i], v) {
			return nil
		}
	}
	return nil
}

// keysWritten lists, sorted, the keys of contract with a history entry at
// or before height, read from the history index layout
// (storage.HistoryKey: prefix ‖ contract ‖ u32 len ‖ key ‖ u64 height ‖ u32 index).
func (l *Ledger) keysWritten(contract common.Address, height uint64) ([][]byte, error) {
	pfx := append([]byte{storage.PrefixHistory}, contract[:]...)
	it := l.kv.NewIterator(pfx, nil)
	defer it.Release()
	var keys [][]byte
	var last []byte
	// The scan reads every change the contract ever made, outside gas
	// metering: bounded, with an error naming the bound.
	scanned := 0
	for it.Next() {
		if scanned++; scanned > l.scanCap {
			return nil, fmt.Errorf("%w: listing keys of %s at height %d reads more than %d history entries (query the latest height, or raise the limit)",
				ErrScanLimit, contract, height, l.scanCap)
		}
		rest := it.Key()[len(pfx):]
		if len(rest) < 4 {
			return nil, fmt.Errorf("%w: history key %x", storage.ErrCorrupt, it.Key())
		}
		n := int(binary.BigEndian.Uint32(rest))
		if len(rest) != 4+n+12 {
			return nil, fmt.Errorf("%w: history key %x", storage.ErrCorrupt, it.Key())
		}
		key := rest[4 : 4+n]
		if binary.BigEndian.Uint64(rest[4+n:]) > height || bytes.Equal(key, last) && last != nil {
			continue
		}
		last = bytes.Clone(key)
		keys = append(keys, last)
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("ledger: scan history of %s: %w", contract, err)
	}
	sort.Slice(keys, func(i, j int) bool { return bytes.Compare(keys[i], keys[j]) < 0 })
	return keys, nil
}
