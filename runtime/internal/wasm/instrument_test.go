package wasm

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

var (
	typeF32F32F32 = FuncType{Params: []ValType{F32, F32}, Results: []ValType{F32}}
	typeF64F64F64 = FuncType{Params: []ValType{F64, F64}, Results: []ValType{F64}}
	typeF64F64    = FuncType{Params: []ValType{F64}, Results: []ValType{F64}}
	typeF64F32    = FuncType{Params: []ValType{F64}, Results: []ValType{F32}}
	typeF32F64    = FuncType{Params: []ValType{F32}, Results: []ValType{F64}}
	typeI32Void   = FuncType{Params: []ValType{I32}}
	typeMulti     = FuncType{Results: []ValType{I32, I64}}
)

// behaviourModule has one exported function per behaviour under test.
func behaviourModule() []byte {
	m := newTMod()
	m.types = append(m.types, typeI32)
	m.imports = [][]byte{funcImport("env", "f", 0)}

	// loop(n): counts n down to zero. Gas: 1 (loop) + 5 per iteration +
	// 3 (end, local.get, end).
	m.fn("loop", typeI32I32, nil,
		opLoop, 0x40, opLocalGet, 0, opI32Const, 1, opI32Sub, opLocalTee, 0, opBrIf, 0, opEnd,
		opLocalGet, 0, opEnd)
	m.fn("spin", typeVoid, nil, opLoop, 0x40, opBr, 0, opEnd, opEnd)
	// br_loop(n) counts down like loop, but as Go does: an if holding a br
	// back to the loop, whose header is then charged by the br. Gas: 1
	// (loop) + 5 per header + 1 per br taken (n-1) + 3 (end, local.get,
	// end) = 6n + 3.
	m.fn("br_loop", typeI32I32, nil,
		opLoop, 0x40, opLocalGet, 0, opI32Const, 1, opI32Sub, opLocalTee, 0, opIf, 0x40, opBr, 1, opEnd, opEnd,
		opLocalGet, 0, opEnd)
	// table_loop(n) loops through a br_table (index 0: the loop, default:
	// past the block's end). Gas: 2 (block, loop) + 6 per iteration + 2
	// (local.get, end) = 6n + 4.
	m.fn("table_loop", typeI32I32, nil,
		opBlock, 0x40, opLoop, 0x40, opLocalGet, 0, opI32Const, 1, opI32Sub, opLocalTee, 0, opI32Eqz,
		opBrTable, 1, 0, 1, opEnd, opEnd, opLocalGet, 0, opEnd)
	// if_no_else(c): the if's segment is not the checked entry, so its cost
	// is charged in the then-branch or in an added else. Gas: 2 (block,
	// end) + 2 (local.get, if) + 2 if taken (nop, end) + 2 (i32.const, end).
	m.fn("if_no_else", typeI32I32, nil,
		opBlock, 0x40, opEnd, opLocalGet, 0, opIf, 0x40, opNop, opEnd, opI32Const, 7, opEnd)
	// long_blocks: 30 blocks of 99 nops, each a segment of 101 gas no loop
	// or entry demands a check for. Gas: 2 + 30*101 + 1.
	long := []any{opBlock, 0x40, opEnd}
	for range 30 {
		long = append(long, opBlock, 0x40, bytes.Repeat([]byte{opNop}, 99), opEnd)
	}
	m.fn("long_blocks", typeVoid, nil, append(long, opEnd)...)

	// rec(n) recurses n times: n+1 frames.
	rec := uint32(len(m.imports) + len(m.funcs))
	m.fn("rec", typeI32I32, nil,
		opLocalGet, 0, opI32Eqz, opIf, 0x40, opI32Const, 0, opReturn, opEnd,
		opLocalGet, 0, opI32Const, 1, opI32Sub, opCall, uleb(uint64(rec)), opI32Const, 1, opI32Add, opEnd)
	forever := uint32(len(m.imports) + len(m.funcs))
	m.fn("forever", typeVoid, nil, opCall, uleb(uint64(forever)), opEnd)

	m.fn("nested_return", typeI32, nil,
		opBlock, 0x40, opBlock, 0x40, opBlock, 0x40, opI32Const, 7, opReturn, opEnd, opEnd, opEnd, opI32Const, 0, opEnd)
	m.fn("br_function", typeI32, nil, opBlock, 0x40, opI32Const, 5, opBr, 1, opEnd, opI32Const, 0, opEnd)
	m.fn("br_table_function", typeI32I32, nil,
		opBlock, I32, opI32Const, 9, opLocalGet, 0, opBrTable, 1, 1, 0, opEnd, opDrop, opI32Const, 3, opEnd)
	m.fn("br_if_function", typeI32I32, nil, opI32Const, 4, opLocalGet, 0, opBrIf, 0, opDrop, opI32Const, 6, opEnd)
	m.fn("multi", typeMulti, nil, opI32Const, 1, opI64Const, 2, opEnd)
	m.fn("multi_br", typeMulti, nil, opI32Const, 3, opI64Const, 4, opBr, 0, opEnd)
	m.fn("if_else", typeI32I32, nil,
		opLocalGet, 0, opIf, I32, opI32Const, 1, opElse, opI32Const, 2, opI32Const, 3, opI32Add, opEnd, opEnd)
	m.fn("call_host", typeI32, nil, opCall, 0, opEnd)
	m.fn("div", typeI32I32, nil, opLocalGet, 0, opI32Const, 3, 0x6d, opEnd)
	m.fn("grow", typeI32I32, nil, opLocalGet, 0, opMemoryGrow, 0, opEnd)
	m.fn("fill", typeI32Void, nil, opI32Const, 0, opI32Const, 7, opLocalGet, 0, 0xfc, 11, 0, opEnd)
	m.fn("copy", typeI32Void, nil, opI32Const, 0, opI32Const, 8, opLocalGet, 0, 0xfc, 10, 0, 0, opEnd)

	m.fn("f32_div", typeF32F32F32, nil, opLocalGet, 0, opLocalGet, 1, 0x95, opEnd)
	m.fn("f32_min", typeF32F32F32, nil, opLocalGet, 0, opLocalGet, 1, 0x96, opEnd)
	m.fn("f64_add", typeF64F64F64, nil, opLocalGet, 0, opLocalGet, 1, 0xa0, opEnd)
	m.fn("f64_sub", typeF64F64F64, nil, opLocalGet, 0, opLocalGet, 1, 0xa1, opEnd)
	m.fn("f64_mul", typeF64F64F64, nil, opLocalGet, 0, opLocalGet, 1, 0xa2, opEnd)
	m.fn("f64_max", typeF64F64F64, nil, opLocalGet, 0, opLocalGet, 1, 0xa5, opEnd)
	m.fn("f64_sqrt", typeF64F64, nil, opLocalGet, 0, 0x9f, opEnd)
	m.fn("f64_nearest", typeF64F64, nil, opLocalGet, 0, 0x9e, opEnd)
	m.fn("f64_neg", typeF64F64, nil, opLocalGet, 0, 0x9a, opEnd)
	m.fn("demote", typeF64F32, nil, opLocalGet, 0, 0xb6, opEnd)
	m.fn("promote", typeF32F64, nil, opLocalGet, 0, 0xbb, opEnd)
	return m.bytes()
}

func f32(v float32) uint64 { return uint64(math.Float32bits(v)) }
func f64(v float64) uint64 { return math.Float64bits(v) }

const (
	canonNaN32 = 0x7fc00000
	canonNaN64 = 0x7ff8000000000000
)

// TestInstrumentedBehaviour runs every case on both engines and under both
// the optimised and the reference schedule; identical expectations make it
// a differential test of results and gas.
func TestInstrumentedBehaviour(t *testing.T) {
	for _, sched := range schedules {
		t.Run(sched.name, func(t *testing.T) {
			prep := sched.prepare(t, behaviourModule(), testPolicy()) // MaxCallDepth 8
			testBehaviour(t, prep)
		})
	}
}

func testBehaviour(t *testing.T, prep *Prepared) {
	inf := math.Inf(1)
	tests := []struct {
		name     string
		fn       string
		args     []uint64
		budget   int64
		want     []uint64
		wantGas  int64  // -1: don't check
		wantTrap string // "gas", "depth" or "" for success
	}{
		{"loop 1", "loop", []uint64{1}, 1000, []uint64{0}, 1 + 5 + 3, ""},
		{"loop 100", "loop", []uint64{100}, 1000, []uint64{0}, 1 + 500 + 3, ""},
		{"loop with exact budget", "loop", []uint64{10}, 54, []uint64{0}, 54, ""},
		{"loop one gas short", "loop", []uint64{10}, 53, nil, -1, "gas"},
		{"infinite loop", "spin", nil, 100000, nil, -1, "gas trap"},
		{"br loop 1", "br_loop", []uint64{1}, 1000, []uint64{0}, 6 + 3, ""},
		{"br loop 100", "br_loop", []uint64{100}, 1000, []uint64{0}, 600 + 3, ""},
		{"br loop with exact budget", "br_loop", []uint64{10}, 63, []uint64{0}, 63, ""},
		{"br loop one gas short", "br_loop", []uint64{10}, 62, nil, -1, "gas"},
		{"br loop without gas", "br_loop", []uint64{1 << 30}, 1000, nil, -1, "gas trap"},
		{"table loop 1", "table_loop", []uint64{1}, 1000, []uint64{0}, 6 + 4, ""},
		{"table loop 50", "table_loop", []uint64{50}, 1000, []uint64{0}, 300 + 4, ""},
		{"table loop without gas", "table_loop", []uint64{1 << 30}, 1000, nil, -1, "gas trap"},
		{"if without else taken", "if_no_else", []uint64{1}, 1000, []uint64{7}, 8, ""},
		{"if without else skipped", "if_no_else", []uint64{0}, 1000, []uint64{7}, 6, ""},
		{"if without else one gas short", "if_no_else", []uint64{0}, 5, nil, -1, "gas"},
		{"long straight line", "long_blocks", nil, 10000, nil, 2 + 30*101 + 1, ""},
		// The exposure bound forces a check within maxUnchecked gas, long
		// before the end.
		{"long straight line without gas", "long_blocks", nil, 50, nil, -1, "gas trap"},
		{"recursion at the limit", "rec", []uint64{7}, 100000, []uint64{7}, -1, ""},
		{"recursion past the limit", "rec", []uint64{8}, 100000, nil, -1, "depth"},
		{"infinite recursion", "forever", nil, 100000, nil, -1, "depth"},
		{"return in nested blocks", "nested_return", nil, 1000, []uint64{7}, -1, ""},
		{"br to function label", "br_function", nil, 1000, []uint64{5}, -1, ""},
		{"br_table to function label", "br_table_function", []uint64{0}, 1000, []uint64{9}, -1, ""},
		{"br_table to inner block", "br_table_function", []uint64{1}, 1000, []uint64{3}, -1, ""},
		{"br_if to function label", "br_if_function", []uint64{1}, 1000, []uint64{4}, 3, ""},
		{"br_if fall through", "br_if_function", []uint64{0}, 1000, []uint64{6}, 3 + 3, ""},
		{"multi-value", "multi", nil, 1000, []uint64{1, 2}, 3, ""},
		{"multi-value br", "multi_br", nil, 1000, []uint64{3, 4}, -1, ""},
		{"if branch", "if_else", []uint64{1}, 1000, []uint64{1}, 2 + 2 + 1, ""},
		{"else branch", "if_else", []uint64{0}, 1000, []uint64{5}, 2 + 4 + 1, ""},
		{"call costs 16", "call_host", nil, 1000, []uint64{42}, 16 + 1, ""},
		{"div costs 25", "div", []uint64{9}, 1000, []uint64{3}, 1 + 1 + 25 + 1, ""},
		{"grow 0 pages", "grow", []uint64{0}, 100000, []uint64{1}, 3, ""},
		{"grow 2 pages", "grow", []uint64{2}, 100000, []uint64{1}, 3 + 2*16384, ""},
		{"fill 0 bytes", "fill", []uint64{0}, 1000, nil, 5 + 128, ""},
		{"fill 1 byte", "fill", []uint64{1}, 1000, nil, 5 + 128 + 1, ""},
		{"fill 64 bytes", "fill", []uint64{64}, 1000, nil, 5 + 128 + 64, ""},
		{"fill 65 bytes", "fill", []uint64{65}, 1000, nil, 5 + 128 + 65, ""},
		{"copy 1000 bytes", "copy", []uint64{1000}, 10000, nil, 5 + 128 + 1000, ""},
		// A whole page: large lengths pay per byte, as the time they take.
		{"fill 64 KiB", "fill", []uint64{65536}, 100000, nil, 5 + 128 + 65536, ""},
		{"copy 64 KiB", "copy", []uint64{65536 - 8}, 100000, nil, 5 + 128 + 65528, ""},
		{"fill 64 KiB one gas short", "fill", []uint64{65536}, 5 + 128 + 65535, nil, -1, "gas"},
		{"fill without gas", "fill", []uint64{65536}, 100, nil, -1, "gas"},

		{"0/0", "f32_div", []uint64{f32(0), f32(0)}, 1000, []uint64{canonNaN32}, -1, ""},
		{"f32 div costs 51", "f32_div", []uint64{f32(1), f32(4)}, 1000, []uint64{f32(0.25)}, 2 + 51 + 1, ""},
		{"f32 min NaN payload", "f32_min", []uint64{0x7f800001, f32(1)}, 1000, []uint64{canonNaN32}, -1, ""},
		{"f32 min signed zeros", "f32_min", []uint64{f32(0), 0x80000000}, 1000, []uint64{0x80000000}, -1, ""},
		{"inf-inf", "f64_sub", []uint64{f64(inf), f64(inf)}, 1000, []uint64{canonNaN64}, -1, ""},
		{"0*inf", "f64_mul", []uint64{f64(0), f64(inf)}, 1000, []uint64{canonNaN64}, -1, ""},
		{"NaN payload propagation", "f64_add", []uint64{0xfff0000000000123, f64(1)}, 1000, []uint64{canonNaN64}, -1, ""},
		{"f64 add", "f64_add", []uint64{f64(1.5), f64(2.25)}, 1000, []uint64{f64(3.75)}, -1, ""},
		{"f64 max NaN", "f64_max", []uint64{0x7ff4000000000000, f64(1)}, 1000, []uint64{canonNaN64}, -1, ""},
		{"sqrt(-1)", "f64_sqrt", []uint64{f64(-1)}, 1000, []uint64{canonNaN64}, -1, ""},
		{"sqrt(2) costs 51", "f64_sqrt", []uint64{f64(2)}, 1000, []uint64{f64(math.Sqrt2)}, 1 + 51 + 1, ""},
		{"nearest(2.5)", "f64_nearest", []uint64{f64(2.5)}, 1000, []uint64{f64(2)}, -1, ""},
		{"nearest(NaN)", "f64_nearest", []uint64{0x7ff0000000000001}, 1000, []uint64{canonNaN64}, -1, ""},
		{"neg keeps NaN bits", "f64_neg", []uint64{0x7ff8000000000123}, 1000, []uint64{0xfff8000000000123}, -1, ""},
		{"demote NaN", "demote", []uint64{0xfff8000000000abc}, 1000, []uint64{canonNaN32}, -1, ""},
		{"demote", "demote", []uint64{f64(0.5)}, 1000, []uint64{f32(0.5)}, -1, ""},
		{"promote NaN", "promote", []uint64{0x7fa00000}, 1000, []uint64{canonNaN64}, -1, ""},
	}
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			inst := instantiate(t, e.cfg(), prep.Code)
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					inst.t = t
					got, used, err := inst.call(tc.fn, tc.budget, tc.args...)
					switch tc.wantTrap {
					case "":
						if err != nil {
							t.Fatalf("call: %v", err)
						}
						if inst.gas() < 0 {
							t.Errorf("mesh_gas = %d after a successful call", inst.gas())
						}
					case "gas", "gas trap":
						// Out of gas: the counter is negative when the call
						// ends, by a check's trap or not.
						if inst.gas() >= 0 {
							t.Fatalf("err = %v, mesh_gas = %d; want out of gas", err, inst.gas())
						}
						if err != nil && !strings.Contains(err.Error(), "unreachable") {
							t.Errorf("err = %v, want the unreachable trap", err)
						}
						if tc.wantTrap == "gas trap" && err == nil {
							t.Error("the call ran to its end; want a check to stop it")
						}
						if d := inst.depth(); d > 8 {
							t.Errorf("mesh_depth = %d on out of gas", d)
						}
					case "depth":
						if err == nil {
							t.Fatal("call succeeded; want a call-depth trap")
						}
						if d := inst.depth(); d != 9 {
							t.Errorf("mesh_depth = %d, want MaxCallDepth+1 = 9", d)
						}
						if inst.gas() < 0 {
							t.Errorf("mesh_gas = %d on a depth trap", inst.gas())
						}
					}
					if tc.wantTrap == "" {
						if f32Results[tc.fn] {
							// Only the low 32 bits of an f32 result are defined.
							got[0] = uint64(uint32(got[0]))
						}
						if !equalU64(got, tc.want) {
							t.Errorf("results = %#x, want %#x", got, tc.want)
						}
						if tc.wantGas >= 0 && used != tc.wantGas {
							t.Errorf("gas used = %d, want %d", used, tc.wantGas)
						}
						if d := inst.depth(); d != 0 {
							t.Errorf("mesh_depth = %d after the call, want 0", d)
						}
					}
					// The host resets the globals before every call.
					inst.global(DepthGlobalName).(interface{ Set(uint64) }).Set(0)
				})
			}
		})
	}
}

var f32Results = map[string]bool{"f32_div": true, "f32_min": true, "demote": true}

func equalU64(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestGrowRefusal: memory.grow past the module's page limit (the smallest
// of its declared maximum, Policy MaxMemoryPages and 65,536) returns -1
// without growing and sets the refusal global; within the limit it grows
// and returns the old size. Either way it is charged for the pages asked.
func TestGrowRefusal(t *testing.T) {
	const huge = 0xFFFFFFFF
	tests := []struct {
		name     string
		mem      []byte // memory type: flags, min[, max]
		maxPages uint32 // Policy MaxMemoryPages
		delta    uint64
		want     uint64 // memory.grow's result as an i32
		refused  bool
		size     uint64 // pages after the grow
	}{
		{"within the declared maximum", []byte{1, 1, 4}, 512, 3, 1, false, 4},
		{"past the declared maximum", []byte{1, 1, 4}, 512, 4, 0xFFFFFFFF, true, 1},
		{"zero pages at the declared maximum", []byte{1, 4, 4}, 512, 0, 4, false, 4},
		{"within the policy limit", []byte{0, 1}, 2, 1, 1, false, 2},
		{"past the policy limit", []byte{0, 1}, 2, 2, 0xFFFFFFFF, true, 1},
		{"past the Wasm maximum", []byte{0, 1}, 70_000, 65_536, 0xFFFFFFFF, true, 1},
		{"huge delta", []byte{0, 1}, 512, huge, 0xFFFFFFFF, true, 1},
		{"huge delta at the Wasm maximum", []byte{0, 1}, 70_000, huge, 0xFFFFFFFF, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newTMod()
			m.mems = [][]byte{tt.mem}
			m.fn("grow", typeI32I32, nil, opLocalGet, 0, opMemoryGrow, 0, opEnd)
			m.fn("size", typeI32, nil, opMemorySize, 0, opEnd)
			p := testPolicy()
			p.Limits.MaxMemoryPages = tt.maxPages
			for _, sched := range schedules {
				prep := sched.prepare(t, m.bytes(), p)
				for _, e := range engines {
					inst := instantiate(t, e.cfg(), prep.Code)
					budget := int64(1) << 50
					got, used, err := inst.call("grow", budget, tt.delta)
					if err != nil {
						t.Fatalf("%s/%s: grow: %v", sched.name, e.name, err)
					}
					if uint64(uint32(got[0])) != tt.want {
						t.Errorf("%s/%s: grow(%d) = %#x, want %#x", sched.name, e.name, tt.delta, uint32(got[0]), tt.want)
					}
					if wantGas := int64(3 + tt.delta*costGrowPerPage); used != wantGas {
						t.Errorf("%s/%s: gas used = %d, want %d", sched.name, e.name, used, wantGas)
					}
					if r := uint32(inst.global(RefusedGlobalName).Get()); r != map[bool]uint32{false: 0, true: 1}[tt.refused] {
						t.Errorf("%s/%s: %s = %d, want refused %v", sched.name, e.name, RefusedGlobalName, r, tt.refused)
					}
					if size, _, err := inst.call("size", 1000); err != nil || size[0] != tt.size {
						t.Errorf("%s/%s: size = %v, %v; want %d pages", sched.name, e.name, size, err, tt.size)
					}
				}
			}
		})
	}
}

// TestGrowRefusalUnmetered: the limit holds without metering too.
func TestGrowRefusalUnmetered(t *testing.T) {
	m := newTMod()
	m.fn("grow", typeI32I32, nil, opLocalGet, 0, opMemoryGrow, 0, opEnd)
	p := testPolicy()
	p.Limits.MaxMemoryPages = 2
	p.NoMetering = true
	for _, e := range engines {
		inst := instantiate(t, e.cfg(), mustPrepare(t, m.bytes(), p).Code)
		if got, _, err := inst.call("grow", 0, 2); err != nil || uint32(got[0]) != 0xFFFFFFFF {
			t.Errorf("%s: grow(2) = %v, %v; want -1", e.name, got, err)
		}
		if got, _, err := inst.call("grow", 0, 1); err != nil || got[0] != 1 {
			t.Errorf("%s: grow(1) = %v, %v; want 1", e.name, got, err)
		}
		if r := inst.global(RefusedGlobalName).Get(); r != 1 {
			t.Errorf("%s: %s = %d after a refusal, want 1", e.name, RefusedGlobalName, r)
		}
	}
}
