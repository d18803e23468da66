package ledger

import (
	"encoding/binary"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/proof"
	"github.com/meshledger/meshledger/ledger/state"
)

// SystemAddress is the reserved contract address under which the ledger
// commits its own records (account nonces, contract metadata) in the state
// trie, so that the state root covers them and they can be proven like
// any contract key. No contract can ever be deployed there (runDeploy
// refuses it), and contract writes are always scoped by the writing
// contract's own address, so no contract can write into it.
var SystemAddress = common.Address{}

// Key prefixes of the system namespace (docs/state.md).
const (
	SystemNoncePrefix    = "nonce/"    // ‖ account (20 bytes) → u64 big-endian next nonce
	SystemContractPrefix = "contract/" // ‖ contract (20 bytes) → RLP contract record
)

// NonceStateKey is the system-namespace key of an account's next nonce.
func NonceStateKey(account common.Address) []byte {
	return append([]byte(SystemNoncePrefix), account[:]...)
}

// ContractStateKey is the system-namespace key of a contract's metadata.
func ContractStateKey(contract common.Address) []byte {
	return append([]byte(SystemContractPrefix), contract[:]...)
}

// recordNonce commits an account's new next nonce to the trie, attributed
// to the transaction that used the previous one.
func (b *pendingBlock) recordNonce(account common.Address, next uint64, txIndex uint32, txHash common.Hash) {
	b.changes = append(b.changes, state.Change{
		Contract: SystemAddress, Key: NonceStateKey(account),
		Value: binary.BigEndian.AppendUint64(nil, next), TxIndex: txIndex, TxHash: txHash,
	})
}

// recordContract commits a deployed contract's metadata to the trie: the
// same bytes as the flat index (storage.ContractKey).
func (b *pendingBlock) recordContract(addr common.Address, c *contractRecord, txIndex uint32, txHash common.Hash) error {
	enc, err := encodeContract(c)
	if err != nil {
		return fmt.Errorf("ledger: encode contract %s: %w", addr, err)
	}
	b.changes = append(b.changes, state.Change{
		Contract: SystemAddress, Key: ContractStateKey(addr), Value: enc, TxIndex: txIndex, TxHash: txHash,
	})
	return nil
}

// AccountProof is an account's next nonce proven against a signed header.
type AccountProof struct {
	Nonce  uint64
	Header *block.SignedHeader
	Proof  *proof.StateProof // key NonceStateKey(account) of SystemAddress; absent means 0
}

// ContractProof is a contract's metadata proven against a signed header.
type ContractProof struct {
	Info   *ContractInfo
	Header *block.SignedHeader
	Proof  *proof.StateProof // key ContractStateKey(contract) of SystemAddress
}

// ProveAccount returns an account's next nonce at the latest block with a
// proof against that block's state root. The nonce is read from the proof
// itself, so the answer and its proof always agree, without holding any
// lock: a committed root is immutable.
func (l *Ledger) ProveAccount(account common.Address) (*AccountProof, error) {
	sh := l.latest.Load()
	p, err := l.state.Prove(sh.Header.StateRoot, SystemAddress, NonceStateKey(account))
	if err != nil {
		return nil, fmt.Errorf("ledger: prove nonce of %s: %w", account, err)
	}
	out := &AccountProof{Header: sh, Proof: p}
	if p.Exists {
		if len(p.Value) != 8 {
			return nil, fmt.Errorf("ledger: nonce of %s in state is %d bytes", account, len(p.Value))
		}
		out.Nonce = binary.BigEndian.Uint64(p.Value)
	}
	return out, nil
}

// ProveContract returns a contract's metadata at the latest block with a
// proof against that block's state root (ErrUnknownContract if none).
func (l *Ledger) ProveContract(addr common.Address) (*ContractProof, error) {
	sh := l.latest.Load()
	p, err := l.state.Prove(sh.Header.StateRoot, SystemAddress, ContractStateKey(addr))
	if err != nil {
		return nil, fmt.Errorf("ledger: prove contract %s: %w", addr, err)
	}
	if !p.Exists {
		return nil, fmt.Errorf("%w: %s", ErrUnknownContract, addr)
	}
	c, err := decodeContract(p.Value)
	if err != nil {
		return nil, err
	}
	return &ContractProof{Info: c.info(addr), Header: sh, Proof: p}, nil
}
