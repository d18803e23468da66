package runtime

import (
	"github.com/tetratelabs/wazero/api"

	"github.com/meshledger/meshledger/runtime/internal/wasm"
)

// policyFor is the deploy policy of cfg: the limits, the host imports with
// their exact types, and the mesh_call export.
func policyFor(cfg Config) wasm.Policy {
	l := cfg.limits
	imports := make(map[wasm.ImportKey]wasm.FuncType, len(meshledgerFuncs)+len(wasiFuncs))
	for _, set := range []struct {
		module string
		funcs  []hostFunc
	}{{hostModule, meshledgerFuncs}, {wasiModule, wasiFuncs}} {
		for _, f := range set.funcs {
			imports[wasm.ImportKey{Module: set.module, Name: f.name}] = wasm.FuncType{Params: valTypes(f.params), Results: valTypes(f.results)}
		}
	}
	startGas := int64(min(cfg.initGas, uint64(1<<63-1)))
	return wasm.Policy{
		Limits: wasm.Limits{
			MaxCodeBytes:   l.MaxCodeBytes,
			MaxMemoryPages: l.MaxMemoryPages,
			MaxTables:      l.MaxTables,
			MaxTableSize:   l.MaxTableSize,
			MaxFunctions:   l.MaxFunctions,
			MaxGlobals:     l.MaxGlobals,
			MaxImports:     l.MaxImports,
		},
		Imports:         imports,
		RequiredExports: map[string]wasm.FuncType{exportCall: {Results: []wasm.ValType{wasm.I32}}},
		MaxCallDepth:    l.MaxCallDepth,
		StartGas:        startGas,
		NoMetering:      cfg.unmetered,
	}
}

// valTypes converts wazero value types; both use the binary encoding.
func valTypes(ts []api.ValueType) []wasm.ValType {
	if len(ts) == 0 {
		return nil
	}
	out := make([]wasm.ValType, len(ts))
	for i, t := range ts {
		out[i] = wasm.ValType(t)
	}
	return out
}

func metaOf(p *wasm.Prepared) moduleMeta {
	m := moduleMeta{
		GasGlobal:      p.GasGlobal,
		DepthGlobal:    p.DepthGlobal,
		RefusedGlobal:  p.RefusedGlobal,
		HasInitialize:  p.HasInitialize,
		HasStart:       p.HasStart,
		MinMemoryPages: p.MinMemoryPages,
		MaxMemoryPages: p.MaxMemoryPages,
	}
	for _, g := range p.Globals {
		m.Globals = append(m.Globals, g.Name)
	}
	return m
}
