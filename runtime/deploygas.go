package runtime

import (
	"github.com/meshledger/meshledger/runtime/internal/wasm"
)

// Deploy gas schedule (docs/abi.md, "Gas"; docs/design.md, "Deploy gas").
// Loading a module (validation, instrumentation, compilation,
// instantiation and the snapshot of its memory) takes time that
// BenchmarkDeployGas fits to the module's shape: linear in its code
// bytes, functions, locals and control instructions, plus the square of
// each function's control instructions, which wazero's compiler is
// quadratic in. Each coefficient is that time at the reference rate of
// ordinary Wasm code (about 10 gas per ns), so that a deploy buys about as
// much time per gas as a call does.
const (
	deployGasBase          = 7_500_000 // a runtime, an instance, a snapshot: 0.75 ms
	deployGasPerByte       = 800
	deployGasPerFunc       = 200_000
	deployGasPerLocal      = 150
	deployGasPerBranch     = 280_000
	deployGasPerBranchPair = 60
	// deployGasPerPage prices the declared initial memory as memory.grow
	// prices a page: every instance maps it and the snapshot holds it.
	deployGasPerPage = 16_384
)

// DeployGas is the intrinsic gas of deploying code: what loading it costs
// before its init method runs, to be charged before any of that work is
// done. It is a pure function of the bytes, cheap next to loading them
// (one pass over the instructions). Code that does not decode is charged
// for what was measured before the error (at least its bytes and the
// base), and the error is returned beside that figure.
func DeployGas(code []byte) (uint64, error) {
	s, err := wasm.MeasureShape(code)
	return deployGasOf(s), err
}

func deployGasOf(s wasm.Shape) uint64 {
	g := wasm.SatAdd(deployGasBase, wasm.SatMul(uint64(s.CodeBytes), deployGasPerByte))
	g = wasm.SatAdd(g, wasm.SatMul(uint64(s.Functions), deployGasPerFunc))
	g = wasm.SatAdd(g, wasm.SatMul(s.Locals, deployGasPerLocal))
	g = wasm.SatAdd(g, wasm.SatMul(s.Branches, deployGasPerBranch))
	g = wasm.SatAdd(g, wasm.SatMul(s.BranchesSquared, deployGasPerBranchPair))
	return wasm.SatAdd(g, wasm.SatMul(uint64(s.MemoryPages), deployGasPerPage))
}
