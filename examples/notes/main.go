// Command notes is the smallest useful meshledger contract: anyone may put a
// note under a key, and every change is an event. It is the example of the
// README; build it with `make contracts`.
package main

import (
	"errors"

	"github.com/meshledger/meshledger/sdk/contract"
)

// Note is a put request and the stored record.
type Note struct {
	Key  string `json:"key"`
	Text string `json:"text"`
}

func init() { // main is never called: methods are registered at initialisation
	contract.Method("put", put)
	contract.Method("get", get)
}

func put(ctx *contract.Context, n Note) (bool, error) {
	if n.Key == "" {
		return false, errors.New("key is required")
	}
	ctx.Set([]byte("note/"+n.Key), []byte(n.Text))
	return true, ctx.Emit("NotePut", n)
}

func get(ctx *contract.Context, n Note) (Note, error) {
	v, ok := ctx.Get([]byte("note/" + n.Key))
	if !ok {
		return Note{}, errors.New("no note " + n.Key)
	}
	return Note{Key: n.Key, Text: string(v)}, nil
}

func main() {}
