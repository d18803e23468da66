// Package build compiles Go contracts to Wasm modules with the standard
// toolchain, exactly as docs/abi.md prescribes:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath
//
// It guarantees that a failed build is reported as an *Error carrying the
// compiler's output. It never modifies the source tree or go.mod, and never
// downloads anything the go command would not.
package build
