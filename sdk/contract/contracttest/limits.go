package contracttest

// Host limits of docs/abi.md (runtime.Config defaults). The mock enforces
// them with the same codes as the real host.
const (
	MaxKeySize     = 1 << 10
	MaxValueSize   = 256 << 10
	MaxReturnSize  = 64 << 10
	MaxEvents      = 256
	MaxEventBytes  = 64 << 10 // names plus data, summed over one call
	MaxScanEntries = 1000
	MaxAudience    = 16 // entries of one event's audience
)

// Result codes as in runtime.Code; receipts carry these strings.
const (
	CodeOK             = "ok"
	CodeAborted        = "aborted"
	CodeError          = "error"
	CodeUnknownMethod  = "unknown_method"
	CodeBadArgs        = "bad_args"
	CodePanic          = "panic"
	CodeReadOnly       = "read_only"
	CodeReturnTooLarge = "return_too_large"
	CodeEventLimit     = "event_limit"
	CodeBadKey         = "bad_key"
	CodeValueTooLarge  = "value_too_large"
	CodeBadStatus      = "bad_status"
	CodeBadAudience    = "bad_audience"
)
