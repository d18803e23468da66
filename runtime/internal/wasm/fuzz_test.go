package wasm

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/tetratelabs/wazero"
)

// handMadeSeeds are small modules covering every construct the
// instrumenter rewrites.
func handMadeSeeds() [][]byte {
	seeds := [][]byte{
		behaviourModule(),
		oneFunc(opEnd),
		oneFunc(opI32Const, 0, opI32Const, 0, opI32Const, 8, 0xfc, 10, 0, 0, opEnd),
		oneFunc(opF32Const, 0, 0, 0, 0, 0xfc, 0, opDrop, opI32Const, 0x7f, 0xc0, opDrop, opEnd),
		modWith(func(m *tmod) {
			m.tables = [][]byte{{0x70, 1, 1, 1}}
			m.elems = vec(code(0, opI32Const, 0, opEnd, vec(uleb(0))))
			m.datas = vec(code(0, opI32Const, 0, opEnd, "hi"))
			m.globals = [][]byte{code(I64, 1, opI64Const, 5, opEnd), code(F64, 0, opF64Const, make([]byte, 8), opEnd)}
			m.customs = [][]byte{code("name", 1, 2, 3)}
		}),
		modWith(func(m *tmod) {
			m.types = append(m.types, typeMulti)
			start := uint32(0)
			m.start = &start
			m.fn("multi", typeMulti, nil, opBlock, 1, opI32Const, 1, opI64Const, 2, opEnd, opEnd)
		}),
	}
	return seeds
}

// goSample shrinks the real Go module to a fuzz-friendly seed that keeps
// its types, imports, table, globals and exports, and a sample of real
// function bodies; the other bodies become "unreachable".
func goSample(t testing.TB) []byte {
	m, err := Decode(goContract(t))
	if err != nil {
		t.Fatal(err)
	}
	kept := 0
	for i := range m.Codes {
		if i%7 == 0 && kept+len(m.Codes[i].Body) <= 48<<10 {
			kept += len(m.Codes[i].Body)
			continue
		}
		m.Codes[i] = Code{Body: []byte{opUnreachable, opEnd}}
	}
	m.Datas, m.HasDataCount, m.Customs = nil, false, nil
	return m.EncodeCanonical()
}

func fuzzPolicy() Policy {
	p := goPolicy()
	p.Imports[ImportKey{"env", "f"}] = typeI32
	p.RequiredExports = nil
	return p
}

func FuzzPrepare(f *testing.F) {
	for _, s := range handMadeSeeds() {
		f.Add(s)
	}
	f.Add(goSample(f))
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer r.Close(ctx)
	compiles := func(b []byte) error {
		c, err := r.CompileModule(ctx, b)
		if err == nil {
			c.Close(ctx)
		}
		return err
	}
	p := fuzzPolicy()
	f.Fuzz(func(t *testing.T, b []byte) {
		// The deploy gas of any bytes is measured, the same way twice,
		// and fully for every module Prepare accepts.
		shape, shapeErr := MeasureShape(b)
		if again, _ := MeasureShape(b); again != shape || shape.CodeBytes != len(b) {
			t.Fatalf("MeasureShape = %+v then %+v for %d bytes", shape, again, len(b))
		}
		prep, err := Prepare(b, p)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("rejection is not a *ValidationError: %v", err)
			}
			return
		}
		if shapeErr != nil {
			t.Fatalf("Prepare accepts a module MeasureShape rejects: %v", shapeErr)
		}
		again, err := Prepare(b, p)
		if err != nil || !bytes.Equal(prep.Code, again.Code) {
			t.Fatalf("Prepare is not deterministic (%v)", err)
		}
		if _, err := Decode(prep.Code); err != nil {
			t.Fatalf("output does not decode: %v", err)
		}
		// Bodies are not type-checked here, so an input the engine rejects
		// may pass; what must hold is that instrumentation never breaks a
		// module the engine accepts.
		if compiles(b) != nil {
			return
		}
		if err := compiles(prep.Code); err != nil {
			t.Fatalf("the engine accepts the input but not the instrumented output: %v", err)
		}
		ref, err := prepare(b, p, true)
		if err != nil {
			t.Fatalf("Prepare accepts the input but the reference schedule does not: %v", err)
		}
		if err := compiles(ref.Code); err != nil {
			t.Fatalf("the engine accepts the input but not the reference output: %v", err)
		}
	})
}

func FuzzDecodeEncode(f *testing.F) {
	for _, s := range handMadeSeeds() {
		f.Add(s)
	}
	f.Add(goContract(f))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("decode error is not a *ValidationError: %v", err)
			}
			return
		}
		if enc := m.Encode(); !bytes.Equal(enc, b) {
			t.Fatalf("Encode(Decode(b)) differs from b (%d vs %d bytes)", len(enc), len(b))
		}
		canon := m.EncodeCanonical()
		m2, err := Decode(canon)
		if err != nil {
			t.Fatalf("canonical encoding does not decode: %v", err)
		}
		if !reflect.DeepEqual(parsedFields(m), parsedFields(m2)) {
			t.Fatal("canonical encoding changed the parsed module")
		}
		if !bytes.Equal(m2.EncodeCanonical(), canon) {
			t.Fatal("canonical encoding is not a fixed point")
		}
	})
}

// parsedFields strips what legitimately differs between two encodings of
// the same module: framing and byte offsets.
func parsedFields(m *Module) Module {
	c := *m
	c.Sections = nil
	c.Codes = append([]Code(nil), m.Codes...)
	for i := range c.Codes {
		c.Codes[i].BodyOffset = 0
	}
	return c
}

func BenchmarkPrepareGoModule(b *testing.B) {
	bin := goContract(b)
	p := goPolicy()
	b.SetBytes(int64(len(bin)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Prepare(bin, p); err != nil {
			b.Fatal(err)
		}
	}
}
