package client

import (
	"context"
	"strconv"

	"github.com/meshledger/meshledger/sdk/api"
)

// ConsensusCommit is GET /v1/consensus/commits/{ledgerHeight}: on a
// CometBFT chain, the light block whose validators' commit signs the
// ledger block's hash. Right after the block commits, the node may answer
// 404 height_unavailable for a moment: the header that vouches for it
// awaits its own commit. sdk/client/bft verifies what it returns.
func (c *Client) ConsensusCommit(ctx context.Context, ledgerHeight uint64) (*api.ConsensusCommit, error) {
	var out api.ConsensusCommit
	return &out, c.get(ctx, api.PathConsensusCommits+strconv.FormatUint(ledgerHeight, 10), nil, &out)
}

// ConsensusLightBlock is GET /v1/consensus/light-blocks/{consensusHeight}:
// CometBFT's light block of a height, with which sdk/client/bft follows
// validator-set changes.
func (c *Client) ConsensusLightBlock(ctx context.Context, consensusHeight uint64) (*api.ConsensusLightBlock, error) {
	var out api.ConsensusLightBlock
	return &out, c.get(ctx, api.PathConsensusLightBlocks+strconv.FormatUint(consensusHeight, 10), nil, &out)
}
