// Command caller is the ledger tests' calling contract: run writes its
// own key, then calls a method of another contract and either handles a
// failure (returning its code) or fails with it.
package main

import (
	"encoding/json"
	"errors"

	"github.com/meshledger/meshledger/sdk/contract"
)

func main() {}

func init() {
	contract.Method("run", run)
	contract.Method("get", get)
}

type runArgs struct {
	Callee contract.Address `json:"callee"`
	Method string           `json:"method"`
	Args   json.RawMessage  `json:"args,omitempty"`
	// Handle: a failed call is answered with its code instead of failing
	// this call too.
	Handle bool `json:"handle,omitempty"`
	// Set, when not empty, is written to key "c" before the call, with an
	// event "ran".
	Set string `json:"set,omitempty"`
}

type runOut struct {
	Code    string          `json:"code"`
	Message string          `json:"message,omitempty"`
	Result  json.RawMessage `json:"result,omitempty"`
}

func run(ctx *contract.Context, a runArgs) (runOut, error) {
	if a.Set != "" {
		ctx.Set([]byte("c"), []byte(a.Set))
		if err := ctx.Emit("ran", a.Set); err != nil {
			return runOut{}, err
		}
	}
	var out json.RawMessage
	err := ctx.Call(a.Callee, a.Method, []byte(a.Args), &out)
	var ce *contract.CallError
	switch {
	case err == nil:
		return runOut{Code: "ok", Result: out}, nil
	case a.Handle && errors.As(err, &ce):
		return runOut{Code: ce.Code, Message: ce.Message}, nil
	default:
		return runOut{}, err
	}
}

type getArgs struct {
	Key string `json:"key"`
}

func get(ctx *contract.Context, a getArgs) (string, error) {
	v, _ := ctx.Get([]byte(a.Key))
	return string(v), nil
}
