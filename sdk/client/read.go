package client

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/url"
	"strconv"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/meshledger/meshledger/sdk/api"
)

// Tx is GET /v1/txs/{hash}: a pending, committed or rejected transaction.
// An unknown hash is an *APIError with Status 404.
func (c *Client) Tx(ctx context.Context, hash common.Hash) (*api.Tx, error) {
	var t api.Tx
	return &t, c.get(ctx, api.PathTxs+"/"+hash.Hex(), nil, &t)
}

// Block is GET /v1/blocks/{height}.
func (c *Client) Block(ctx context.Context, height uint64) (*api.Block, error) {
	var b api.Block
	return &b, c.get(ctx, api.PathBlocks+strconv.FormatUint(height, 10), nil, &b)
}

// LatestBlock is GET /v1/blocks/latest.
func (c *Client) LatestBlock(ctx context.Context) (*api.Block, error) {
	var b api.Block
	return &b, c.get(ctx, api.PathBlocks+"latest", nil, &b)
}

// Contracts iterates over every deployed contract in address order,
// following GET /v1/contracts page by page as the loop asks for more (by
// default api.MaxContractsLimit per page; see PageSize). A failed request
// is yielded as the error of a last item; stopping the loop early sends
// no further requests.
func (c *Client) Contracts(ctx context.Context, opts ...PageOption) iter.Seq2[api.Contract, error] {
	size := pageSize(api.MaxContractsLimit, opts)
	return paged(func(cursor string) ([]api.Contract, string, error) {
		var page api.Contracts
		if err := c.get(ctx, api.PathContracts, pageQuery(cursor, size), &page); err != nil {
			return nil, "", err
		}
		return page.Contracts, page.NextCursor, nil
	})
}

// Contract is GET /v1/contracts/{address}.
func (c *Client) Contract(ctx context.Context, addr common.Address) (*api.Contract, error) {
	var ct api.Contract
	return &ct, c.get(ctx, api.PathContracts+"/"+addr.Hex(), nil, &ct)
}

// keyPath returns the path and query that name a contract key. Keys are
// arbitrary bytes, so they always travel as key_hex; the path segment is
// then only a placeholder the server ignores.
func keyQuery(key []byte, q url.Values) url.Values {
	if q == nil {
		q = url.Values{}
	}
	q.Set(api.ParamKeyHex, hexutil.Encode(key))
	return q
}

// State is GET /v1/contracts/{address}/state/{key}: the value of key at
// height (latest when height is nil), with its proof. Check the proof with
// VerifyState before trusting the value.
func (c *Client) State(ctx context.Context, contract common.Address, key []byte, height *uint64) (*api.State, error) {
	q := url.Values{}
	if height != nil {
		q.Set(api.ParamHeight, strconv.FormatUint(*height, 10))
	}
	var s api.State
	return &s, c.get(ctx, api.StatePath(contract.Hex(), "_"), keyQuery(key, q), &s)
}

// History iterates over the changes of one key, oldest first, following
// GET /v1/contracts/{address}/history/{key} page by page as the loop asks
// for more (by default api.MaxHistoryLimit per page; see PageSize). A
// failed request is yielded as the error of a last item.
func (c *Client) History(ctx context.Context, contract common.Address, key []byte, opts ...PageOption) iter.Seq2[api.HistoryEntry, error] {
	size := pageSize(api.MaxHistoryLimit, opts)
	return paged(func(cursor string) ([]api.HistoryEntry, string, error) {
		var h api.History
		if err := c.get(ctx, api.HistoryPath(contract.Hex(), "_"), keyQuery(key, pageQuery(cursor, size)), &h); err != nil {
			return nil, "", err
		}
		return h.Entries, h.NextCursor, nil
	})
}

// Query runs method read-only at height (latest when nil). A failed call
// is not an error: its code is in the response's Status.
func (c *Client) Query(ctx context.Context, contract common.Address, method string, args any, height *uint64) (*api.QueryResponse, error) {
	raw, err := encodeArgs(args)
	if err != nil {
		return nil, err
	}
	var q api.QueryResponse
	_, err = c.post(ctx, api.PathContracts+"/"+contract.Hex()+"/query", nil,
		api.QueryRequest{Method: method, Args: raw, Height: height}, &q)
	return &q, err
}

// encodeArgs turns method arguments into their JSON bytes: raw JSON
// (json.RawMessage, []byte or a string that is valid JSON) is sent as is,
// anything else is marshalled; nil means no arguments.
func encodeArgs(args any) (json.RawMessage, error) {
	switch a := args.(type) {
	case nil:
		return nil, nil
	case json.RawMessage:
		return checkJSON(a)
	case []byte:
		return checkJSON(a)
	}
	b, err := json.Marshal(args)
	if err != nil {
		return nil, fmt.Errorf("client: encode args: %w", err)
	}
	return b, nil
}

func checkJSON(b []byte) (json.RawMessage, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("client: args are not valid JSON: %.80q", b)
	}
	return json.RawMessage(b), nil
}
