package tx

import (
	"encoding/binary"
	"strconv"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// The EIP-712 domain. These values are part of the public interface: every
// signature ever made depends on them.
const (
	DomainName     = "meshledger"
	DomainVersion  = "1"
	domainTypeName = "EIP712Domain"
)

// domainFields is the domain's type definition, in this exact order.
var domainFields = []FieldType{
	{Name: "name", Type: "string"},
	{Name: "version", Type: "string"},
	{Name: "chainId", Type: "uint256"},
}

// Precomputed words of the domain separator: constants, never modified.
var (
	domainTypeHash = crypto.Keccak256Hash([]byte(encodeType(domainTypeName, domainFields)))
	domainNameHash = crypto.Keccak256Hash([]byte(DomainName))
	domainVerHash  = crypto.Keccak256Hash([]byte(DomainVersion))
)

// DomainSeparator returns hashStruct(EIP712Domain{name, version, chainId}).
func DomainSeparator(chainID uint64) common.Hash {
	h := getHasher()
	defer putHasher(h)
	return domainSeparator(h, chainID)
}

func domainSeparator(h *hasher, chainID uint64) common.Hash {
	if h.sepSet && h.sepChain == chainID {
		return h.sep
	}
	buf := h.words(4)
	copy(buf[0:], domainTypeHash[:])
	copy(buf[32:], domainNameHash[:])
	copy(buf[64:], domainVerHash[:])
	putUint64Word(buf[96:128], chainID)
	h.sep, h.sepChain, h.sepSet = h.sum(buf), chainID, true
	return h.sep
}

// Digest returns the EIP-712 signing hash of msg on chain chainID:
// keccak256(0x19 0x01 ‖ domainSeparator ‖ hashStruct(msg)). It is also the
// transaction hash.
func Digest(msg Message, chainID uint64) common.Hash {
	h := getHasher()
	defer putHasher(h)
	var structHash common.Hash
	if sh, ok := msg.(structHasher); ok {
		structHash = sh.structHash(h)
	} else {
		structHash = msg.StructHash()
	}
	sep := domainSeparator(h, chainID)
	buf := h.buf[:2+64]
	buf[0], buf[1] = 0x19, 0x01
	copy(buf[2:], sep[:])
	copy(buf[34:], structHash[:])
	return h.sum(buf)
}

// putUint64Word writes v as a 32-byte big-endian EIP-712 word (w must be
// zeroed: only the low 8 bytes are written).
func putUint64Word(w []byte, v uint64) {
	binary.BigEndian.PutUint64(w[24:32], v)
}

// putAddressWord writes a as a left-padded 32-byte word (w must be zeroed).
func putAddressWord(w []byte, a common.Address) {
	copy(w[12:32], a[:])
}

// Domain is the EIP-712 domain in the JSON form signers take. ChainID is a
// decimal string so that no JSON reader loses precision.
type Domain struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	ChainID string `json:"chainId"`
}

// TypedDataSpec is what a client needs to sign: the domain, every type
// definition (EIP712Domain included, as eth_signTypedData_v4 wants it, and
// ReadSession, SessionPrimaryType, for read sessions), and for each wire
// transaction type its EIP-712 primary type (sessions are not
// transactions, so PrimaryTypes does not list them). For ethers.js
// signTypedData(domain, types, value), pass only {[primary]: Types[primary]}:
// ethers derives the domain type itself and rejects unused types.
type TypedDataSpec struct {
	Domain       Domain                 `json:"domain"`
	Types        map[string][]FieldType `json:"types"`
	PrimaryTypes map[string]string      `json:"primaryTypes"`
}

// TypedData returns the signing description of the standard types on chain
// chainID; the node serves it at GET /v1/chain.
func TypedData(chainID uint64) TypedDataSpec { return standard.TypedData(chainID) }

// TypedData returns the signing description of the registry's types,
// generated from their definitions, and of ReadSession.
func (r *Registry) TypedData(chainID uint64) TypedDataSpec {
	spec := TypedDataSpec{
		Domain: Domain{Name: DomainName, Version: DomainVersion, ChainID: strconv.FormatUint(chainID, 10)},
		Types: map[string][]FieldType{
			domainTypeName:     append([]FieldType(nil), domainFields...),
			SessionPrimaryType: append([]FieldType(nil), sessionFields...),
		},
		PrimaryTypes: make(map[string]string, len(r.names)),
	}
	for _, name := range r.names {
		m := r.ctors[name]()
		spec.Types[m.PrimaryType()] = fieldTypes(m)
		spec.PrimaryTypes[name] = m.PrimaryType()
	}
	return spec
}
