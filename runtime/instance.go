package runtime

import (
	"context"
	"fmt"
	goruntime "runtime"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// snapshot is a module's state right after _initialize: the state every
// call starts from.
type snapshot struct {
	// mem is the linear memory, mapped by allocMemory so that its zero
	// pages, most of a module's memory, take no memory; free unmaps it.
	mem      []byte
	globals  []uint64 // values of meta.Globals, in order
	image    *snapshotImage
	resident int64 // bytes of mem's non-zero blocks: what mem (and image) hold
	// nonZero marks the blocks (snapshotBlock) of mem that may be non-zero,
	// one bit each, so that nothing scans, and faults in, the zero ones.
	nonZero []byte
}

// free releases the snapshot's memory. Nothing may read it afterwards.
func (s *snapshot) free() {
	if s == nil {
		return
	}
	freeMemory(s.mem)
	s.mem = nil
	s.image.close()
	s.image = nil
}

// copyNonZero copies the blocks of the snapshot's memory that nonZero
// marks to dst, which must be zero and as long. Leaving the zero blocks
// alone leaves dst's pages there unmapped, and the marks spare reading
// (and faulting in) the snapshot's own zero blocks.
func (s *snapshot) copyNonZero(dst []byte) {
	for i := range (len(s.mem) + snapshotBlock - 1) / snapshotBlock {
		if blockSet(s.nonZero, i) {
			copy(memBlock(dst, i), memBlock(s.mem, i))
		}
	}
}

// copyBlocks copies the non-zero blocks of src among those overlapping
// [from, to) into the snapshot's zero memory and marks them.
func (s *snapshot) copyBlocks(src []byte, from, to int) {
	for i := from / snapshotBlock; i < (min(to, len(src))+snapshotBlock-1)/snapshotBlock; i++ {
		if b := memBlock(src, i); !blockSet(s.nonZero, i) && !isZero(b) {
			s.resident += int64(copy(memBlock(s.mem, i), b))
			s.nonZero[i/8] |= 1 << (i % 8)
		}
	}
}

// instance is one instantiated copy of a module, used by one call at a
// time and returned to the snapshot after each.
type instance struct {
	mod     api.Module
	call    api.Function
	mem     api.Memory
	gas     api.MutableGlobal
	depth   api.MutableGlobal
	refused api.MutableGlobal // set to 1 by a refused memory.grow
	globals []api.MutableGlobal
	cow     *cowMemory // nil unless copy-on-write isolation
	region  *cowMemory // the memory where it is a mapped region, else nil
	cs      *callState
	stack   [1]uint64
	// accounted is what the instance counts against the memory budget
	// while it is pooled.
	accounted int64
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
	// The instrumented memory.grow refuses any grow past the limit and
	// records the refusal, so the call's failure is then memory_limit
	// rather than a bare trap. This allocator refuses such grows too, as a
	// second line of defence, and records them the same way.
	ctx = experimental.WithMemoryAllocator(ctx, experimental.MemoryAllocatorFunc(func(capBytes, maxBytes uint64) experimental.LinearMemory {
		maxBytes = min(maxBytes, limit)
		lm := &limitedMemory{limit: maxBytes, refused: &inst.cs.memRefused}
		// A mapped region (where supported) holds only the pages the
		// instance touches and is unmapped when the instance closes;
		// without copy-on-write isolation it is ordinary memory.
		if mem, err := newCoWMemory(maxBytes); err == nil {
			inst.region = mem
			if cow {
				inst.cow = mem
			}
			lm.LinearMemory = mem
			return lm
		}
		// Fall back to a buffer on Go's heap; this instance then resets
		// by copying.
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
		if inst.refused, err = mutableGlobal(mod, m.meta.RefusedGlobal); err != nil {
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
		// A fresh instance's memory is zero.
		buf, _ := inst.mem.Read(0, inst.mem.Size())
		snap.copyNonZero(buf)
	}
	inst.restoreGlobals(snap)
	return nil
}

func (inst *instance) restoreGlobals(snap *snapshot) {
	for i, g := range inst.globals {
		g.Set(snap.globals[i])
	}
}

// callGuest runs the instance's mesh_call. A copy-on-write memory is
// written only here, in a write window on one thread, which lets its
// reset skip the page map when the call took no page fault (see
// cowMemory.reset). The goroutine is locked to its thread for the call
// alone. A cross-contract call made from it pauses the window (runCall)
// while its callee opens its own for its own memory.
func (inst *instance) callGuest(cs *callState) error {
	if inst.cow == nil {
		return inst.call.CallWithStack(cs, inst.stack[:])
	}
	goruntime.LockOSThread()
	defer goruntime.UnlockOSThread()
	cs.window = inst.cow
	defer func() { cs.window = nil }()
	inst.cow.beginWrites()
	defer inst.cow.endWrites()
	return inst.call.CallWithStack(cs, inst.stack[:])
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

// writtenRuns returns the byte ranges of the first n bytes of memory that
// were written, if the instance's memory is a mapped region without a
// snapshot image and the page map can be read.
func (inst *instance) writtenRuns(n int) ([][2]int, bool) {
	if inst.region == nil || inst.cow != nil {
		return nil, false
	}
	runs, ok := inst.region.privateRuns(n)
	if !ok {
		return nil, false
	}
	out := make([][2]int, len(runs))
	for i, r := range runs {
		out[i] = [2]int{r[0] * inst.region.pageSize, r[1] * inst.region.pageSize}
	}
	return out, true
}

// instanceOverhead estimates what an idle instance holds besides its
// linear memory: the engine's module instance (globals, function and
// table references, its stack) and the call state's buffers.
const instanceOverhead = 64 << 10

// residentBytes is what a pooled instance, just reset, keeps resident.
func (inst *instance) residentBytes() int64 {
	if inst.cow != nil {
		return instanceOverhead + inst.cow.residentBytes(int(inst.mem.Size()), true)
	}
	// Resetting by copying writes every page.
	return instanceOverhead + int64(inst.mem.Size())
}

// Estimates of what the engine's compiled module holds: native code (or
// interpreter operations) and the decoded module. Measured on a Go
// contract of 3.4 MB of instrumented code, whose loading (compiled code
// from the disk cache) raised the resident set by about 23 MiB, of which
// 3.7 MiB snapshot: about 6 bytes per byte of code.
const (
	compiledOverhead = 256 << 10
	compiledPerByte  = 6
)

// fixedBytes is what a loaded module holds whatever its calls: compiled
// code for codeBytes of instrumented code, the kept code itself and the
// snapshot: the non-zero blocks of its copy and its image's mapped extent,
// all of which instances' page faults may fill (see snapshotImage).
func (c *moduleCore) fixedBytes(codeBytes, keptCode int) int64 {
	n := compiledOverhead + compiledPerByte*int64(codeBytes) + int64(keptCode)
	if c.snap != nil {
		n += c.snap.resident + c.snap.image.bytes()
	}
	return n
}

// setSnapshot makes snap the state every call of m starts from. On
// failure it frees snap.
func (m *moduleCore) setSnapshot(snap *snapshot) error {
	if m.cow {
		img, err := newSnapshotImage(snap.mem, snap.nonZero)
		if err != nil {
			snap.free()
			return err
		}
		snap.image = img
	}
	m.snap = snap
	return nil
}

// takeSnapshot records the instance's current memory and globals.
func (inst *instance) takeSnapshot() (*snapshot, error) {
	buf, _ := inst.mem.Read(0, inst.mem.Size())
	mem, err := allocMemory(len(buf))
	if err != nil {
		return nil, err
	}
	blocks := (len(buf) + snapshotBlock - 1) / snapshotBlock
	snap := &snapshot{mem: mem, globals: make([]uint64, len(inst.globals)), nonZero: make([]byte, (blocks+7)/8)}
	// Pages of a mapped region that were never written are zero; the
	// page map names the written ones, so the others are not even read
	// (which would fault them in). An image-mapped region's pages are
	// not all private, so only a region without one is read that way.
	if runs, ok := inst.writtenRuns(len(buf)); ok {
		for _, r := range runs {
			snap.copyBlocks(buf, r[0], r[1])
		}
	} else {
		snap.copyBlocks(buf, 0, len(buf))
	}
	for i, g := range inst.globals {
		snap.globals[i] = g.Get()
	}
	return snap, nil
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
