package block

// Receipt statuses. A contract call's status is the runtime's result code
// (runtime.Code, "ok", "out_of_gas", ...); these are the ledger's own, for
// failures decided before or around the contract. All are consensus: never
// rename one.
const (
	StatusOK Status = "ok"
	// StatusUnknownContract: the called address holds no contract.
	StatusUnknownContract Status = "unknown_contract"
	// StatusDeployFailed prefixes nothing: deploy failures carry the
	// runtime's deploy error code (e.g. "invalid_module"); this one is used
	// when the runtime reports a deploy failure without a code.
	StatusDeployFailed Status = "deploy_failed"
	// StatusAddressInUse: a deploy derived an address that already holds a
	// contract (only reachable by a keccak collision or a replayed nonce).
	StatusAddressInUse Status = "address_in_use"
)

// OK reports whether the receipt status is success.
func (s Status) OK() bool { return s == StatusOK }
