package main

import "testing"

func testCLIContracts(t *testing.T, tn *testNet) {
	tn.cli(t, "contracts").want(t, 0, "ADDRESS", "NAME", "ORG", "VERSIONS", tn.loan.Hex(), "loan", "dev", "accept,assess,board,create,get,mesh.canRead,offerAssistance,pay,servicing")
	tn.cli(t, "contracts", tn.loan.Hex(), "--json").want(t, 0, `"name": "loan"`, `"methods"`)
	tn.cli(t, "contracts", "0x0000000000000000000000000000000000000001").wantErr(t, 3, "unknown_contract")
}
