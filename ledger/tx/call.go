package tx

import (
	"encoding/json"
	"unicode/utf8"

	"github.com/ethereum/go-ethereum/common"
)

// Call runs one method of a deployed contract. EIP-712:
//
//	Call(address from,uint64 nonce,address contract,string method,bytes args,uint64 gasLimit)
type Call struct {
	From     common.Address
	Nonce    uint64
	Contract common.Address
	Method   string // non-empty UTF-8
	Args     []byte // UTF-8 JSON of the method's arguments; empty for none
	GasLimit uint64
}

var callTypeHash = typeHashOf(new(Call))

// Type implements Message.
func (c *Call) Type() string { return "call" }

// PrimaryType implements Message.
func (c *Call) PrimaryType() string { return "Call" }

// Fields implements Message.
func (c *Call) Fields() []Field {
	return []Field{
		{"from", TypeAddress, &c.From},
		{"nonce", TypeUint64, &c.Nonce},
		{"contract", TypeAddress, &c.Contract},
		{"method", TypeString, &c.Method},
		{"args", TypeBytes, &c.Args},
		{"gasLimit", TypeUint64, &c.GasLimit},
	}
}

// StructHash implements Message (see Deploy.StructHash).
func (c *Call) StructHash() common.Hash {
	h := getHasher()
	defer putHasher(h)
	return c.structHash(h)
}

func (c *Call) structHash(h *hasher) common.Hash {
	methodHash := h.sumString(c.Method)
	argsHash := h.sum(c.Args)
	buf := h.words(7)
	copy(buf[0:32], callTypeHash[:])
	putAddressWord(buf[32:64], c.From)
	putUint64Word(buf[64:96], c.Nonce)
	putAddressWord(buf[96:128], c.Contract)
	copy(buf[128:160], methodHash[:])
	copy(buf[160:192], argsHash[:])
	putUint64Word(buf[192:224], c.GasLimit)
	return h.sum(buf)
}

// Sender implements Message.
func (c *Call) Sender() common.Address { return c.From }

// AccountNonce implements Message.
func (c *Call) AccountNonce() uint64 { return c.Nonce }

// Gas implements Message.
func (c *Call) Gas() uint64 { return c.GasLimit }

// Validate implements Message.
func (c *Call) Validate(lim Limits) error {
	lim = lim.withDefaults()
	if err := checkName("message.method", c.Method, lim); err != nil {
		return err
	}
	if err := checkArgs("message.args", c.Args, lim); err != nil {
		return err
	}
	if c.GasLimit == 0 {
		return malformed("message.gasLimit", "must be greater than zero")
	}
	return nil
}

func checkName(field, s string, lim Limits) error {
	if err := checkLimit(field, len(s), lim.MaxNameBytes); err != nil {
		return err
	}
	if s == "" {
		return malformed(field, "must not be empty")
	}
	if !utf8.ValidString(s) {
		return malformed(field, "not valid UTF-8")
	}
	return nil
}

// checkArgs accepts empty arguments (no arguments) or one UTF-8 JSON value.
func checkArgs(field string, b []byte, lim Limits) error {
	if err := checkLimit(field, len(b), lim.MaxArgsBytes); err != nil {
		return err
	}
	if len(b) == 0 {
		return nil
	}
	// json.Valid does not check UTF-8 inside strings; contracts decode the
	// bytes as UTF-8 JSON, so both must hold.
	if !utf8.Valid(b) {
		return malformed(field, "not valid UTF-8")
	}
	if !json.Valid(b) {
		return malformed(field, "not valid JSON")
	}
	return nil
}
