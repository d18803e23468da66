package runtime_test

import (
	"context"
	"fmt"
	"log"

	"github.com/meshledger/meshledger/runtime"
)

// answerModule is a contract written by hand in the Wasm binary format, the
// smallest the runtime accepts: it exports its memory and mesh_call, and
// mesh_call hands the two bytes "42" (a data segment at address 0) to the
// host's set_return and reports status 0 (ok). Real contracts are Go
// packages built with sdk/build; the bytes here show the ABI with nothing
// in between.
func answerModule() []byte {
	section := func(id byte, payload ...byte) []byte {
		return append([]byte{id, byte(len(payload))}, payload...) // every payload < 128 bytes
	}
	name := func(s string) []byte { return append([]byte{byte(len(s))}, s...) }
	cat := func(parts ...[]byte) []byte {
		var out []byte
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	return cat(
		[]byte{0, 'a', 's', 'm', 1, 0, 0, 0},
		// types: 0 = () -> i32 (mesh_call), 1 = (i32, i32) -> () (set_return)
		section(1, 2, 0x60, 0, 1, 0x7f, 0x60, 2, 0x7f, 0x7f, 0),
		// import meshledger.set_return as function 0, of type 1
		section(2, cat([]byte{1}, name("meshledger"), name("set_return"), []byte{0, 1})...),
		section(3, 1, 0),    // function 1 (mesh_call) has type 0
		section(5, 1, 0, 1), // one memory of one page
		section(7, cat([]byte{2}, name("memory"), []byte{2, 0}, name("mesh_call"), []byte{0, 1})...),
		// mesh_call: set_return(0, 2); return 0
		section(10, 1, 10, 0, 0x41, 0, 0x41, 2, 0x10, 0, 0x41, 0, 0x0b),
		// data: "42" at address 0
		section(11, 1, 0, 0x41, 0, 0x0b, 2, '4', '2'),
	)
}

// Load a module, call it, and read its deterministic result: the returned
// bytes and the gas the call used, which every node computes alike.
func Example() {
	ctx := context.Background()
	rt, err := runtime.New(ctx, runtime.NewConfig())
	if err != nil {
		log.Fatal(err)
	}
	defer rt.Close(ctx)

	m, err := rt.Load(ctx, answerModule())
	if err != nil {
		log.Fatal(err)
	}
	env := runtime.Env{Height: 1, TimeMs: 1_700_000_000_000, GasLimit: 1_000_000}
	res, err := m.Call(ctx, env, "answer", nil, nil)
	if err != nil {
		log.Fatal(err) // the host failed; a contract failure is res.Code
	}
	fmt.Printf("code %s, return %s, gas %d\n", res.Code, res.Return, res.GasUsed)
	// Output:
	// code ok, return 42, gas 521
}

// The two engines charge the same gas and return the same bytes: gas is
// counted by instrumentation inserted into the module, not by the engine.
func ExampleConfig_WithInterpreter() {
	ctx := context.Background()
	for _, cfg := range []runtime.Config{runtime.NewConfig(), runtime.NewConfig().WithInterpreter()} {
		rt, err := runtime.New(ctx, cfg)
		if err != nil {
			log.Fatal(err)
		}
		m, err := rt.Load(ctx, answerModule())
		if err != nil {
			log.Fatal(err)
		}
		res, err := m.Call(ctx, runtime.Env{GasLimit: 1_000_000}, "answer", nil, nil)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s %s %d\n", res.Code, res.Return, res.GasUsed)
		rt.Close(ctx)
	}
	// Output:
	// ok 42 521
	// ok 42 521
}
