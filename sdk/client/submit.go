package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/sdk/api"
)

// SubmitOption changes what Submit waits for. Options are plain values:
// the same option may be passed to any number of submissions.
type SubmitOption func(*submitConfig)

type submitConfig struct {
	wait bool
}

// Wait makes Submit return only once the transaction is committed or
// rejected (see WaitTx), with its full record, instead of as soon as the
// node has admitted it. A committed call that failed is not a Go error:
// its status is in the receipt, and ReceiptError turns it into one for
// callers that want to treat it so.
func Wait() SubmitOption { return func(c *submitConfig) { c.wait = true } }

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

// Submit signs op with the client's key and the next nonce and sends it
// (POST /v1/txs). It is the client's one way to send a transaction it
// signs; SubmitRaw sends transactions signed elsewhere.
//
// Without options it returns once the node has admitted the transaction:
// the answer carries its hash and status (pending). With Wait it returns
// the committed record. Any number of goroutines may submit at once:
// nonces are handed out without gaps or repeats.
func (c *Client) Submit(ctx context.Context, op Op, opts ...SubmitOption) (*api.Tx, error) {
	var cfg submitConfig
	for _, o := range opts {
		o(&cfg)
	}
	admitted, err := c.submitSigned(ctx, op)
	if err != nil || !cfg.wait {
		return admitted, err
	}
	return c.WaitTx(ctx, admitted.Hash)
}

// submitSigned signs op with the next nonce and sends it until the node
// admits it, re-reading the nonce when another submitter moved it.
func (c *Client) submitSigned(ctx context.Context, op Op) (*api.Tx, error) {
	if c.key == nil {
		return nil, ErrNoKey
	}
	chainID, err := c.ChainID(ctx)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		var admitted *api.Tx
		var sendErr error
		err := c.seq.with(ctx, c.pendingNonce, func(next uint64) (bool, bool) {
			var signed *tx.Tx
			signed, sendErr = op.Sign(c.key, chainID, next, c.gasLimit)
			if sendErr != nil {
				return false, false
			}
			admitted, sendErr = c.sendInWindow(ctx, signed)
			if sendErr == nil {
				return true, false
			}
			var ae *APIError
			// Refused by the node for a reason other than the nonce:
			// the nonce is still free. Anything else (a nonce conflict,
			// a lost connection) leaves the node's view unknown.
			return false, !errors.As(sendErr, &ae) || isNonceError(sendErr) || ae.Retryable()
		})
		if err != nil {
			return nil, err
		}
		if sendErr == nil {
			return admitted, nil
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
func (c *Client) sendInWindow(ctx context.Context, t *tx.Tx) (*api.Tx, error) {
	for try := 1; ; try++ {
		out, err := c.sendTx(ctx, t)
		if err == nil || !IsCode(err, string(api.CodeNonceTooHigh)) || try >= maxWindowWaits {
			return out, err
		}
		tm := time.NewTimer(c.retry.backoff(try, 0))
		select {
		case <-ctx.Done():
			tm.Stop()
			return nil, errors.Join(err, ctx.Err())
		case <-tm.C:
		}
	}
}

// sendTx posts one signed transaction and returns the node's admission.
func (c *Client) sendTx(ctx context.Context, t *tx.Tx) (*api.Tx, error) {
	b, err := json.Marshal(t)
	if err != nil {
		return nil, fmt.Errorf("submit %s: encode: %w", t.Hash().Hex(), err)
	}
	var out api.Tx
	// A signed transaction identifies its sender: no session needed.
	if _, err := c.do(ctx, request{method: http.MethodPost, path: api.PathTxs, body: b, anon: true}, &out); err != nil {
		return nil, fmt.Errorf("submit %s: %w", t.Hash().Hex(), err)
	}
	return &out, nil
}

// SubmitRaw posts transactions signed elsewhere, in their JSON wire form
// (tx.Tx.EncodeJSON), byte for byte: load generators sign and
// encode ahead of time so that sending costs no CPU. A JSON object is one
// transaction (POST /v1/txs); a JSON array is a batch (POST
// /v1/txs/batch) of at most api.MaxBatch. The answer has one item per
// transaction, in order.
//
// The returned error means the node refused (or never answered) the
// request as a whole, so nothing, or for an unanswered request anything,
// was admitted; a single transaction's refusal is such an error. Within a
// batch, each refused item carries its own Error, and the items after it
// are still decided on their own.
func (c *Client) SubmitRaw(ctx context.Context, body []byte) ([]api.BatchItem, error) {
	r := request{method: http.MethodPost, path: api.PathTxs, body: body, anon: true}
	if bytes.HasPrefix(bytes.TrimLeft(body, " \t\r\n"), []byte("[")) {
		r.path = api.PathTxsBatch
		var out []api.BatchItem
		if _, err := c.do(ctx, r, &out); err != nil {
			return nil, fmt.Errorf("submit batch: %w", err)
		}
		return out, nil
	}
	var out api.Tx
	status, err := c.do(ctx, r, &out)
	if err != nil {
		return nil, fmt.Errorf("submit: %w", err)
	}
	return []api.BatchItem{{Hash: out.Hash, Status: out.Status, HTTPStatus: status}}, nil
}
