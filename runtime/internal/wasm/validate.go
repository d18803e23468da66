package wasm

import (
	"sort"
	"strconv"
	"strings"
)

// Limits bound what a module may declare. A zero field allows none of that
// item (MaxTables 0 forbids tables); DefaultLimits gives the documented
// defaults.
type Limits struct {
	MaxCodeBytes   int
	MaxMemoryPages uint32
	MaxTables      int
	MaxTableSize   uint32
	MaxFunctions   int // defined functions (imports are counted by MaxImports)
	MaxGlobals     int
	MaxImports     int
}

// DefaultLimits returns the limits documented in docs/abi.md.
func DefaultLimits() Limits {
	return Limits{
		MaxCodeBytes:   8 << 20,
		MaxMemoryPages: 512,
		MaxTables:      1,
		MaxTableSize:   65536,
		MaxFunctions:   100000,
		MaxGlobals:     1024,
		MaxImports:     256,
	}
}

// ImportKey names an import.
type ImportKey struct{ Module, Name string }

// Policy is what a deployed module must satisfy and how it is instrumented.
type Policy struct {
	Limits Limits
	// Imports are the only function imports allowed, with their exact
	// types. Imported memories, tables and globals are always forbidden.
	Imports map[ImportKey]FuncType
	// RequiredExports are functions the module must export with exactly
	// these types. The memory export "memory" is always required.
	RequiredExports map[string]FuncType
	// MaxCallDepth is the deepest nesting of wasm frames allowed; entering
	// frame MaxCallDepth+1 traps. Must be positive.
	MaxCallDepth uint32
	// StartGas is the initial value of the gas counter, and so the budget
	// of a start function, which the engine runs during instantiation
	// before the host can set the counter. It is irrelevant to modules
	// without a start section (Go reactors use _initialize instead).
	StartGas int64
	// NoMetering leaves gas out of the instrumentation: the module keeps
	// its shape (the gas and depth globals, the depth limit, NaN
	// canonicalisation, the exported globals) but nothing is charged or
	// checked, so the counter never moves. It exists so that benchmarks
	// can measure what metering costs; a node must never use it, because
	// unmetered code can run forever.
	NoMetering bool
}

// Names the instrumented module exports; original exports may not use them.
const (
	GasGlobalName      = "mesh_gas"
	DepthGlobalName    = "mesh_depth"
	RefusedGlobalName  = "mesh_grow_refused"
	StartExportName    = "mesh_start"
	globalExportPrefix = "mesh_g"
	memoryExportName   = "memory"
	initializeExport   = "_initialize"
)

// maxLocals bounds locals per function (params included) so a hostile
// declaration cannot make an engine allocate gigantic frames.
const maxLocals = 50000

func isReservedExport(name string) bool {
	switch name {
	case GasGlobalName, DepthGlobalName, RefusedGlobalName, StartExportName:
		return true
	}
	rest, ok := strings.CutPrefix(name, globalExportPrefix)
	if !ok || rest == "" {
		return false
	}
	_, err := strconv.ParseUint(rest, 10, 32)
	return err == nil
}

// validate checks everything about m except function bodies, which the
// instrumenter decodes and checks as it rewrites them.
func validate(m *Module, p *Policy) error {
	lim := p.Limits
	if len(m.Imports) > lim.MaxImports {
		return errorf(KindLimit, "%d imports exceed the limit of %d", len(m.Imports), lim.MaxImports)
	}
	for i := range m.Imports {
		im := &m.Imports[i]
		if im.Kind != ExternFunc {
			return errorf(KindForbiddenImport, "import %q.%q is a %s; only function imports are allowed", im.Module, im.Name, im.Kind)
		}
		want, ok := p.Imports[ImportKey{im.Module, im.Name}]
		if !ok {
			return errorf(KindForbiddenImport, "import %q.%q is not provided by the host", im.Module, im.Name)
		}
		if uint64(im.TypeIndex) >= uint64(len(m.Types)) {
			return malformed("import %q.%q has type index %d out of range (%d types)", im.Module, im.Name, im.TypeIndex, len(m.Types))
		}
		if got := m.Types[im.TypeIndex]; !got.Equal(want) {
			return errorf(KindForbiddenImport, "import %q.%q has type %s, want %s", im.Module, im.Name, got, want)
		}
	}
	if len(m.Funcs) > lim.MaxFunctions {
		return errorf(KindLimit, "%d functions exceed the limit of %d", len(m.Funcs), lim.MaxFunctions)
	}
	for i, ti := range m.Funcs {
		if uint64(ti) >= uint64(len(m.Types)) {
			return malformed("function %d has type index %d out of range (%d types)", m.NumImportedFuncs()+i, ti, len(m.Types))
		}
	}
	if len(m.Globals) > lim.MaxGlobals {
		return errorf(KindLimit, "%d globals exceed the limit of %d", len(m.Globals), lim.MaxGlobals)
	}
	if len(m.Tables) > lim.MaxTables {
		return errorf(KindLimit, "%d tables exceed the limit of %d", len(m.Tables), lim.MaxTables)
	}
	for i, t := range m.Tables {
		if t.Min > lim.MaxTableSize {
			return errorf(KindLimit, "table %d minimum size %d exceeds the limit of %d", i, t.Min, lim.MaxTableSize)
		}
		if t.HasMax && t.Max > lim.MaxTableSize {
			return errorf(KindLimit, "table %d maximum size %d exceeds the limit of %d", i, t.Max, lim.MaxTableSize)
		}
	}
	switch {
	case len(m.Memories) == 0:
		return errorf(KindMissingExport, "module defines no memory; it must define one and export it as %q", memoryExportName)
	case len(m.Memories) > 1:
		return errorf(KindForbiddenFeature, "module defines %d memories (multi-memory); exactly one is allowed", len(m.Memories))
	}
	if mem := m.Memories[0]; mem.Min > lim.MaxMemoryPages {
		return errorf(KindLimit, "memory minimum of %d pages exceeds the limit of %d", mem.Min, lim.MaxMemoryPages)
	}
	return validateExports(m, p)
}

func validateExports(m *Module, p *Policy) error {
	byName := make(map[string]*Export, len(m.Exports))
	for i := range m.Exports {
		e := &m.Exports[i]
		if isReservedExport(e.Name) {
			return errorf(KindForbiddenFeature, "export name %q is reserved for instrumentation", e.Name)
		}
		if _, dup := byName[e.Name]; dup {
			return malformed("export name %q is duplicated", e.Name)
		}
		byName[e.Name] = e
	}
	if e, ok := byName[memoryExportName]; !ok {
		return errorf(KindMissingExport, "no export named %q", memoryExportName)
	} else if e.Kind != ExternMemory || e.Index != 0 {
		return errorf(KindMissingExport, "export %q is a %s %d, want memory 0", memoryExportName, e.Kind, e.Index)
	}
	// Sorted so the first reported problem does not depend on map order.
	names := make([]string, 0, len(p.RequiredExports))
	for name := range p.RequiredExports {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		want := p.RequiredExports[name]
		e, ok := byName[name]
		if !ok {
			return errorf(KindMissingExport, "no export named %q", name)
		}
		if err := checkFuncExport(m, e, want); err != nil {
			return err
		}
	}
	if e, ok := byName[initializeExport]; ok {
		if err := checkFuncExport(m, e, FuncType{}); err != nil {
			return err
		}
	}
	return nil
}

func checkFuncExport(m *Module, e *Export, want FuncType) error {
	if e.Kind != ExternFunc {
		return errorf(KindMissingExport, "export %q is a %s, want a function %s", e.Name, e.Kind, want)
	}
	got, ok := m.FuncTypeOf(e.Index)
	if !ok {
		return malformed("export %q names function %d, which does not exist", e.Name, e.Index)
	}
	if !got.Equal(want) {
		return errorf(KindMissingExport, "export %q has type %s, want %s", e.Name, got, want)
	}
	return nil
}
