package registry_test

import (
	"encoding/json"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/registry"
)

// A two-organisation network: the bank adds a servicer to its own
// organisation at once, while adding a third organisation needs both
// organisations (a majority of two is two).
func ExampleExecute() {
	bank := common.HexToAddress("0xb0")
	fund := common.HexToAddress("0xf0")
	st := registry.NewMemStore()
	err := registry.Genesis(st, registry.GenesisSpec{Orgs: []registry.GenesisOrg{
		{ID: "bank", Name: "Bank", Members: []registry.GenesisMember{{Address: bank, Roles: []string{"admin"}}}},
		{ID: "fund", Name: "Fund", Members: []registry.GenesisMember{{Address: fund, Roles: []string{"admin"}}}},
	}})
	if err != nil {
		panic(err)
	}
	env := registry.Env{Caller: bank, Height: 1, TimeMs: 1_700_000_000_000}

	out, err := registry.Execute(st, env, "addMember", []byte(`{"address":"0x00000000000000000000000000000000000000b1","roles":["servicer"]}`))
	fmt.Println(string(out.Return), err)

	out, _ = registry.Execute(st, env, "propose", []byte(`{"kind":"addOrg","params":{"id":"insurer","name":"Insurer","admins":["0x00000000000000000000000000000000000000c0"]}}`))
	var p registry.Proposal
	_ = json.Unmarshal(out.Return, &p)
	fmt.Println(p.ID, p.Status, p.Approvals)

	env.Caller = fund
	out, _ = registry.Execute(st, env, "approve", []byte(`{"id":1}`))
	_ = json.Unmarshal(out.Return, &p)
	fmt.Println(p.ID, p.Status, p.Approvals)

	_, err = registry.Execute(st, env, "approve", []byte(`{"id":1}`))
	fmt.Println(registry.Code(err))
	// Output:
	// {"address":"0x00000000000000000000000000000000000000b1","org":"bank","roles":["servicer"]} <nil>
	// 1 open [bank]
	// 1 executed [bank fund]
	// proposal_closed
}

// An event's audience decides who receives it.
func ExampleSees() {
	reader := common.HexToAddress("0xb1")
	servicer := &registry.Member{Address: reader, Org: "bank", Roles: []string{"servicer"}}
	fmt.Println(registry.Sees(reader, servicer, []string{"role:servicer"}, "fund"))
	fmt.Println(registry.Sees(reader, servicer, []string{"org:fund"}, "fund"))
	fmt.Println(registry.Sees(reader, servicer, nil, "bank")) // empty: the contract's org
	fmt.Println(registry.Sees(reader, nil, []string{"members"}, "bank"))
	// Output:
	// true
	// false
	// true
	// false
}
