package bft

import (
	"fmt"

	"github.com/cometbft/cometbft/types"

	"github.com/meshledger/meshledger/sdk/client"
)

// Verification failures. Each wraps client.ErrVerify, so a caller that
// checks errors.Is(err, client.ErrVerify) treats them like any other
// verification failure.
var (
	// ErrMalformed: the light block does not decode, or fails CometBFT's
	// basic validation (missing parts, a commit of another height or
	// block, a validator set that does not hash to the header's).
	ErrMalformed = fmt.Errorf("%w: malformed light block", client.ErrVerify)
	// ErrWrongChain: the evidence is of another chain than the trusted.
	ErrWrongChain = fmt.Errorf("%w: evidence of another chain", client.ErrVerify)
	// ErrInsufficientPower: the commit's signatures hold no more than two
	// thirds of the voting power of the set that must sign it.
	ErrInsufficientPower = fmt.Errorf("%w: commit signed by too little voting power", client.ErrVerify)
	// ErrBadCommit: the commit does not verify for another reason: a
	// signature that does not verify, or signatures over another block.
	ErrBadCommit = fmt.Errorf("%w: commit does not verify", client.ErrVerify)
	// ErrAppHashMismatch: the committed header's app hash is not the
	// ledger header's hash.
	ErrAppHashMismatch = fmt.Errorf("%w: app hash is not the ledger header's hash", client.ErrVerify)
	// ErrUntrustedValidators: the header is signed by a validator set the
	// Verifier cannot reach from the set it trusts.
	ErrUntrustedValidators = fmt.Errorf("%w: validator set not trusted", client.ErrVerify)
)

// commitErr classifies a failure of CometBFT's commit verification.
func commitErr(height int64, err error) error {
	if types.IsErrNotEnoughVotingPowerSigned(err) {
		return fmt.Errorf("%w: height %d: %v", ErrInsufficientPower, height, err)
	}
	return fmt.Errorf("%w: height %d: %v", ErrBadCommit, height, err)
}
