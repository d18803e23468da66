package cometbft

import (
	"errors"
	"fmt"
	"math"

	"github.com/meshledger/meshledger/ledger"
)

// EncodedLightBlock is LightBlock in the encoding the HTTP API serves
// (GET /v1/consensus/...): CometBFT's tendermint.types.LightBlock in
// protobuf, which a client decodes with CometBFT's own types
// (sdk/client/bft) and verifies without trusting this node. A height this
// node does not hold is an error wrapping both ErrNoBlock and
// ledger.ErrNotFound, the API's 404.
func (n *Node) EncodedLightBlock(height uint64) ([]byte, error) {
	if height > math.MaxInt64 {
		return nil, fmt.Errorf("%w: %w: consensus height %d", ErrNoBlock, ledger.ErrNotFound, height)
	}
	lb, err := n.LightBlock(int64(height))
	if err != nil {
		if errors.Is(err, ErrNoBlock) {
			return nil, fmt.Errorf("%w: %w", ledger.ErrNotFound, err)
		}
		return nil, err
	}
	pb, err := lb.ToProto()
	if err != nil {
		return nil, fmt.Errorf("light block %d: %w", height, err)
	}
	b, err := pb.Marshal()
	if err != nil {
		return nil, fmt.Errorf("encode light block %d: %w", height, err)
	}
	return b, nil
}
