// Package build compiles Go contracts to Wasm modules with the standard
// toolchain, exactly as docs/abi.md prescribes:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath
//
// and embeds each contract's manifest (docs/abi.md, "Manifest") as the
// module's mesh.manifest custom section. The manifest is generated from
// the Go types the contract registers (contract.Method, contract.Event,
// contract.State): the package is run natively once with one extra file,
// supplied through the go command's -overlay, whose init writes
// contract.BuildManifest's document and exits before main. Running the
// package natively, rather than asking the Wasm module through a reserved
// method, keeps the schema generator (reflection over every registered
// type) out of every module and out of the deploy path, and needs no Wasm
// runtime at build time. A package that does not depend on the contract SDK
// gets no manifest.
//
// It guarantees that a failed build is reported as an *Error carrying the
// compiler's or the native run's output, that the output file is written
// only when the whole build succeeded, and that an embedded manifest
// parses with manifest.Parse. It never modifies the source tree or go.mod,
// and never downloads anything the go command would not.
package build
