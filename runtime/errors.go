package runtime

import (
	"errors"
	"fmt"

	"github.com/meshledger/meshledger/runtime/internal/wasm"
)

// DeployCode is the machine-readable reason a module was rejected. Like
// Code it is stable: receipts and API errors carry it.
type DeployCode string

// Deploy rejection codes.
const (
	DeployMalformed        DeployCode = "malformed"
	DeployCodeTooLarge     DeployCode = "code_too_large"
	DeployForbiddenImport  DeployCode = "forbidden_import"
	DeployMissingExport    DeployCode = "missing_export"
	DeployLimit            DeployCode = "limit"
	DeployForbiddenFeature DeployCode = "forbidden_feature"
	DeployInitOutOfGas     DeployCode = "init_out_of_gas"
	DeployInitFailed       DeployCode = "init_failed"
)

// ErrEvicted reports a call of a Module that the runtime evicted to stay
// within its memory budget and could not reload: its disk cache entry is
// gone. Loading the code again (Runtime.Load) brings it back.
var ErrEvicted = errors.New("runtime: module evicted")

// DeployError reports a module that cannot be loaded because of what it
// contains. It is deterministic: every node rejects the same code with the
// same DeployError. Host failures (I/O, engine faults) are other errors.
type DeployError struct {
	Code DeployCode
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
	return &DeployError{Code: DeployCode(ve.Kind), Msg: ve.Msg}
}
