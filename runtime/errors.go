package runtime

import (
	"errors"
	"fmt"

	"github.com/meshledger/meshledger/runtime/internal/wasm"
	"github.com/meshledger/meshledger/status"
)

// Deploy rejection codes: the machine-readable reason a module was
// rejected, a Code like a call's result (receipts and API errors carry
// it), under the names the runtime has always used.
const (
	DeployMalformed        = status.DeployMalformed
	DeployCodeTooLarge     = status.DeployCodeTooLarge
	DeployForbiddenImport  = status.DeployForbiddenImport
	DeployMissingExport    = status.DeployMissingExport
	DeployLimit            = status.DeployLimit
	DeployForbiddenFeature = status.DeployForbiddenFeature
	DeployInitOutOfGas     = status.DeployInitOutOfGas
	DeployInitFailed       = status.DeployInitFailed
)

// ErrEvicted reports a call of a Module that the runtime evicted to stay
// within its memory budget and could not reload: its disk cache entry is
// gone. Loading the code again (Runtime.Load) brings it back.
var ErrEvicted = errors.New("runtime: module evicted")

// DeployError reports a module that cannot be loaded because of what it
// contains. It is deterministic: every node rejects the same code with the
// same DeployError. Host failures (I/O, engine faults) are other errors.
type DeployError struct {
	Code Code // one of the Deploy* codes
	Msg  string
}

func (e *DeployError) Error() string { return fmt.Sprintf("deploy: %s: %s", e.Code, e.Msg) }

// deployErrorFrom converts the validator's rejection to a DeployError, or
// returns nil when err is not a rejection.
func deployErrorFrom(err error) *DeployError {
	var ve *wasm.ValidationError
	if !errors.As(err, &ve) {
		return nil
	}
	return &DeployError{Code: Code(ve.Kind), Msg: ve.Msg}
}
