package tx

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// Deploy installs a Wasm contract. EIP-712:
//
//	Deploy(address from,uint64 nonce,bytes32 codeHash,string name,bytes initArgs,uint64 gasLimit)
//
// The code itself is not signed: it travels beside the message (Tx.Code)
// and is bound to it by CodeHash = keccak256(code). Once the ledger stores
// code under its hash, a later deploy may omit it.
type Deploy struct {
	From     common.Address
	Nonce    uint64
	CodeHash common.Hash // keccak256 of the Wasm code
	Name     string      // human-readable contract name, non-empty UTF-8
	InitArgs []byte      // JSON for the contract's init method; empty for none
	GasLimit uint64
}

var deployTypeHash = typeHashOf(new(Deploy))

// Type implements Message.
func (d *Deploy) Type() string { return "deploy" }

// PrimaryType implements Message.
func (d *Deploy) PrimaryType() string { return "Deploy" }

// Fields implements Message.
func (d *Deploy) Fields() []Field {
	return []Field{
		{"from", TypeAddress, &d.From},
		{"nonce", TypeUint64, &d.Nonce},
		{"codeHash", TypeBytes32, &d.CodeHash},
		{"name", TypeString, &d.Name},
		{"initArgs", TypeBytes, &d.InitArgs},
		{"gasLimit", TypeUint64, &d.GasLimit},
	}
}

// StructHash implements Message: hashStruct without reflection or big.Int,
// since it runs for every transaction received and every block replayed.
func (d *Deploy) StructHash() common.Hash {
	h := getHasher()
	defer putHasher(h)
	return d.structHash(h)
}

func (d *Deploy) structHash(h *hasher) common.Hash {
	nameHash := h.sumString(d.Name)
	argsHash := h.sum(d.InitArgs)
	buf := h.words(7)
	copy(buf[0:32], deployTypeHash[:])
	putAddressWord(buf[32:64], d.From)
	putUint64Word(buf[64:96], d.Nonce)
	copy(buf[96:128], d.CodeHash[:])
	copy(buf[128:160], nameHash[:])
	copy(buf[160:192], argsHash[:])
	putUint64Word(buf[192:224], d.GasLimit)
	return h.sum(buf)
}

// Sender implements Message.
func (d *Deploy) Sender() common.Address { return d.From }

// AccountNonce implements Message.
func (d *Deploy) AccountNonce() uint64 { return d.Nonce }

// Gas implements Message.
func (d *Deploy) Gas() uint64 { return d.GasLimit }

// CodeHashOf implements CodeCarrier.
func (d *Deploy) CodeHashOf() common.Hash { return d.CodeHash }

// Validate implements Message.
func (d *Deploy) Validate(lim Limits) error {
	lim = lim.withDefaults()
	if err := checkName("message.name", d.Name, lim); err != nil {
		return err
	}
	if err := checkArgs("message.initArgs", d.InitArgs, lim); err != nil {
		return err
	}
	if d.CodeHash == (common.Hash{}) {
		return malformed("message.codeHash", "must not be zero")
	}
	if d.GasLimit == 0 {
		return malformed("message.gasLimit", "must be greater than zero")
	}
	return nil
}

// ContractAddress returns the address the deployed contract will have.
func (d *Deploy) ContractAddress() common.Address { return ContractAddress(d.From, d.Nonce) }

// ContractAddress derives a contract address exactly as Ethereum's CREATE:
// keccak256(rlp([deployer, nonce]))[12:]. It depends only on who deploys
// and their nonce, so a client knows the address before sending.
func ContractAddress(deployer common.Address, nonce uint64) common.Address {
	return crypto.CreateAddress(deployer, nonce)
}
