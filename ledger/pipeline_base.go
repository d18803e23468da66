package ledger

import (
	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/runtime"
)

// A block executed on top of another that is not yet durable (Pipeline)
// must read exactly what it would read had that block been committed
// first: the helpers below look in the block, then in the blocks it was
// executed after (prev), and only then in the store. Keys a prev block did
// not write have the same value in the store before and after its batch is
// written, so a read that reaches the store is right whichever side of
// that write it lands on.

// baseState is the state contract's reads in b fall to under b's own
// writes: the store's latest (flat index), under the writes of the blocks
// b was executed after that are not yet durable.
func (l *Ledger) baseState(b *pendingBlock, contract common.Address) runtime.State {
	var base runtime.State = l.state.ContractReader(contract)
	if b == nil {
		return base
	}
	// Oldest first, so that the newest block's writes win.
	var chain []*pendingBlock
	for p := b.prev; p != nil; p = p.prev {
		chain = append(chain, p)
	}
	for i := len(chain) - 1; i >= 0; i-- {
		if entries := chain[i].ov.byContract[contract]; entries != nil {
			base = &contractState{entries: entries, base: base}
		}
	}
	return base
}

// nonce returns account's next nonce as set by b or a block before it
// that is not yet durable. Safe on a nil b.
func (b *pendingBlock) nonce(account common.Address) (uint64, bool) {
	for ; b != nil; b = b.prev {
		if n, ok := b.nonces[account]; ok {
			return n, true
		}
	}
	return 0, false
}

// code returns the code of hash stored by b or a block before it that is
// not yet durable. Safe on a nil b.
func (b *pendingBlock) code(hash common.Hash) ([]byte, bool) {
	for ; b != nil; b = b.prev {
		if c, ok := b.codes[hash]; ok {
			return c, true
		}
	}
	return nil, false
}

// contract returns the contract record written at addr by b or a block
// before it that is not yet durable. Safe on a nil b.
func (b *pendingBlock) contract(addr common.Address) (*contractRecord, bool) {
	for ; b != nil; b = b.prev {
		if c, ok := b.contracts[addr]; ok {
			return c, true
		}
	}
	return nil, false
}

// wroteRegistry reports whether b or a block before it that is not yet
// durable wrote the participant registry: then the ledger's cached
// registry lookups (tipMembers), which are the durable state's, do not
// answer for a block executed after it. Safe on a nil b.
func (b *pendingBlock) wroteRegistry() bool {
	for ; b != nil; b = b.prev {
		if len(b.ov.byContract[registry.Address]) > 0 {
			return true
		}
	}
	return false
}
