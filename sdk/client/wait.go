package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/status"
)

// WaitTx polls GET /v1/txs/{hash} until the transaction is committed or
// rejected, or ctx ends. It waits for any transaction, whoever sent it;
// Submit with Wait uses it for its own. A committed transaction is
// returned even when its call failed: check Receipt.Status, or use
// ReceiptError. A rejected one is returned with its error as an *APIError.
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
	Status  status.Code
	Message string
}

func (e *CallFailedError) Error() string {
	if e.TxHash == (common.Hash{}) {
		return fmt.Sprintf("call failed: %s: %s", e.Status, e.Message)
	}
	return fmt.Sprintf("transaction %s failed: %s: %s", e.TxHash.Hex(), e.Status, e.Message)
}

// ReceiptError returns a *CallFailedError if t's receipt reports a failed
// call, nil if it succeeded (or t has no receipt yet). A failed call is an
// outcome the ledger recorded, not a failure of the client or the node, so
// Submit returns it in the record; this turns it into an error for callers
// that treat it as one.
func ReceiptError(t *api.Tx) error {
	if t == nil || t.Receipt == nil || t.Receipt.Status == "ok" {
		return nil
	}
	return &CallFailedError{TxHash: t.Hash, Status: t.Receipt.Status, Message: t.Receipt.Message}
}
