package node

import (
	"context"
	"errors"

	"github.com/meshledger/meshledger/node/httpapi"
)

// The consensus view also serves the evidence behind the chain's headers
// (GET /v1/consensus/...), which clients verify with sdk/client/bft.
var _ httpapi.Consensus = consensusView{}

// ConsensusHeightOf is the consensus height whose block made the ledger
// block at height.
func (v consensusView) ConsensusHeightOf(height uint64) (uint64, error) {
	return v.n.ledger.ConsensusHeightOf(height)
}

// LightBlock is CometBFT's light block of a consensus height, in the
// encoding the API serves.
func (v consensusView) LightBlock(_ context.Context, height uint64) ([]byte, error) {
	if v.n.comet == nil {
		return nil, errors.New("consensus not started")
	}
	return v.n.comet.EncodedLightBlock(height)
}
