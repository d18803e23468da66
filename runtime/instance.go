package runtime

import (
	"context"
	"fmt"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// snapshot is a module's state right after _initialize: the state every
// call starts from.
type snapshot struct {
	mem     []byte   // linear memory contents
	globals []uint64 // values of meta.Globals, in order
	image   *snapshotImage
}

// instance is one instantiated copy of a module, used by one call at a
// time and returned to the snapshot after each.
type instance struct {
	mod     api.Module
	call    api.Function
	mem     api.Memory
	gas     api.MutableGlobal
	depth   api.MutableGlobal
	globals []api.MutableGlobal
	cow     *cowMemory // nil unless copy-on-write isolation
	cs      *callState
	stack   [1]uint64
}

var instanceConfig = wazero.NewModuleConfig().WithName("").WithStartFunctions()

// instantiate creates an instance in its declared initial state, for
// restore to bring to the snapshot. The start function, which the
// instrumented module exports instead of running, is not called: the
// snapshot already holds what it did.
func (m *Module) instantiate(ctx context.Context, cow bool) (*instance, error) {
	inst := &instance{cs: newCallState(&m.rt.cfg.limits)}
	inst.cs.begin(ctx, Env{ReadOnly: true, GasLimit: m.rt.cfg.initGas}, "", nil, nil)
	defer inst.cs.end()
	return m.instantiateWith(inst.cs, inst, cow)
}

// instantiateWith instantiates into inst. ctx must carry inst.cs, which
// host functions called by a start function use.
func (m *Module) instantiateWith(ctx context.Context, inst *instance, cow bool) (*instance, error) {
	var err error
	limit := uint64(m.meta.MaxMemoryPages) * wasmPageSize
	if limit == 0 {
		limit = uint64(m.rt.cfg.limits.MaxMemoryPages) * wasmPageSize
	}
	// wazero's own page limit is the Wasm maximum, so that every grow past
	// ours reaches this allocator, which refuses it and records that it
	// did: the call's failure is then memory_limit rather than a bare trap.
	ctx = experimental.WithMemoryAllocator(ctx, experimental.MemoryAllocatorFunc(func(capBytes, maxBytes uint64) experimental.LinearMemory {
		maxBytes = min(maxBytes, limit)
		lm := &limitedMemory{limit: maxBytes, refused: &inst.cs.memRefused}
		if cow {
			if mem, err := newCoWMemory(maxBytes); err == nil {
				inst.cow = mem
				lm.LinearMemory = mem
				return lm
			}
			// Fall back to an ordinary buffer; this instance then resets
			// by copying.
		}
		lm.LinearMemory = &heapMemory{buf: make([]byte, 0, min(capBytes, maxBytes)), max: maxBytes}
		return lm
	}))
	mod, err := m.rt.wz.InstantiateModule(ctx, m.compiled, instanceConfig)
	if err != nil {
		inst.cow.freeIfSet()
		return nil, fmt.Errorf("runtime: instantiate: %w", err)
	}
	inst.mod = mod
	inst.mem = mod.ExportedMemory("memory")
	inst.call = mod.ExportedFunction(exportCall)
	if inst.mem == nil || inst.call == nil {
		mod.Close(ctx)
		return nil, fmt.Errorf("runtime: instance lacks memory or %s", exportCall)
	}
	inst.cs.mem = inst.mem
	if m.meta.GasGlobal != "" {
		if inst.gas, err = mutableGlobal(mod, m.meta.GasGlobal); err != nil {
			mod.Close(ctx)
			return nil, err
		}
		if inst.depth, err = mutableGlobal(mod, m.meta.DepthGlobal); err != nil {
			mod.Close(ctx)
			return nil, err
		}
		inst.cs.gas = inst.gas
	}
	inst.globals = make([]api.MutableGlobal, len(m.meta.Globals))
	for i, name := range m.meta.Globals {
		if inst.globals[i], err = mutableGlobal(mod, name); err != nil {
			mod.Close(ctx)
			return nil, err
		}
	}
	return inst, nil
}

func mutableGlobal(mod api.Module, name string) (api.MutableGlobal, error) {
	g, ok := mod.ExportedGlobal(name).(api.MutableGlobal)
	if !ok {
		return nil, fmt.Errorf("runtime: instrumented module lacks mutable global %q", name)
	}
	return g, nil
}

// restore brings a fresh instance to the snapshot.
func (inst *instance) restore(snap *snapshot) error {
	pages := uint32(len(snap.mem) / 65536)
	if cur := inst.mem.Size() / 65536; cur < pages {
		if _, ok := inst.mem.Grow(pages - cur); !ok {
			return fmt.Errorf("runtime: grow instance memory to %d pages", pages)
		}
	} else if cur > pages {
		return fmt.Errorf("runtime: instance memory of %d pages exceeds snapshot of %d", cur, pages)
	}
	if inst.cow != nil {
		if err := inst.cow.mapImage(snap.image); err != nil {
			return err
		}
	} else {
		buf, _ := inst.mem.Read(0, inst.mem.Size())
		copy(buf, snap.mem)
	}
	inst.restoreGlobals(snap)
	return nil
}

func (inst *instance) restoreGlobals(snap *snapshot) {
	for i, g := range inst.globals {
		g.Set(snap.globals[i])
	}
}

// reset returns a used instance to the snapshot. It reports false when the
// instance cannot be reused (its memory grew, which Wasm cannot undo).
func (inst *instance) reset(snap *snapshot) (bool, error) {
	if inst.mem.Size() != uint32(len(snap.mem)) {
		return false, nil
	}
	if inst.cow != nil {
		if err := inst.cow.reset(snap.mem); err != nil {
			return false, err
		}
	} else {
		buf, _ := inst.mem.Read(0, inst.mem.Size())
		copy(buf, snap.mem)
	}
	inst.restoreGlobals(snap)
	return true, nil
}

func (inst *instance) close(ctx context.Context) {
	inst.mod.Close(ctx)
	// wazero frees the linear memory through LinearMemory.Free.
}

// setSnapshot makes snap the state every call of m starts from.
func (m *moduleCore) setSnapshot(snap *snapshot) error {
	if m.cow {
		img, err := newSnapshotImage(snap.mem)
		if err != nil {
			return err
		}
		snap.image = img
	}
	m.snap = snap
	return nil
}

// takeSnapshot records the instance's current memory and globals.
func (inst *instance) takeSnapshot() *snapshot {
	buf, _ := inst.mem.Read(0, inst.mem.Size())
	snap := &snapshot{mem: append([]byte(nil), buf...), globals: make([]uint64, len(inst.globals))}
	for i, g := range inst.globals {
		snap.globals[i] = g.Get()
	}
	return snap
}

// limitedMemory refuses to grow a linear memory past limit and records
// each refusal in the call state.
type limitedMemory struct {
	experimental.LinearMemory
	limit   uint64
	refused *bool
}

func (l *limitedMemory) Reallocate(size uint64) []byte {
	if size > l.limit {
		*l.refused = true
		return nil
	}
	return l.LinearMemory.Reallocate(size)
}

// heapMemory is a linear memory on the Go heap, growing up to max.
type heapMemory struct {
	buf []byte
	max uint64
}

func (h *heapMemory) Reallocate(size uint64) []byte {
	if size > h.max {
		return nil
	}
	if size > uint64(cap(h.buf)) {
		grown := make([]byte, size, min(max(size, 2*uint64(cap(h.buf))), h.max))
		copy(grown, h.buf)
		h.buf = grown
	}
	h.buf = h.buf[:size]
	return h.buf
}

func (h *heapMemory) Free() { h.buf = nil }

func (m *cowMemory) freeIfSet() {
	if m != nil {
		m.Free()
	}
}
