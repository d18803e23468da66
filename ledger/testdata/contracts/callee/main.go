// Command callee is the ledger tests' called contract: set writes its key
// "v" and may then fail, run out of gas, call back into a contract on the
// call stack or pass the call on down a chain of callees.
package main

import (
	"errors"

	"github.com/meshledger/meshledger/sdk/contract"
)

func main() {}

func init() {
	contract.Method("set", set)
	contract.Method("get", get)
	contract.Method("caller", caller)
}

type setArgs struct {
	Value string `json:"value"`
	Fail  bool   `json:"fail,omitempty"`
	Burn  bool   `json:"burn,omitempty"`
	// Back is called ("get") after the write: a contract on the call
	// stack, for reentrancy.
	Back contract.Address `json:"back,omitempty"`
	// Next are the callees the call is passed on to, the first getting
	// the rest: a chain as deep as the list is long.
	Next []contract.Address `json:"next,omitempty"`
}

func set(ctx *contract.Context, a setArgs) (string, error) {
	ctx.Set([]byte("v"), []byte(a.Value))
	if err := ctx.Emit("set", a.Value); err != nil {
		return "", err
	}
	if !a.Back.IsZero() {
		if err := ctx.Call(a.Back, "get", map[string]string{"key": "c"}, nil); err != nil {
			return "", err
		}
	}
	if len(a.Next) > 0 {
		if err := ctx.Call(a.Next[0], "set", setArgs{Value: a.Value, Next: a.Next[1:]}, nil); err != nil {
			return "", err
		}
	}
	if a.Burn {
		// Reads until the gas runs out: each one is charged.
		for {
			ctx.Get([]byte("v"))
		}
	}
	if a.Fail {
		return "", errors.New("callee refused")
	}
	return a.Value, nil
}

type getArgs struct {
	Key string `json:"key"`
}

func get(ctx *contract.Context, a getArgs) (string, error) {
	v, _ := ctx.Get([]byte(a.Key))
	return string(v), nil
}

// caller is who called: the calling contract's address in a cross call.
func caller(ctx *contract.Context, _ struct{}) (contract.Address, error) {
	return ctx.Caller(), nil
}
