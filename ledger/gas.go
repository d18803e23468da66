package ledger

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/storage"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/runtime"
)

// A block has two gas budgets (docs/design.md, "Gas limits"): execution
// gas (calls, and the init method of deploys), bounded by the block gas
// limit and, per transaction, by the cap; and intrinsic deploy gas
// (runtime.DeployGas), bounded by the block deploy gas limit. A deploy's
// gas limit pays for both: its intrinsic gas first, the rest (up to the
// cap) for init.

// gasParts splits a transaction's gas limit into what it may spend on
// intrinsic deploy gas and on execution: what admission must find left in
// each of the block's budgets. need is a deploy's full intrinsic gas,
// which run charges.
func (l *Ledger) gasParts(b *pendingBlock, t *tx.Tx) (intrinsic, exec, need uint64, err error) {
	gas := t.Message().Gas()
	d, ok := t.Message().(tx.CodeCarrier)
	if !ok {
		return 0, gas, 0, nil
	}
	need, err = l.intrinsicDeployGas(b, d.CodeHashOf(), t.Code())
	if err != nil {
		return 0, 0, 0, err
	}
	intrinsic = min(gas, need)
	return intrinsic, min(gas-intrinsic, l.txGasCap), need, nil
}

// deployGasMemoized is how many stored codes' deploy gas the ledger
// keeps: deploys by hash of the same few codes measure them once.
const deployGasMemoized = 1024

// intrinsicDeployGas is runtime.DeployGas of the code of hash: code, or,
// when code is nil, the code in this block or the store. Code carried by
// the transaction or by this block is measured each time, so a
// transaction that is then rejected or a block that is abandoned leaves
// nothing behind; the store's is memoised (it is a pure function of the
// code) in a bounded memo.
func (l *Ledger) intrinsicDeployGas(b *pendingBlock, hash common.Hash, code []byte) (uint64, error) {
	if code == nil {
		code, _ = b.code(hash)
	}
	if code != nil {
		return deployGasOf(code), nil
	}
	return l.deployGas.Get(hash)
}

// storedDeployGas is runtime.DeployGas of the stored code of hash.
func (l *Ledger) storedDeployGas(hash common.Hash) (uint64, error) {
	code, err := l.codeOf(nil, hash)
	if err != nil {
		return 0, err
	}
	return deployGasOf(code), nil
}

// deployGasOf is runtime.DeployGas of code. Code that does not decode is
// charged its bytes; its deploy then fails to load, which the receipt
// reports.
func deployGasOf(code []byte) uint64 {
	g, _ := runtime.DeployGas(code)
	return g
}

// codeOf returns the code of hash from this block or the store.
func (l *Ledger) codeOf(b *pendingBlock, hash common.Hash) ([]byte, error) {
	if code, ok := b.code(hash); ok {
		return code, nil
	}
	code, found, err := storage.Get(l.kv, storage.CodeKey(hash))
	if err != nil {
		return nil, fmt.Errorf("read code %s: %w", hash, err)
	}
	if !found {
		return nil, fmt.Errorf("%w: %s", ErrUnknownCode, hash)
	}
	return code, nil
}

// checkGasLimits makes the stateless gas checks: a call's gas limit is
// capped per transaction (and by the block gas limit), a deploy's by the
// block deploy gas limit, which it can never use more than (an upgrade,
// which loads code the same way, like a deploy's).
func (l *Ledger) checkGasLimits(msg tx.Message) error {
	if _, ok := msg.(tx.CodeCarrier); ok {
		return tx.CheckDeployGasLimit(msg.Gas(), l.deployGasLimit)
	}
	return tx.CheckTxGasCap(msg.Gas(), l.txGasCap)
}

// BlockGas is what t takes from a block's two gas budgets if included:
// exec from the block gas limit (BlockGasLimit) and deploy, a deploy's or
// upgrade's intrinsic gas, from the block deploy gas limit
// (BlockDeployGasLimit). A proposer that keeps a block within both never
// sees a transaction rejected for an exhausted block (ErrBlockGasExhausted).
func (l *Ledger) BlockGas(t *tx.Tx) (exec, deploy uint64, err error) {
	deploy, exec, _, err = l.gasParts(nil, t)
	return exec, deploy, err
}

// BlockDeployGasLimit bounds the intrinsic deploy gas of one block's
// deploys and upgrades.
func (l *Ledger) BlockDeployGasLimit() uint64 { return l.deployGasLimit }
