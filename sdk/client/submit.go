package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/sdk/api"
)

// Op is a transaction to sign: a deploy or a call. The client fills in the
// sender, nonce, gas limit and chain when it signs.
type Op struct {
	deploy *tx.Deploy
	code   []byte
	call   *tx.Call
	gas    uint64 // 0: the client's default for the kind
	err    error
}

// WithGas returns a copy of op with its own gas limit.
func (op Op) WithGas(gas uint64) Op {
	op.gas = gas
	return op
}

// gasLimit is op's gas limit: its own, else the client's default for calls
// or, for deploys (which run validation, instrumentation and init),
// DefaultDeployGasLimit when the client's default is lower.
func (op Op) gasLimit(def uint64) uint64 {
	switch {
	case op.gas != 0:
		return op.gas
	case op.deploy != nil:
		return max(def, DefaultDeployGasLimit)
	}
	return def
}

// DeployOp deploys Wasm code as a contract named name, calling its init
// method with initArgs (see Query for how args are encoded).
func DeployOp(code []byte, name string, initArgs any) Op {
	raw, err := encodeArgs(initArgs)
	return Op{deploy: &tx.Deploy{Name: name, InitArgs: raw}, code: code, err: err}
}

// CallOp calls method of contract with args.
func CallOp(contract common.Address, method string, args any) Op {
	raw, err := encodeArgs(args)
	return Op{call: &tx.Call{Contract: contract, Method: method, Args: raw}, err: err}
}

// Sign signs op for chainID with key, at nonce. gas is the gas limit when
// op has none of its own (WithGas). It is what the client does for each
// submission; load generators use it directly to sign ahead of time.
func (op Op) Sign(key *Key, chainID, nonce, gas uint64) (*tx.Tx, error) {
	if op.err != nil {
		return nil, op.err
	}
	gas = op.gasLimit(gas)
	switch {
	case op.deploy != nil:
		d := *op.deploy
		d.From, d.Nonce, d.GasLimit = key.Address(), nonce, gas
		return tx.SignDeploy(d, op.code, chainID, key.PrivateKey())
	case op.call != nil:
		c := *op.call
		c.From, c.Nonce, c.GasLimit = key.Address(), nonce, gas
		return tx.SignCall(c, chainID, key.PrivateKey())
	}
	return nil, errors.New("client: empty Op")
}

// SendTx posts an already signed transaction (POST /v1/txs) and returns
// once the node has admitted it.
func (c *Client) SendTx(ctx context.Context, t *tx.Tx) (*api.Tx, error) {
	var out api.Tx
	if _, err := c.post(ctx, api.PathTxs, nil, t, &out); err != nil {
		return nil, fmt.Errorf("submit %s: %w", t.Hash().Hex(), err)
	}
	return &out, nil
}

// SendTxAndWait posts a signed transaction with ?wait=true: the node
// answers when it is committed (or the node's wait times out, when the
// answer is still pending).
func (c *Client) SendTxAndWait(ctx context.Context, t *tx.Tx) (*api.Tx, error) {
	var out api.Tx
	q := url.Values{api.ParamWait: {"true"}}
	if _, err := c.post(ctx, api.PathTxs, q, t, &out); err != nil {
		return nil, fmt.Errorf("submit %s: %w", t.Hash().Hex(), err)
	}
	return &out, nil
}

// SendTxs posts signed transactions in one request (POST /v1/txs/batch).
// Items are answered one by one, in order.
func (c *Client) SendTxs(ctx context.Context, txs []*tx.Tx) ([]api.BatchItem, error) {
	var out []api.BatchItem
	if _, err := c.post(ctx, api.PathTxsBatch, nil, txs, &out); err != nil {
		return nil, fmt.Errorf("submit batch of %d: %w", len(txs), err)
	}
	if len(out) != len(txs) {
		return nil, fmt.Errorf("submit batch: %d answers for %d transactions", len(out), len(txs))
	}
	return out, nil
}

// maxNonceRetries bounds how often one submission re-reads the nonce after
// the node refused it, which happens when another program uses the key.
const maxNonceRetries = 4

func (c *Client) pendingNonce(ctx context.Context) (uint64, error) {
	a, err := c.Account(ctx, c.key.Address())
	if err != nil {
		return 0, fmt.Errorf("client: read nonce: %w", err)
	}
	return a.PendingNonce, nil
}

// Submit signs op with the client's key and the next nonce and sends it.
// It returns once the node has admitted the transaction; use WaitTx (or
// SubmitAndWait) for its receipt. Any number of goroutines may submit at
// once: nonces are handed out without gaps or repeats.
func (c *Client) Submit(ctx context.Context, op Op) (*tx.Tx, error) {
	if c.key == nil {
		return nil, ErrNoKey
	}
	chainID, err := c.ChainID(ctx)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		var signed *tx.Tx
		var sendErr error
		err := c.seq.with(ctx, c.pendingNonce, func(next uint64) (uint64, bool) {
			signed, sendErr = op.Sign(c.key, chainID, next, c.gasLimit)
			if sendErr != nil {
				return 0, false
			}
			sendErr = c.sendInWindow(ctx, signed)
			if sendErr == nil {
				return 1, false
			}
			var ae *APIError
			// Refused by the node for a reason other than the nonce:
			// the nonce is still free. Anything else (a nonce conflict,
			// a lost connection) leaves the node's view unknown.
			return 0, !errors.As(sendErr, &ae) || isNonceError(sendErr) || ae.Retryable()
		})
		if err != nil {
			return nil, err
		}
		if sendErr == nil {
			return signed, nil
		}
		if !isNonceError(sendErr) || attempt >= maxNonceRetries {
			return nil, sendErr
		}
	}
}

// maxWindowWaits bounds how often one submission waits for the node's
// pending window (nonce_too_high) to move.
const maxWindowWaits = 20

// sendInWindow sends t, waiting while the node refuses it as too far ahead
// of the committed nonce: that is backpressure (earlier transactions of the
// key are still pending), and blocks move the window on their own.
func (c *Client) sendInWindow(ctx context.Context, t *tx.Tx) error {
	for try := 1; ; try++ {
		_, err := c.SendTx(ctx, t)
		if err == nil || !IsCode(err, string(api.CodeNonceTooHigh)) || try >= maxWindowWaits {
			return err
		}
		tm := time.NewTimer(c.retry.backoff(try, 0))
		select {
		case <-ctx.Done():
			tm.Stop()
			return errors.Join(err, ctx.Err())
		case <-tm.C:
		}
	}
}

// SubmitAndWait submits op and waits for its receipt.
func (c *Client) SubmitAndWait(ctx context.Context, op Op) (*api.Tx, error) {
	t, err := c.Submit(ctx, op)
	if err != nil {
		return nil, err
	}
	return c.WaitTx(ctx, t.Hash())
}

// BatchResult is the outcome of one transaction of SubmitBatch.
type BatchResult struct {
	Tx  *tx.Tx // signed transaction (nil if signing failed)
	Err error  // nil when admitted; an *APIError when the node refused it
}

// SubmitBatch signs ops with consecutive nonces and sends them in one
// request. Results are in op order. A refused item leaves a nonce gap: the
// admitted items after it wait in the node's mempool until the client's
// next submission reuses that nonce (the counter is re-read from the node
// after any refusal).
func (c *Client) SubmitBatch(ctx context.Context, ops []Op) ([]BatchResult, error) {
	if c.key == nil {
		return nil, ErrNoKey
	}
	if len(ops) == 0 {
		return nil, nil
	}
	if len(ops) > api.MaxBatch {
		return nil, fmt.Errorf("client: batch of %d exceeds %d", len(ops), api.MaxBatch)
	}
	chainID, err := c.ChainID(ctx)
	if err != nil {
		return nil, err
	}
	res := make([]BatchResult, len(ops))
	var sendErr error
	err = c.seq.with(ctx, c.pendingNonce, func(next uint64) (uint64, bool) {
		txs := make([]*tx.Tx, len(ops))
		for i, op := range ops {
			txs[i], sendErr = op.Sign(c.key, chainID, next+uint64(i), c.gasLimit)
			if sendErr != nil {
				sendErr = fmt.Errorf("client: sign batch item %d: %w", i, sendErr)
				return 0, false
			}
		}
		items, err := c.SendTxs(ctx, txs)
		if err != nil {
			sendErr = err
			var ae *APIError
			return 0, !errors.As(err, &ae) || ae.Retryable()
		}
		used, refused := uint64(len(items)), false
		for i := range items {
			res[i].Tx = txs[i]
			if e := items[i].Error; e != nil {
				res[i].Err = &APIError{Status: items[i].HTTPStatus, Code: string(e.Code), Message: e.Message}
				if !refused {
					used, refused = uint64(i), true
				}
			}
		}
		// After a refusal the nonces at and past it are in an unknown mix
		// of used and free: re-read them.
		return used, refused
	})
	if err != nil {
		return nil, err
	}
	if sendErr != nil {
		return nil, sendErr
	}
	return res, nil
}

// WaitTx polls GET /v1/txs/{hash} until the transaction is committed or
// rejected, or ctx ends. A committed transaction is returned even when its
// call failed: check Receipt.Status, or use ReceiptError. A rejected one is
// returned with its error as an *APIError.
func (c *Client) WaitTx(ctx context.Context, hash common.Hash) (*api.Tx, error) {
	delay := 5 * time.Millisecond
	for {
		t, err := c.Tx(ctx, hash)
		switch {
		case err == nil && t.Status == api.TxCommitted:
			return t, nil
		case err == nil && t.Status == api.TxRejected:
			e := &APIError{Status: http.StatusUnprocessableEntity, Code: string(api.CodeRejected)}
			if t.Error != nil {
				e.Code, e.Message = string(t.Error.Code), t.Error.Message
			}
			return t, fmt.Errorf("transaction %s rejected: %w", hash.Hex(), e)
		case err != nil && !IsNotFound(err):
			// 404 right after admission can only be a lagging replica;
			// anything else is final.
			return nil, err
		}
		tm := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			tm.Stop()
			return nil, fmt.Errorf("wait for %s: %w", hash.Hex(), errors.Join(ErrPending, ctx.Err()))
		case <-tm.C:
		}
		delay = min(delay*2, c.poll)
	}
}

// CallFailedError reports a call that failed: the receipt's (or query's)
// status (docs/abi.md codes) and message. TxHash is zero for queries.
type CallFailedError struct {
	TxHash  common.Hash
	Status  string
	Message string
}

func (e *CallFailedError) Error() string {
	if e.TxHash == (common.Hash{}) {
		return fmt.Sprintf("call failed: %s: %s", e.Status, e.Message)
	}
	return fmt.Sprintf("transaction %s failed: %s: %s", e.TxHash.Hex(), e.Status, e.Message)
}

// ReceiptError returns a *CallFailedError if t's receipt reports a failed
// call, nil if it succeeded.
func ReceiptError(t *api.Tx) error {
	if t == nil || t.Receipt == nil || t.Receipt.Status == "ok" {
		return nil
	}
	return &CallFailedError{TxHash: t.Hash, Status: t.Receipt.Status, Message: t.Receipt.Message}
}

// Deploy deploys code and waits for the receipt. The contract's address
// is Receipt.ContractAddress. A failed init is a *CallFailedError, returned
// with the record.
func (c *Client) Deploy(ctx context.Context, code []byte, name string, initArgs any) (*api.Tx, error) {
	t, err := c.SubmitAndWait(ctx, DeployOp(code, name, initArgs))
	if err != nil {
		return t, err
	}
	return t, ReceiptError(t)
}

// Call calls method of contract and waits for the receipt. A failed call
// is a *CallFailedError, returned with the record.
func (c *Client) Call(ctx context.Context, contract common.Address, method string, args any) (*api.Tx, error) {
	t, err := c.SubmitAndWait(ctx, CallOp(contract, method, args))
	if err != nil {
		return t, err
	}
	return t, ReceiptError(t)
}

// SendRawTx posts one transaction already in its JSON wire form. Load
// generators encode ahead of time with it so that sending costs no CPU.
func (c *Client) SendRawTx(ctx context.Context, body []byte) (*api.Tx, error) {
	var out api.Tx
	if _, err := c.do(ctx, request{method: http.MethodPost, path: api.PathTxs, body: body}, &out); err != nil {
		return nil, fmt.Errorf("submit: %w", err)
	}
	return &out, nil
}

// SendRawTxs posts a JSON array of transactions in wire form as one batch.
func (c *Client) SendRawTxs(ctx context.Context, body []byte) ([]api.BatchItem, error) {
	var out []api.BatchItem
	if _, err := c.do(ctx, request{method: http.MethodPost, path: api.PathTxsBatch, body: body}, &out); err != nil {
		return nil, fmt.Errorf("submit batch: %w", err)
	}
	return out, nil
}
