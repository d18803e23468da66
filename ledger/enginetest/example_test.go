package enginetest_test

import (
	"context"
	"fmt"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/enginetest"
	"github.com/meshledger/meshledger/runtime"
)

// A scripted engine for a ledger under test: every deploy loads the same
// contract, whose "ping" method answers with a fixed result and gas. Pass
// it as ledger.Config.Engine.
func ExampleLoading() {
	contract := enginetest.Methods(map[string]func(runtime.Env, []byte, runtime.State) (*runtime.Result, error){
		"ping": func(env runtime.Env, _ []byte, _ runtime.State) (*runtime.Result, error) {
			return &runtime.Result{Code: runtime.CodeOK, Return: []byte(`"pong"`), GasUsed: 42}, nil
		},
	})
	var eng ledger.Engine = enginetest.Loading(contract)

	ctx := context.Background()
	c, _ := eng.Load(ctx, []byte("any code"))
	res, _ := c.Call(ctx, runtime.Env{GasLimit: 1000}, "ping", nil, nil)
	fmt.Println(res.Code, string(res.Return), res.GasUsed)
	res, _ = c.Call(ctx, runtime.Env{GasLimit: 1000}, "pong", nil, nil)
	fmt.Println(res.Code)
	// Output:
	// ok "pong" 42
	// unknown_method
}
