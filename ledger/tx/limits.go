package tx

import "math"

// Limits bounds the size of a transaction. A zero field means "use the
// default" (see DefaultLimits), so the zero Limits is safe to use.
type Limits struct {
	// MaxEnvelopeBytes bounds the whole encoding being decoded: the JSON
	// document, or the RLP bytes from a block.
	MaxEnvelopeBytes int
	// MaxCodeBytes bounds the Wasm code carried by a deploy.
	MaxCodeBytes int
	// MaxArgsBytes bounds a call's args and a deploy's initArgs.
	MaxArgsBytes int
	// MaxNameBytes bounds a call's method and a deploy's name (UTF-8 bytes).
	MaxNameBytes int
}

// Default limits. The code limit matches the runtime's default code size
// limit; the envelope leaves room for hex-encoded code and arguments.
const (
	DefaultMaxCodeBytes     = 8 << 20
	DefaultMaxArgsBytes     = 256 << 10
	DefaultMaxNameBytes     = 128
	DefaultMaxEnvelopeBytes = 2*DefaultMaxCodeBytes + 2*DefaultMaxArgsBytes + 64<<10
)

// DefaultLimits returns the limits used when a field of Limits is zero.
func DefaultLimits() Limits {
	return Limits{
		MaxEnvelopeBytes: DefaultMaxEnvelopeBytes,
		MaxCodeBytes:     DefaultMaxCodeBytes,
		MaxArgsBytes:     DefaultMaxArgsBytes,
		MaxNameBytes:     DefaultMaxNameBytes,
	}
}

// noLimits is used where only well-formedness matters (signing): the node
// that receives the transaction applies its own limits.
var noLimits = Limits{math.MaxInt, math.MaxInt, math.MaxInt, math.MaxInt}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxEnvelopeBytes <= 0 {
		l.MaxEnvelopeBytes = d.MaxEnvelopeBytes
	}
	if l.MaxCodeBytes <= 0 {
		l.MaxCodeBytes = d.MaxCodeBytes
	}
	if l.MaxArgsBytes <= 0 {
		l.MaxArgsBytes = d.MaxArgsBytes
	}
	if l.MaxNameBytes <= 0 {
		l.MaxNameBytes = d.MaxNameBytes
	}
	return l
}

func checkLimit(field string, size, limit int) error {
	if size > limit {
		return &LimitError{Field: field, Size: size, Limit: limit}
	}
	return nil
}
