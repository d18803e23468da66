// Command counter is the first version of the ledger tests' upgradeable
// contract: a counter that knows who calls it (the registry's directory)
// and emits events to an audience. counterv2 is its upgrade.
package main

import (
	"errors"
	"strconv"

	"github.com/meshledger/meshledger/sdk/contract"
)

func main() {}

func init() {
	contract.Method("init", initCounter)
	contract.Method("inc", inc)
	contract.Method("get", get)
	contract.Method("version", version)
	contract.Method("whoami", whoami)
	contract.Method("whois", whois)
}

var key = []byte("n")

type initArgs struct {
	Start int  `json:"start,omitempty"`
	Fail  bool `json:"fail,omitempty"`
}

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

func initCounter(ctx *contract.Context, a initArgs) (int, error) {
	if a.Fail {
		return 0, errors.New("init refused")
	}
	write(ctx, a.Start)
	return a.Start, nil
}

// inc adds one and tells the servicers.
func inc(ctx *contract.Context, _ none) (int, error) {
	n := read(ctx) + 1
	write(ctx, n)
	if err := ctx.EmitTo("inc", n, contract.ToRole("servicer")); err != nil {
		return 0, err
	}
	return n, nil
}

func get(ctx *contract.Context, _ none) (int, error) { return read(ctx), nil }

func version(*contract.Context, none) (int, error) { return 1, nil }

type identity struct {
	Org      string `json:"org"`
	Deployer bool   `json:"deployer"`
	Servicer bool   `json:"servicer"`
}

// whoami is the caller's place in the registry at the call's state.
func whoami(ctx *contract.Context, _ none) (identity, error) {
	return identity{Org: ctx.CallerOrg(), Deployer: ctx.HasRole("deployer"), Servicer: ctx.HasRole("servicer")}, nil
}

type whoisArgs struct {
	Address contract.Address `json:"address"`
}

type participant struct {
	Member bool     `json:"member"`
	Org    string   `json:"org"`
	Roles  []string `json:"roles"`
}

// whois looks any address up.
func whois(ctx *contract.Context, a whoisArgs) (participant, error) {
	p, ok := ctx.Participant(a.Address)
	return participant{Member: ok, Org: p.Org, Roles: p.Roles}, nil
}
