// Command counterv2 is the upgrade of counter: it keeps the count, adds
// two per increment, and migrates by adding a given amount to the count
// and marking the state migrated.
package main

import (
	"errors"
	"strconv"

	"github.com/meshledger/meshledger/sdk/contract"
)

func main() {}

func init() {
	contract.Method("migrate", migrate)
	contract.Method("inc", inc)
	contract.Method("get", get)
	contract.Method("version", version)
	contract.Method("migrated", migrated)
}

var key = []byte("n")

type none struct{}

func read(ctx *contract.Context) int {
	v, ok := ctx.Get(key)
	if !ok {
		return 0
	}
	n, _ := strconv.Atoi(string(v))
	return n
}

func write(ctx *contract.Context, n int) { ctx.Set(key, []byte(strconv.Itoa(n))) }

type migrateArgs struct {
	Add  int  `json:"add,omitempty"`
	Fail bool `json:"fail,omitempty"`
}

func migrate(ctx *contract.Context, a migrateArgs) (int, error) {
	if a.Fail {
		return 0, errors.New("migration refused")
	}
	n := read(ctx) + a.Add
	write(ctx, n)
	ctx.Set([]byte("migrated"), []byte("yes"))
	return n, nil
}

func inc(ctx *contract.Context, _ none) (int, error) {
	n := read(ctx) + 2
	write(ctx, n)
	return n, nil
}

func get(ctx *contract.Context, _ none) (int, error) { return read(ctx), nil }

func version(*contract.Context, none) (int, error) { return 2, nil }

func migrated(ctx *contract.Context, _ none) (bool, error) { return ctx.Has([]byte("migrated")), nil }
