package main

import "testing"

func testCLIChain(t *testing.T, tn *testNet) {
	tn.cli(t, "chain").want(t, 0, "chain id:", "1337", "genesis:", "latest height:", "node address:", tn.node.Address().Hex())
	tn.cli(t, "chain", "--json").want(t, 0, `"chainId": 1337`, `"nodeAddress"`)
}

func TestChainNodeDown(t *testing.T) {
	runCLI(t, map[string]string{"MESHLEDGER_NODE": "http://127.0.0.1:1"}, "chain").wantErr(t, 1, "connection refused")
}
