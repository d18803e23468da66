package contract_test

import (
	"errors"
	"fmt"

	"github.com/meshledger/meshledger/sdk/contract"
	"github.com/meshledger/meshledger/sdk/contract/contracttest"
)

// AddArgs are the arguments of the example counter's add method.
type AddArgs struct {
	By int `json:"by"`
}

// A contract declares its methods in init: the host snapshots the module
// after package initialisation, so the method table is fixed before the
// first call. This counter keeps one JSON number under the key "count".
func init() {
	contract.Method("counter.add", func(ctx *contract.Context, a AddArgs) (int, error) {
		if a.By <= 0 {
			// A failed call keeps none of its writes or events.
			return 0, errors.New("by must be positive")
		}
		var n int
		if _, err := ctx.GetJSON([]byte("count"), &n); err != nil {
			return 0, err
		}
		n += a.By
		if err := ctx.SetJSON([]byte("count"), n); err != nil {
			return 0, err
		}
		return n, ctx.Emit("Added", a)
	})
	contract.Method("counter.get", func(ctx *contract.Context, _ struct{}) (int, error) {
		var n int
		_, err := ctx.GetJSON([]byte("count"), &n)
		return n, err
	})
}

// Register a method and exercise it under plain go test with the mock
// host, which applies the real host's state semantics and result codes
// without compiling to Wasm.
func ExampleMethod() {
	h := contracttest.New()

	r := h.Call("counter.add", AddArgs{By: 2})
	fmt.Println(r.Code, string(r.Return), r.Events[0].Name, string(r.Events[0].Data))

	r = h.Call("counter.add", AddArgs{By: 3})
	fmt.Println(r.Code, string(r.Return))

	// A refused call is a result code and message, not a Go error, and
	// leaves the state as it was.
	r = h.Call("counter.add", AddArgs{By: -1})
	fmt.Println(r.Code, r.Message, len(r.Writes))

	var n int
	if err := h.Query("counter.get", nil).Decode(&n); err != nil {
		fmt.Println(err)
	}
	fmt.Println("count", n)
	// Output:
	// ok 2 Added {"by":2}
	// ok 5
	// error by must be positive 0
	// count 5
}
