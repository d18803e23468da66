package client

import (
	"errors"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/tx"
)

// Op is a transaction to sign: a deploy, a call or an upgrade. The client
// fills in the sender, nonce, gas limit and chain when it signs.
type Op struct {
	deploy  *tx.Deploy
	code    []byte
	call    *tx.Call
	upgrade *tx.Upgrade
	gas     uint64 // 0: the client's default for the kind
	err     error
}

// WithGas returns a copy of op with its own gas limit.
func (op Op) WithGas(gas uint64) Op {
	op.gas = gas
	return op
}

// gasLimit is op's gas limit: its own, else the client's default for calls
// or, for deploys and upgrades (which run validation, instrumentation and
// init or migrate), DefaultDeployGasLimit when the client's default is
// lower.
func (op Op) gasLimit(def uint64) uint64 {
	switch {
	case op.gas != 0:
		return op.gas
	case op.deploy != nil, op.upgrade != nil:
		return max(def, DefaultDeployGasLimit)
	}
	return def
}

// DeployOp deploys Wasm code as a contract named name, calling its init
// method with initArgs (see Query for how args are encoded). The new
// contract's address is the committed receipt's ContractAddress.
func DeployOp(code []byte, name string, initArgs any) Op {
	raw, err := encodeArgs(initArgs)
	return Op{deploy: &tx.Deploy{Name: name, InitArgs: raw}, code: code, err: err}
}

// CallOp calls method of contract with args.
func CallOp(contract common.Address, method string, args any) Op {
	raw, err := encodeArgs(args)
	return Op{call: &tx.Call{Contract: contract, Method: method, Args: raw}, err: err}
}

// Sign signs op for chainID with key, at nonce. gas is the gas limit when
// op has none of its own (WithGas). It is what the client does for each
// submission; load generators use it directly to sign ahead of time (and
// send with SubmitRaw).
func (op Op) Sign(key *Key, chainID, nonce, gas uint64) (*tx.Tx, error) {
	if op.err != nil {
		return nil, op.err
	}
	gas = op.gasLimit(gas)
	switch {
	case op.deploy != nil:
		d := *op.deploy
		d.From, d.Nonce, d.GasLimit = key.Address(), nonce, gas
		return tx.SignDeploy(d, op.code, chainID, key.PrivateKey())
	case op.call != nil:
		c := *op.call
		c.From, c.Nonce, c.GasLimit = key.Address(), nonce, gas
		return tx.SignCall(c, chainID, key.PrivateKey())
	case op.upgrade != nil:
		u := *op.upgrade
		u.From, u.Nonce, u.GasLimit = key.Address(), nonce, gas
		return tx.SignUpgrade(u, op.code, chainID, key.PrivateKey())
	}
	return nil, errors.New("client: empty Op")
}
