package wasm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// A tiny assembler, independent of the package's encoder, for hand-made
// test modules.

func uleb(v uint64) []byte { return appendTestULEB(nil, v) }

func appendTestULEB(b []byte, v uint64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func sleb(v int64) []byte {
	var b []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// code concatenates bytes, ints (one byte each) and byte slices.
func code(parts ...any) []byte {
	var b []byte
	for _, p := range parts {
		switch v := p.(type) {
		case byte:
			b = append(b, v)
		case int:
			b = append(b, byte(v))
		case rune:
			b = append(b, byte(v))
		case ValType:
			b = append(b, byte(v))
		case ExternKind:
			b = append(b, byte(v))
		case []byte:
			b = append(b, v...)
		case string:
			b = append(b, uleb(uint64(len(v)))...)
			b = append(b, v...)
		default:
			panic(fmt.Sprintf("code: unsupported part %T", p))
		}
	}
	return b
}

func vec(items ...[]byte) []byte {
	b := uleb(uint64(len(items)))
	for _, it := range items {
		b = append(b, it...)
	}
	return b
}

func section(id byte, payload []byte) []byte {
	return code(id, uleb(uint64(len(payload))), payload)
}

func functype(params, results []ValType) []byte {
	b := []byte{0x60}
	b = append(b, uleb(uint64(len(params)))...)
	for _, p := range params {
		b = append(b, byte(p))
	}
	b = append(b, uleb(uint64(len(results)))...)
	for _, r := range results {
		b = append(b, byte(r))
	}
	return b
}

type tfunc struct {
	typ    uint32
	locals []LocalDecl
	body   []byte // including the final end
}

type texport struct {
	name  string
	kind  ExternKind
	index uint32
}

// tmod describes a test module. Raw fields hold section payloads verbatim.
type tmod struct {
	types   []FuncType
	imports [][]byte // raw import entries
	funcs   []tfunc
	tables  [][]byte // raw table types
	mems    [][]byte // raw memory types
	globals [][]byte // raw global entries
	exports []texport
	start   *uint32
	elems   []byte // raw element section payload
	datas   []byte // raw data section payload
	customs [][]byte
}

// newTMod returns a module with one page of memory exported as "memory".
func newTMod() *tmod {
	return &tmod{
		mems:    [][]byte{{0x00, 0x01}},
		exports: []texport{{"memory", ExternMemory, 0}},
	}
}

// fn adds a function of the given type, exports it under name (if not
// empty) and returns its index.
func (m *tmod) fn(name string, ft FuncType, locals []LocalDecl, body ...any) uint32 {
	ti := -1
	for i, t := range m.types {
		if t.Equal(ft) {
			ti = i
		}
	}
	if ti < 0 {
		m.types = append(m.types, ft)
		ti = len(m.types) - 1
	}
	m.funcs = append(m.funcs, tfunc{typ: uint32(ti), locals: locals, body: code(body...)})
	idx := uint32(len(m.imports) + len(m.funcs) - 1)
	if name != "" {
		m.exports = append(m.exports, texport{name, ExternFunc, idx})
	}
	return idx
}

func (m *tmod) bytes() []byte {
	out := []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}
	if len(m.types) > 0 {
		var ts [][]byte
		for _, t := range m.types {
			ts = append(ts, functype(t.Params, t.Results))
		}
		out = append(out, section(secType, vec(ts...))...)
	}
	if len(m.imports) > 0 {
		out = append(out, section(secImport, vec(m.imports...))...)
	}
	if len(m.funcs) > 0 {
		var fs [][]byte
		for _, f := range m.funcs {
			fs = append(fs, uleb(uint64(f.typ)))
		}
		out = append(out, section(secFunction, vec(fs...))...)
	}
	if len(m.tables) > 0 {
		out = append(out, section(secTable, vec(m.tables...))...)
	}
	if len(m.mems) > 0 {
		out = append(out, section(secMemory, vec(m.mems...))...)
	}
	if len(m.globals) > 0 {
		out = append(out, section(secGlobal, vec(m.globals...))...)
	}
	if len(m.exports) > 0 {
		var es [][]byte
		for _, e := range m.exports {
			es = append(es, code(e.name, byte(e.kind), uleb(uint64(e.index))))
		}
		out = append(out, section(secExport, vec(es...))...)
	}
	if m.start != nil {
		out = append(out, section(secStart, uleb(uint64(*m.start)))...)
	}
	if m.elems != nil {
		out = append(out, section(secElement, m.elems)...)
	}
	if len(m.funcs) > 0 {
		var cs [][]byte
		for _, f := range m.funcs {
			var ls [][]byte
			for _, l := range f.locals {
				ls = append(ls, code(uleb(uint64(l.Count)), l.Type))
			}
			body := append(vec(ls...), f.body...)
			cs = append(cs, append(uleb(uint64(len(body))), body...))
		}
		out = append(out, section(secCode, vec(cs...))...)
	}
	if m.datas != nil {
		out = append(out, section(secData, m.datas)...)
	}
	for _, c := range m.customs {
		out = append(out, section(secCustom, c)...)
	}
	return out
}

func funcImport(module, name string, typeIdx uint32) []byte {
	return code(module, name, 0x00, uleb(uint64(typeIdx)))
}

var (
	typeVoid   = FuncType{}
	typeI32    = FuncType{Results: []ValType{I32}}
	typeI32I32 = FuncType{Params: []ValType{I32}, Results: []ValType{I32}}
)

func testPolicy() Policy {
	return Policy{
		Limits: DefaultLimits(),
		Imports: map[ImportKey]FuncType{
			{"env", "f"}: typeI32,
		},
		RequiredExports: map[string]FuncType{},
		MaxCallDepth:    8,
	}
}

// schedules are the two gas schedules tests compare: the optimised one
// Prepare produces and the reference one it must match.
var schedules = []struct {
	name    string
	prepare func(testing.TB, []byte, Policy) *Prepared
}{
	{"optimised", mustPrepare},
	{"reference", mustPrepareReference},
}

func mustPrepareReference(t testing.TB, b []byte, p Policy) *Prepared {
	t.Helper()
	prep, err := prepare(b, p, true)
	if err != nil {
		t.Fatalf("prepare (reference): %v", err)
	}
	return prep
}

func mustPrepare(t testing.TB, b []byte, p Policy) *Prepared {
	t.Helper()
	prep, err := Prepare(b, p)
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	return prep
}

// engines are the two wazero engines whose results must agree.
var engines = []struct {
	name string
	cfg  func() wazero.RuntimeConfig
}{
	{"compiler", wazero.NewRuntimeConfigCompiler},
	{"interpreter", wazero.NewRuntimeConfigInterpreter},
}

// instance is an instantiated, instrumented test module.
type instance struct {
	t   testing.TB
	mod api.Module
}

func instantiate(t testing.TB, cfg wazero.RuntimeConfig, bin []byte) *instance {
	t.Helper()
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, cfg)
	t.Cleanup(func() { r.Close(ctx) })
	_, err := r.NewHostModuleBuilder("env").
		NewFunctionBuilder().WithFunc(func() int32 { return 42 }).Export("f").
		Instantiate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mod, err := r.Instantiate(ctx, bin)
	if err != nil {
		t.Fatalf("instantiate: %v", err)
	}
	return &instance{t: t, mod: mod}
}

func (in *instance) global(name string) api.Global {
	g := in.mod.ExportedGlobal(name)
	if g == nil {
		in.t.Fatalf("no exported global %q", name)
	}
	return g
}

func (in *instance) setGas(v int64) { in.global(GasGlobalName).(api.MutableGlobal).Set(uint64(v)) }
func (in *instance) gas() int64     { return int64(in.global(GasGlobalName).Get()) }
func (in *instance) depth() int32   { return int32(uint32(in.global(DepthGlobalName).Get())) }

// call runs an export with a gas budget and returns results, gas used and
// the call error.
func (in *instance) call(name string, budget int64, args ...uint64) ([]uint64, int64, error) {
	in.t.Helper()
	f := in.mod.ExportedFunction(name)
	if f == nil {
		in.t.Fatalf("no exported function %q", name)
	}
	in.setGas(budget)
	res, err := f.Call(context.Background(), args...)
	return res, budget - in.gas(), err
}

var goModule struct {
	once sync.Once
	bin  []byte
	err  error
}

// goContract builds testdata/gocontract with the real Go toolchain, once
// per test process.
func goContract(t testing.TB) []byte {
	t.Helper()
	goModule.once.Do(func() {
		goBin, err := exec.LookPath("go")
		if err != nil {
			goModule.err = err
			return
		}
		out := filepath.Join(t.TempDir(), "contract.wasm")
		cmd := exec.Command(goBin, "build", "-buildmode=c-shared", "-trimpath", "-o", out, "./testdata/gocontract")
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			goModule.err = errors.New(err.Error() + ": " + stderr.String())
			return
		}
		goModule.bin, goModule.err = os.ReadFile(out)
	})
	if goModule.err != nil {
		t.Fatalf("building the Go test contract: %v", goModule.err)
	}
	return goModule.bin
}

// goPolicy allows the WASI subset of docs/abi.md, as the host does.
func goPolicy() Policy {
	i32 := func(n int) []ValType {
		v := make([]ValType, n)
		for i := range v {
			v[i] = I32
		}
		return v
	}
	errno := func(params ...ValType) FuncType { return FuncType{Params: params, Results: i32(1)} }
	const wasi = "wasi_snapshot_preview1"
	p := testPolicy()
	p.MaxCallDepth = 10000
	p.RequiredExports = map[string]FuncType{"mesh_call": typeI32}
	p.Imports = map[ImportKey]FuncType{
		{wasi, "sched_yield"}:         errno(),
		{wasi, "proc_exit"}:           {Params: i32(1)},
		{wasi, "args_get"}:            errno(i32(2)...),
		{wasi, "args_sizes_get"}:      errno(i32(2)...),
		{wasi, "environ_get"}:         errno(i32(2)...),
		{wasi, "environ_sizes_get"}:   errno(i32(2)...),
		{wasi, "clock_time_get"}:      errno(I32, I64, I32),
		{wasi, "random_get"}:          errno(i32(2)...),
		{wasi, "fd_write"}:            errno(i32(4)...),
		{wasi, "poll_oneoff"}:         errno(i32(4)...),
		{wasi, "fd_close"}:            errno(I32),
		{wasi, "fd_fdstat_get"}:       errno(i32(2)...),
		{wasi, "fd_fdstat_set_flags"}: errno(i32(2)...),
		{wasi, "fd_prestat_get"}:      errno(i32(2)...),
		{wasi, "fd_prestat_dir_name"}: errno(i32(3)...),
	}
	return p
}

func compileOK(t testing.TB, cfg wazero.RuntimeConfig, bin []byte) {
	t.Helper()
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, cfg)
	defer r.Close(ctx)
	if _, err := r.CompileModule(ctx, bin); err != nil {
		t.Fatalf("wazero rejects the output: %v", err)
	}
}
