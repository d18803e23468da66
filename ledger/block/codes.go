package block

import "github.com/meshledger/meshledger/status"

// Receipt statuses the ledger decides itself, for failures before or
// around the contract, under the names the block package has always used.
// A contract call's status is the runtime's result code and a refused
// deploy's the runtime's deploy code; all are package status codes and
// all are consensus: never rename one.
const (
	StatusOK = status.OK
	// StatusUnknownContract: the called address holds no contract.
	StatusUnknownContract = status.UnknownContract
	// StatusDeployFailed: deploy failures carry the runtime's deploy error
	// code (e.g. "malformed"); this one is used when the runtime
	// reports a deploy failure without a code.
	StatusDeployFailed = status.DeployFailed
	// StatusAddressInUse: a deploy derived an address that already holds a
	// contract (only reachable by a keccak collision or a replayed nonce).
	StatusAddressInUse = status.AddressInUse
)
