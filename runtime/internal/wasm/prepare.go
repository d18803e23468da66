package wasm

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// InstrumentVersion identifies the instrumentation scheme. It changes
// whenever Prepare's output bytes change for the same input and policy, so
// caches of prepared or compiled modules must include it in their key.
const InstrumentVersion = 5

// GlobalExport is a mutable global of the original module, exported under
// Name so the host can snapshot and restore it.
type GlobalExport struct {
	Name string
	Type ValType
}

// Prepared is a validated, instrumented module.
type Prepared struct {
	Code []byte // instrumented module bytes
	// GasGlobal is the exported mutable i64 gas counter. A call whose
	// counter is below zero when it traps or returns ran out of gas.
	GasGlobal   string
	DepthGlobal string // exported mutable i32 call depth; > MaxCallDepth only after a call-depth trap
	// RefusedGlobal is the exported mutable i32 that a memory.grow past
	// MaxMemoryPages sets to 1 (the grow returns -1 without growing). The
	// host resets it before every call.
	RefusedGlobal string
	// Globals lists every mutable global of the original module in index
	// order, exported as "mesh_g<index>".
	Globals       []GlobalExport
	HasInitialize bool // exports "_initialize" () -> ()
	// HasStart reports that the module had a start function, which the
	// output exports as StartExportName instead of running it at
	// instantiation, so that the host runs it like any metered call and
	// can read the gas counter after it, even after a trap.
	HasStart       bool
	MinMemoryPages uint32
	// MaxMemoryPages is the smallest of the declared maximum (if any),
	// Policy.Limits.MaxMemoryPages and the Wasm maximum of 65,536 pages;
	// the instrumented memory.grow refuses to grow past it.
	MaxMemoryPages uint32
}

// ErrInvalidPolicy is returned (wrapped) when the Policy itself is unusable;
// it is a host configuration error, not a property of the module.
var ErrInvalidPolicy = errors.New("wasm: invalid policy")

// Prepare validates code against p and returns it instrumented for
// deterministic gas, call depth and NaN bits. A module Prepare rejects
// yields a *ValidationError. Prepare is a pure function of its inputs and
// safe for concurrent use.
func Prepare(code []byte, p Policy) (*Prepared, error) {
	return prepare(code, p, false)
}

// maxWasmPages is the most pages a 32-bit memory can have.
const maxWasmPages = 65536

// prepare is Prepare, or with reference set (tests only), Prepare with the
// plain gas schedule that the optimised one must match on every path.
func prepare(code []byte, p Policy, reference bool) (*Prepared, error) {
	if p.MaxCallDepth == 0 || p.MaxCallDepth > math.MaxInt32 {
		return nil, fmt.Errorf("%w: MaxCallDepth %d must be in [1, %d]", ErrInvalidPolicy, p.MaxCallDepth, math.MaxInt32)
	}
	if p.StartGas < 0 {
		return nil, fmt.Errorf("%w: StartGas %d is negative", ErrInvalidPolicy, p.StartGas)
	}
	if len(code) > p.Limits.MaxCodeBytes {
		return nil, errorf(KindCodeTooLarge, "module of %d bytes exceeds the limit of %d", len(code), p.Limits.MaxCodeBytes)
	}
	m, err := Decode(code)
	if err != nil {
		return nil, err
	}
	if err := validate(m, &p); err != nil {
		return nil, err
	}

	memLimit := min(p.Limits.MaxMemoryPages, maxWasmPages)
	if mem := m.Memories[0]; mem.HasMax() {
		memLimit = min(memLimit, mem.Max)
	}
	gasIdx := uint32(len(m.Globals))
	depthIdx := gasIdx + 1
	refusedIdx := gasIdx + 2
	in := newInstrumenter(m, gasIdx, depthIdx, refusedIdx, p.MaxCallDepth, memLimit, !p.NoMetering)
	in.reference = reference
	codePayload, err := in.codeSection()
	if err != nil {
		return nil, err
	}

	globals := make([]Global, 0, len(m.Globals)+2)
	globals = append(globals, m.Globals...)
	globals = append(globals,
		Global{GlobalType: GlobalType{Type: I64, Mutable: true}, Init: appendSLEB([]byte{opI64Const}, p.StartGas)},
		Global{GlobalType: GlobalType{Type: I32, Mutable: true}, Init: []byte{opI32Const, 0}},
		Global{GlobalType: GlobalType{Type: I32, Mutable: true}, Init: []byte{opI32Const, 0}},
	)
	for i := len(m.Globals); i < len(globals); i++ {
		globals[i].Init = append(globals[i].Init, opEnd)
	}

	prep := &Prepared{
		GasGlobal:      GasGlobalName,
		DepthGlobal:    DepthGlobalName,
		RefusedGlobal:  RefusedGlobalName,
		HasStart:       m.HasStart,
		MinMemoryPages: m.Memories[0].Min,
		MaxMemoryPages: memLimit,
	}
	exports := make([]Export, 0, len(m.Exports)+4+len(m.Globals))
	exports = append(exports, m.Exports...)
	exports = append(exports,
		Export{Name: GasGlobalName, Kind: ExternGlobal, Index: gasIdx},
		Export{Name: DepthGlobalName, Kind: ExternGlobal, Index: depthIdx},
		Export{Name: RefusedGlobalName, Kind: ExternGlobal, Index: refusedIdx},
	)
	if m.HasStart {
		exports = append(exports, Export{Name: StartExportName, Kind: ExternFunc, Index: m.Start})
	}
	for i, g := range m.Globals {
		if !g.Mutable {
			continue
		}
		name := globalExportPrefix + strconv.Itoa(i)
		exports = append(exports, Export{Name: name, Kind: ExternGlobal, Index: uint32(i)})
		prep.Globals = append(prep.Globals, GlobalExport{Name: name, Type: g.Type})
	}
	for _, e := range m.Exports {
		if e.Name == initializeExport {
			prep.HasInitialize = true
		}
	}

	replaced := map[byte][]byte{
		secGlobal: encodeGlobals(globals),
		secExport: encodeExports(exports),
		secCode:   codePayload,
	}
	if len(in.types) != len(m.Types) {
		replaced[secType] = encodeTypes(in.types)
	}
	if len(m.Codes) == 0 {
		delete(replaced, secCode)
	}
	if m.HasStart {
		replaced[secStart] = nil // dropped: exported above instead
	}
	prep.Code = assemble(m.Sections, replaced)
	return prep, nil
}

// canonicalOrder lists non-custom section ids in the order the binary
// format requires.
var canonicalOrder = [...]byte{
	secType, secImport, secFunction, secTable, secMemory, secGlobal, secExport,
	secStart, secElement, secDataCount, secCode, secData,
}

// assemble writes the output module: original sections except custom ones,
// with replaced payloads swapped in (or inserted where the original had no
// such section). Custom sections are dropped: nothing downstream needs
// them, and a malformed custom section could otherwise fail compilation
// after validation passed.
func assemble(orig []Section, replaced map[byte][]byte) []byte {
	var byID [secDataCount + 1]*Section
	for i := range orig {
		if orig[i].ID != secCustom {
			byID[orig[i].ID] = &orig[i]
		}
	}
	out := &Module{}
	for _, id := range canonicalOrder {
		if p, ok := replaced[id]; ok {
			if p != nil {
				out.Sections = append(out.Sections, Section{ID: id, Payload: p})
			}
		} else if s := byID[id]; s != nil {
			out.Sections = append(out.Sections, *s)
		}
	}
	return out.Encode()
}
