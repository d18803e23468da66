package client

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/manifest"
)

// Manifest is GET /v1/contracts/{address}/manifest: the manifest of the
// code the contract runs, parsed and checked as the node checked it at
// deploy. A contract without one is an *api.Error with code not_found.
func (c *Client) Manifest(ctx context.Context, addr common.Address) (*manifest.Manifest, error) {
	var raw json.RawMessage
	if err := c.get(ctx, api.ManifestPath(addr.Hex()), nil, &raw); err != nil {
		return nil, err
	}
	m, err := manifest.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("client: manifest of %s: %w", addr, err)
	}
	return m, nil
}
