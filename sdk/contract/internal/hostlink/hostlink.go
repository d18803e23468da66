// Package hostlink is the seam between package contract and a host
// implemented in Go (the mock host of contracttest).
//
// Host mirrors the meshledger host imports of docs/abi.md one to one, so the
// SDK code that encodes and decodes buffers runs unchanged in native tests.
// Under GOOS=wasip1 the SDK calls the real imports instead and this package
// is unused.
//
// It must never grow behaviour of its own: it only names the interface and
// the dispatch hook.
package hostlink

// Host is the host side of one call. Every method corresponds to the import
// of the same name in docs/abi.md. A method that hits a host limit never
// returns: it panics with a *Failure, which the SDK lets through.
type Host interface {
	MethodLen() int
	MethodRead(buf []byte)
	ArgsLen() int
	ArgsRead(buf []byte)
	Caller() [20]byte
	SelfAddress() [20]byte
	TxHash() [32]byte
	BlockHeight() uint64
	BlockTimeMs() int64
	GasLeft() uint64
	// StateGet returns -1 when key is absent, else the full value length n,
	// having copied min(n, len(buf)) bytes into buf.
	StateGet(key, buf []byte) int
	StateHas(key []byte) bool
	StateSet(key, value []byte)
	StateDelete(key []byte)
	// StateScan returns the encoded length n and copies the encoding into
	// buf only if n <= len(buf).
	StateScan(prefix, start []byte, limit int32, buf []byte) int
	Emit(name string, data []byte)
	// EmitTo is Emit with an audience: entries separated by "\n", empty
	// for Emit's audience.
	EmitTo(name string, data, audience []byte)
	// Participant returns -1 when addr is not a member, else the length n
	// of its encoding, copied into buf only if n <= len(buf).
	Participant(addr [20]byte, buf []byte) int
	SetReturn(data []byte)
	Abort(msg string)
	// Call runs method of the contract at to with args and at most gas
	// (0: all the caller may give) and returns the length n of the
	// outcome's encoding (u32 code_len, code, then the return data or the
	// failure message), copied into buf only if n <= len(buf).
	Call(to [20]byte, method string, args []byte, gas uint64, buf []byte) int
	// CallResult copies the last Call's outcome encoding into buf.
	CallResult(buf []byte)
}

// Failure is the panic value a Go host uses to end a call the way the real
// host traps it: the guest must not recover it.
type Failure struct {
	Code    string
	Message string
}

func (f *Failure) Error() string { return f.Code + ": " + f.Message }

// Dispatch runs one call of the registered contract against h and returns
// the mesh_call status. Package contract sets it during its initialisation,
// before any package importing contract can run, and never changes it.
var Dispatch func(h Host) int32
