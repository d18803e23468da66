package cometbft

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"sync"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/lru"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/tx"
)

// ABCI result codes of transactions. They enter CometBFT's results hash,
// so they depend only on the block: 0 included with a successful receipt,
// CodeFailed included with a failed receipt (gas charged, state
// untouched), CodeRejected left out of the ledger block (nothing
// recorded), CodeMalformed not decodable as a meshledger transaction.
const (
	CodeOK        uint32 = 0
	CodeFailed    uint32 = 1
	CodeRejected  uint32 = 2
	CodeMalformed uint32 = 3
	// CodeRefused is CheckTx's refusal: the transaction does not enter the
	// mempool (the log says why).
	CodeRefused uint32 = 4
)

// Codespace names meshledger's result codes in CometBFT's responses.
const Codespace = "meshledger"

// EncodeTx is a transaction's CometBFT form: RLP([block encoding, code]).
// The block encoding alone does not carry a deploy's or an upgrade's code
// (its hash is signed instead), and every validator needs the code to
// execute the block.
func EncodeTx(t *tx.Tx) ([]byte, error) {
	body, err := t.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("encode tx %s: %w", t.Hash(), err)
	}
	return rlp.EncodeToBytes([][]byte{body, t.Code()})
}

// DecodeTx reads EncodeTx's form within lim.
func DecodeTx(b []byte, lim tx.Limits) (*tx.Tx, error) {
	var parts [][]byte
	if err := rlp.DecodeBytes(b, &parts); err != nil || len(parts) != 2 {
		return nil, fmt.Errorf("%w: not a meshledger transaction envelope", tx.ErrMalformed)
	}
	t, err := tx.DecodeRLP(parts[0], lim)
	if err != nil {
		return nil, err
	}
	if len(parts[1]) > 0 {
		if t, err = t.WithCode(parts[1]); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// CommitHook is told of every ledger block the application commits, after
// it is durable: the node drops the block's transactions from its pending
// view and wakes the clients waiting for them. It must not block for long.
type CommitHook func(*ledger.Applied)

// App is meshledger as a CometBFT ABCI++ application over one ledger.
// CheckTx is the node's admission check; PrepareProposal orders a
// proposer's mempool by sender and nonce within the block limits;
// ProcessProposal refuses a proposal holding anything that is not a
// well-formed, correctly signed transaction of this chain; FinalizeBlock
// runs the ledger's one executor (ledger.Finalize) and answers the app
// hash; Commit stores the block (ledger.CommitFinalized). Nothing is
// stored before Commit, so a crash in between replays the height.
type App struct {
	abci.BaseApplication

	l        *ledger.Ledger
	chainID  string
	onCommit CommitHook

	mu      sync.Mutex
	pending *ledger.Finalized // between FinalizeBlock and Commit

	// decoded keeps transactions decoded from CometBFT's bytes, by the
	// bytes' hash. A transaction reaches the application four times or
	// more (CheckTx, the recheck after every block, PrepareProposal,
	// ProcessProposal, FinalizeBlock), each time as bytes; decoding it
	// once keeps its recovered sender, so secp256k1 recovery, the
	// costliest step, runs once per transaction per node instead of at
	// every step. Decoding is a pure function of the bytes: the cache
	// changes cost, never results.
	decoded *lru.Cache[[32]byte, *tx.Tx]
	limits  tx.Limits
}

// DecodedTxCache is how many decoded transactions an App keeps: the
// mempool's default size twice over, so a transaction stays decoded from
// its CheckTx to its block under full load.
const DecodedTxCache = 20_000

// decode is DecodeTx through the App's cache.
func (a *App) decode(raw []byte) (*tx.Tx, error) {
	key := sha256.Sum256(raw)
	if t, ok := a.decoded.Get(key); ok {
		return t, nil
	}
	t, err := DecodeTx(raw, a.limits)
	if err != nil {
		return nil, err
	}
	a.decoded.Add(key, t)
	return t, nil
}

// ErrNotTheEncoding: Remember was given bytes that do not decode to the
// transaction given with them.
var ErrNotTheEncoding = errors.New("cometbft: the bytes are not the transaction's encoding")

// Remember caches the decoding of raw, t's CometBFT encoding, with the
// sender the node already recovered for t at its API, so that the node's
// own CheckTx does not recover it a second time (a fifth secp256k1
// recovery per transaction on a four-validator network, where four are
// needed). What enters the cache is always DecodeTx(raw) itself, never t:
// an object built in memory may differ from a decoding in ways the
// signature cannot see (empty bytes held as nil against an empty slice
// once made consensus state diverge), and only the recovered sender,
// a function of chain id, hash and signature, is carried over. Bytes that
// do not decode to t's hash, signature and code are refused with
// ErrNotTheEncoding, and nothing is cached.
func (a *App) Remember(raw []byte, t *tx.Tx) error {
	d, err := DecodeTx(raw, a.limits)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNotTheEncoding, err)
	}
	if !bytes.Equal(d.Code(), t.Code()) || !d.AdoptSender(t) {
		return fmt.Errorf("%w: it decodes to %s, not %s (or %s's sender is not recovered)", ErrNotTheEncoding, d.Hash(), t.Hash(), t.Hash())
	}
	key := sha256.Sum256(raw)
	if _, ok := a.decoded.Get(key); !ok {
		a.decoded.Add(key, d)
	}
	return nil
}

var _ abci.Application = (*App)(nil)

// ChainID is the CometBFT chain id of a ledger chain: CometBFT's ids are
// strings, the ledger's a number, and the two must name one chain.
func ChainID(ledgerChainID uint64) string { return fmt.Sprintf("meshledger-%d", ledgerChainID) }

// NewApp returns the application over l, which must be a BFT chain (its
// genesis names cometbft). onCommit may be nil.
func NewApp(l *ledger.Ledger, onCommit CommitHook) (*App, error) {
	if !l.Genesis().BFT() {
		return nil, fmt.Errorf("cometbft: %w: the genesis does not name cometbft as its consensus", ledger.ErrWrongMode)
	}
	if onCommit == nil {
		onCommit = func(*ledger.Applied) {}
	}
	return &App{l: l, chainID: ChainID(l.ChainID()), onCommit: onCommit, decoded: lru.NewCache[[32]byte, *tx.Tx](DecodedTxCache), limits: l.TxLimits()}, nil
}

// Info reports the last consensus height the ledger committed and its app
// hash: CometBFT replays every later height it has.
func (a *App) Info(context.Context, *abci.RequestInfo) (*abci.ResponseInfo, error) {
	cs, err := a.l.ConsensusState()
	if err != nil {
		return nil, err
	}
	res := &abci.ResponseInfo{Data: "meshledger", LastBlockHeight: int64(cs.Height)}
	if cs.Height > 0 {
		res.LastBlockAppHash = cs.AppHash.Bytes()
	}
	return res, nil
}

// InitChain checks that CometBFT's genesis is this ledger's chain and
// answers the ledger's genesis header hash as the initial app hash.
func (a *App) InitChain(_ context.Context, req *abci.RequestInitChain) (*abci.ResponseInitChain, error) {
	if req.ChainId != a.chainID {
		return nil, fmt.Errorf("cometbft: genesis chain id %q, the ledger's is %q", req.ChainId, a.chainID)
	}
	if req.InitialHeight > 1 {
		return nil, fmt.Errorf("cometbft: initial height %d: a meshledger chain starts at 1", req.InitialHeight)
	}
	// The validator set is the registry's. A genesis that declares its
	// organisations' validators must found CometBFT with exactly those;
	// one that declares none leaves CometBFT's genesis set in place (the
	// registry then knows validators only once proposals set them).
	if want := a.l.GenesisValidators(); len(want) > 0 {
		got := make([]ledger.ValidatorUpdate, 0, len(req.Validators))
		for _, v := range req.Validators {
			key := v.PubKey.GetEd25519()
			if key == nil {
				return nil, fmt.Errorf("cometbft: genesis validator with a %T key: only ed25519 validators are supported", v.PubKey.Sum)
			}
			got = append(got, ledger.ValidatorUpdate{PubKey: key, Power: v.Power})
		}
		slices.SortFunc(got, func(x, y ledger.ValidatorUpdate) int { return bytes.Compare(x.PubKey, y.PubKey) })
		if !slices.EqualFunc(got, want, func(x, y ledger.ValidatorUpdate) bool { return bytes.Equal(x.PubKey, y.PubKey) && x.Power == y.Power }) {
			return nil, fmt.Errorf("cometbft: CometBFT's genesis validators (%d) are not the ledger genesis's organisations' validators (%d)", len(got), len(want))
		}
	}
	return &abci.ResponseInitChain{AppHash: a.l.Latest().Hash().Bytes()}, nil
}

// CheckTx admits a transaction to the mempool with the node's own checks
// against the latest committed state (a nonce ahead of the account's next
// is accepted; one behind it, on recheck, drops the transaction).
func (a *App) CheckTx(_ context.Context, req *abci.RequestCheckTx) (*abci.ResponseCheckTx, error) {
	t, err := a.decode(req.Tx)
	if err != nil {
		return &abci.ResponseCheckTx{Code: CodeMalformed, Codespace: Codespace, Log: err.Error()}, nil
	}
	if err := a.l.CheckTx(t); err != nil && !errors.Is(err, ledger.ErrUnknownContract) {
		// A call to a contract whose deploy is still pending is let in:
		// its receipt says unknown_contract if the deploy fails.
		return &abci.ResponseCheckTx{Code: CodeRefused, Codespace: Codespace, Log: err.Error()}, nil
	}
	return &abci.ResponseCheckTx{Code: CodeOK, GasWanted: int64(min(t.Message().Gas(), 1<<62))}, nil
}

// PrepareProposal orders the proposer's transactions: per sender by nonce,
// starting at the sender's next committed nonce without gaps, senders in
// the order their first transaction came, within the block's byte and gas
// limits. Anything undecodable, badly signed, or behind the nonce is left
// out (CheckTx would have refused it; it is here only after a recheck
// race).
func (a *App) PrepareProposal(_ context.Context, req *abci.RequestPrepareProposal) (*abci.ResponsePrepareProposal, error) {
	type item struct {
		raw   []byte
		t     *tx.Tx
		nonce uint64
	}
	var senders []common.Address
	bySender := map[common.Address][]item{}
	for _, raw := range req.Txs {
		t, err := a.decode(raw)
		if err != nil {
			continue
		}
		sender, err := t.Verify(a.l.ChainID())
		if err != nil {
			continue
		}
		if _, ok := bySender[sender]; !ok {
			senders = append(senders, sender)
		}
		bySender[sender] = append(bySender[sender], item{raw: raw, t: t, nonce: t.Message().AccountNonce()})
	}
	var (
		out            [][]byte
		size           int64
		gas, deployGas uint64
	)
	gasLimit, deployLimit := a.l.BlockGasLimit(), a.l.BlockDeployGasLimit()
	for _, s := range senders {
		items := bySender[s]
		slices.SortStableFunc(items, func(x, y item) int { return cmp.Compare(x.nonce, y.nonce) })
		next, err := a.l.NextNonce(s)
		if err != nil {
			return nil, fmt.Errorf("cometbft: next nonce of %s: %w", s, err)
		}
		for _, it := range items {
			if it.nonce != next {
				if it.nonce < next {
					continue // spent, or a duplicate nonce
				}
				break // a gap: the rest must wait
			}
			// The executor would reject a transaction past either gas
			// budget, and CometBFT drops every transaction of a block
			// from its mempool: one that does not fit waits instead.
			exec, deploy, err := a.l.BlockGas(it.t)
			if err != nil || size+int64(len(it.raw)) > req.MaxTxBytes || gas+exec > gasLimit || deployGas+deploy > deployLimit {
				break
			}
			out = append(out, it.raw)
			size += int64(len(it.raw))
			gas += exec
			deployGas += deploy
			next++
		}
	}
	return &abci.ResponsePrepareProposal{Txs: out}, nil
}

// ProcessProposal refuses a proposal that holds anything but well-formed,
// correctly signed transactions of this chain within the size limits.
// What depends on state (nonces, membership, targets) is the executor's:
// such a transaction is rejected in FinalizeBlock, on every node alike, and
// cannot make nodes disagree.
func (a *App) ProcessProposal(_ context.Context, req *abci.RequestProcessProposal) (*abci.ResponseProcessProposal, error) {
	for _, raw := range req.Txs {
		t, err := a.decode(raw)
		if err != nil {
			return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_REJECT}, nil
		}
		if _, err := t.Verify(a.l.ChainID()); err != nil {
			return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_REJECT}, nil
		}
	}
	return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_ACCEPT}, nil
}

// FinalizeBlock executes the decided block with the ledger's executor and
// answers its app hash. The block time is CometBFT's (BFT time, the same
// on every node), in milliseconds; the header's proposer is the CometBFT
// proposer's validator address.
func (a *App) FinalizeBlock(ctx context.Context, req *abci.RequestFinalizeBlock) (*abci.ResponseFinalizeBlock, error) {
	if req.Height <= 0 {
		return nil, fmt.Errorf("cometbft: finalize height %d", req.Height)
	}
	txs := make([]*tx.Tx, len(req.Txs))
	results := make([]*abci.ExecTxResult, len(req.Txs))
	for i, raw := range req.Txs {
		t, err := a.decode(raw)
		if err != nil {
			// Left nil: the executor rejects it as malformed.
			results[i] = &abci.ExecTxResult{Code: CodeMalformed, Codespace: Codespace, Log: err.Error()}
			continue
		}
		txs[i] = t
	}
	f, err := a.l.Finalize(ctx, uint64(req.Height), ledger.Proposal{
		TimeMs:   req.Time.UnixMilli(),
		Proposer: common.BytesToAddress(req.ProposerAddress),
		Txs:      txs,
	})
	if err != nil {
		return nil, fmt.Errorf("cometbft: finalize height %d: %w", req.Height, err)
	}
	for _, r := range f.Rejected {
		if results[r.Index] == nil {
			results[r.Index] = &abci.ExecTxResult{Code: CodeRejected, Codespace: Codespace, Log: r.Err.Error()}
		}
	}
	included := 0
	for i, res := range results {
		if res != nil {
			continue
		}
		if included >= len(f.Receipts) || f.TxHashes[included] != txs[i].Hash() {
			return nil, fmt.Errorf("cometbft: height %d: transaction %d neither included nor rejected", req.Height, i)
		}
		rc := f.Receipts[included]
		included++
		res = &abci.ExecTxResult{GasWanted: int64(min(txs[i].Message().Gas(), 1<<62)), GasUsed: int64(min(rc.GasUsed, 1<<62))}
		if !rc.OK() {
			res.Code, res.Codespace, res.Log = CodeFailed, Codespace, string(rc.Status)
		}
		results[i] = res
	}
	a.mu.Lock()
	a.pending = f
	a.mu.Unlock()
	var updates []abci.ValidatorUpdate
	for _, u := range f.ValidatorUpdates {
		updates = append(updates, abci.Ed25519ValidatorUpdate(u.PubKey, u.Power))
	}
	return &abci.ResponseFinalizeBlock{TxResults: results, AppHash: f.AppHash.Bytes(), ValidatorUpdates: updates}, nil
}

// Commit stores the block FinalizeBlock executed.
func (a *App) Commit(context.Context, *abci.RequestCommit) (*abci.ResponseCommit, error) {
	a.mu.Lock()
	f := a.pending
	a.pending = nil
	a.mu.Unlock()
	if f == nil {
		return nil, errors.New("cometbft: commit without a finalized block")
	}
	applied, err := a.l.CommitFinalized(f)
	if err != nil {
		return nil, fmt.Errorf("cometbft: commit height %d: %w", f.Height, err)
	}
	if applied != nil {
		a.onCommit(applied)
	}
	return &abci.ResponseCommit{}, nil
}

// Query is not served over ABCI: reads go through the node's HTTP API,
// which applies read access and returns proofs.
func (a *App) Query(context.Context, *abci.RequestQuery) (*abci.ResponseQuery, error) {
	return &abci.ResponseQuery{Code: CodeRefused, Codespace: Codespace, Log: "query the node's HTTP API (/v1/...)"}, nil
}
