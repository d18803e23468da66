package tx

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// EIP-712 member types a message may use. Each has one JSON form and one
// RLP form, handled generically by the codecs.
const (
	TypeAddress = "address" // JSON 0x + 40 hex (EIP-55 checked if mixed case); RLP 20 bytes
	TypeUint64  = "uint64"  // JSON decimal string or number; RLP integer
	TypeBytes32 = "bytes32" // JSON 0x + 64 hex; RLP 32 bytes
	TypeString  = "string"  // JSON string (valid UTF-8); RLP bytes
	TypeBytes   = "bytes"   // JSON 0x + even hex; RLP bytes
)

// Field binds one EIP-712 struct member to the Go variable that holds it.
// Ptr must be *common.Address, *uint64, *common.Hash, *string or *[]byte,
// matching Type.
type Field struct {
	Name string
	Type string
	Ptr  any
}

// Message is the signed part of a transaction: one EIP-712 struct. New
// transaction types implement it and are added to a Registry.
//
// Fields, StructHash and the EIP-712 definition must agree: StructHash is
// hand-written for speed, and the package's differential test checks it
// against go-ethereum's generic EIP-712 hashing driven by Fields.
type Message interface {
	// Type is the wire name ("deploy", "call"), the envelope's "type".
	Type() string
	// PrimaryType is the EIP-712 struct name ("Deploy", "Call").
	PrimaryType() string
	// Fields lists the members in EIP-712 order, pointing into the message.
	Fields() []Field
	// StructHash is EIP-712 hashStruct(message).
	StructHash() common.Hash
	// Sender is the account that must have signed ("from").
	Sender() common.Address
	// AccountNonce is the sender's sequence number.
	AccountNonce() uint64
	// Gas is the gas limit.
	Gas() uint64
	// Validate checks what field types cannot: sizes, UTF-8, JSON args,
	// required values. Errors are *FieldError or *LimitError.
	Validate(lim Limits) error
}

// FieldType is one member of an EIP-712 type definition, in the JSON form
// signers expect: {"name": "from", "type": "address"}.
type FieldType struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

func fieldTypes(m Message) []FieldType {
	fs := m.Fields()
	out := make([]FieldType, len(fs))
	for i, f := range fs {
		out[i] = FieldType{Name: f.Name, Type: f.Type}
	}
	return out
}

// encodeType is EIP-712 encodeType for a struct with only atomic and
// dynamic members (no nested structs): "Name(type1 name1,type2 name2)".
func encodeType(primary string, fields []FieldType) string {
	var b strings.Builder
	b.WriteString(primary)
	b.WriteByte('(')
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(f.Type)
		b.WriteByte(' ')
		b.WriteString(f.Name)
	}
	b.WriteByte(')')
	return b.String()
}

func typeHashOf(m Message) common.Hash {
	return crypto.Keccak256Hash([]byte(encodeType(m.PrimaryType(), fieldTypes(m))))
}

// Registry maps wire type names to message constructors. It is immutable
// once built, so one Registry may be shared by any number of goroutines.
type Registry struct {
	ctors map[string]func() Message
	names []string // sorted wire names, for deterministic output
}

// NewRegistry builds a registry from message constructors, checking that
// every definition is usable: unique wire and primary type names, unique
// non-empty member names, supported member types whose Ptr matches.
func NewRegistry(ctors ...func() Message) (*Registry, error) {
	r := &Registry{ctors: make(map[string]func() Message, len(ctors))}
	primaries := make(map[string]bool)
	for _, ctor := range ctors {
		m := ctor()
		typ, prim := m.Type(), m.PrimaryType()
		// The domain and the session type share the served Types map.
		if typ == "" || prim == "" || prim == domainTypeName || prim == SessionPrimaryType {
			return nil, fmt.Errorf("tx: registry: bad type names %q/%q", typ, prim)
		}
		if _, dup := r.ctors[typ]; dup || primaries[prim] {
			return nil, fmt.Errorf("tx: registry: duplicate type %q/%q", typ, prim)
		}
		if err := checkFields(m.Fields()); err != nil {
			return nil, fmt.Errorf("tx: registry: type %q: %w", typ, err)
		}
		r.ctors[typ] = ctor
		primaries[prim] = true
		r.names = append(r.names, typ)
	}
	sort.Strings(r.names)
	return r, nil
}

func checkFields(fs []Field) error {
	if len(fs) == 0 {
		return fmt.Errorf("no fields")
	}
	seen := make(map[string]bool, len(fs))
	for _, f := range fs {
		if f.Name == "" || seen[f.Name] {
			return fmt.Errorf("empty or duplicate field name %q", f.Name)
		}
		seen[f.Name] = true
		ok := false
		switch f.Type {
		case TypeAddress:
			_, ok = f.Ptr.(*common.Address)
		case TypeUint64:
			_, ok = f.Ptr.(*uint64)
		case TypeBytes32:
			_, ok = f.Ptr.(*common.Hash)
		case TypeString:
			_, ok = f.Ptr.(*string)
		case TypeBytes:
			_, ok = f.Ptr.(*[]byte)
		}
		if !ok {
			return fmt.Errorf("field %q: unsupported type %q or Ptr %T", f.Name, f.Type, f.Ptr)
		}
	}
	return nil
}

// New returns a zero message of the given wire type.
func (r *Registry) New(typ string) (Message, bool) {
	ctor, ok := r.ctors[typ]
	if !ok {
		return nil, false
	}
	return ctor(), true
}

// Types returns the registered wire type names in ascending order.
func (r *Registry) Types() []string {
	return append([]string(nil), r.names...)
}

// standard holds the built-in types. It is built once and never changed.
var standard = mustRegistry(
	func() Message { return new(Deploy) },
	func() Message { return new(Call) },
	func() Message { return new(Upgrade) },
)

// CodeCarrier is a message whose Wasm code may travel beside it in the
// envelope (Tx.Code), bound by the signed code hash: Deploy and Upgrade.
type CodeCarrier interface {
	Message
	CodeHashOf() common.Hash
}

func mustRegistry(ctors ...func() Message) *Registry {
	r, err := NewRegistry(ctors...)
	if err != nil {
		panic(err)
	}
	return r
}

// Standard returns the registry of the built-in transaction types (call,
// deploy, upgrade). It is shared and immutable.
func Standard() *Registry { return standard }
