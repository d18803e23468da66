package tx

import (
	"crypto/ecdsa"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
)

// Upgrade replaces a deployed contract's code at the same address, keeping
// its state. EIP-712:
//
//	Upgrade(address from,uint64 nonce,address contract,bytes32 codeHash,bytes migrateArgs,uint64 gasLimit)
//
// Like a deploy, the code travels beside the message (Tx.Code), bound by
// CodeHash, and may be omitted when the ledger already stores it. Under
// the approval deploy policy the upgrade becomes a proposal and takes
// effect once approved; the new code's migrate method, if it has one,
// then runs with MigrateArgs.
type Upgrade struct {
	From        common.Address
	Nonce       uint64
	Contract    common.Address // the contract to upgrade
	CodeHash    common.Hash    // keccak256 of the new Wasm code
	MigrateArgs []byte         // JSON for the new code's migrate method; empty for none
	GasLimit    uint64
}

var upgradeTypeHash = typeHashOf(new(Upgrade))

// Type implements Message.
func (u *Upgrade) Type() string { return "upgrade" }

// PrimaryType implements Message.
func (u *Upgrade) PrimaryType() string { return "Upgrade" }

// Fields implements Message.
func (u *Upgrade) Fields() []Field {
	return []Field{
		{"from", TypeAddress, &u.From},
		{"nonce", TypeUint64, &u.Nonce},
		{"contract", TypeAddress, &u.Contract},
		{"codeHash", TypeBytes32, &u.CodeHash},
		{"migrateArgs", TypeBytes, &u.MigrateArgs},
		{"gasLimit", TypeUint64, &u.GasLimit},
	}
}

// StructHash implements Message (see Deploy.StructHash).
func (u *Upgrade) StructHash() common.Hash {
	h := getHasher()
	defer putHasher(h)
	return u.structHash(h)
}

func (u *Upgrade) structHash(h *hasher) common.Hash {
	argsHash := h.sum(u.MigrateArgs)
	buf := h.words(7)
	copy(buf[0:32], upgradeTypeHash[:])
	putAddressWord(buf[32:64], u.From)
	putUint64Word(buf[64:96], u.Nonce)
	putAddressWord(buf[96:128], u.Contract)
	copy(buf[128:160], u.CodeHash[:])
	copy(buf[160:192], argsHash[:])
	putUint64Word(buf[192:224], u.GasLimit)
	return h.sum(buf)
}

// Sender implements Message.
func (u *Upgrade) Sender() common.Address { return u.From }

// AccountNonce implements Message.
func (u *Upgrade) AccountNonce() uint64 { return u.Nonce }

// Gas implements Message.
func (u *Upgrade) Gas() uint64 { return u.GasLimit }

// CodeHashOf implements CodeCarrier.
func (u *Upgrade) CodeHashOf() common.Hash { return u.CodeHash }

// Validate implements Message.
func (u *Upgrade) Validate(lim Limits) error {
	lim = lim.withDefaults()
	if err := checkArgs("message.migrateArgs", u.MigrateArgs, lim); err != nil {
		return err
	}
	if u.CodeHash == (common.Hash{}) {
		return malformed("message.codeHash", "must not be zero")
	}
	if u.Contract == (common.Address{}) {
		return malformed("message.contract", "must not be zero")
	}
	if u.GasLimit == 0 {
		return malformed("message.gasLimit", "must be greater than zero")
	}
	return nil
}

// SignUpgrade signs an upgrade carrying code, as SignDeploy does a deploy.
func SignUpgrade(u Upgrade, code []byte, chainID uint64, key *ecdsa.PrivateKey) (*Tx, error) {
	if err := bindCode(&u.CodeHash, code); err != nil {
		return nil, fmt.Errorf("tx: sign upgrade: %w", err)
	}
	return sign(&u, chainID, key, code)
}
