package tx

import (
	"encoding/hex"
	"errors"
	"strconv"

	"github.com/ethereum/go-ethereum/common"
)

// DecodeJSON decodes the JSON wire form of a standard transaction (see
// docs/transactions.md) and checks it is well formed and within lim.
// Errors are *FieldError (ErrMalformed) or *LimitError (ErrTooLarge).
// Signatures are not checked: see Tx.Verify.
func DecodeJSON(data []byte, lim Limits) (*Tx, error) { return standard.DecodeJSON(data, lim) }

// DecodeJSON decodes the JSON wire form of any of the registry's types.
func (r *Registry) DecodeJSON(data []byte, lim Limits) (*Tx, error) {
	lim = lim.withDefaults()
	if err := checkLimit("envelope", len(data), lim.MaxEnvelopeBytes); err != nil {
		return nil, err
	}
	var (
		l       = lexer{data: data}
		typ     string
		chainID uint64
		members []memberValue
		sig     Signature
		code    []byte
		have    = map[string]bool{}
	)
	err := l.readObject(func(key string) error {
		have[key] = true
		switch key {
		case "type":
			s, err := l.readString()
			if err != nil {
				return malformed(key, "%v", err)
			}
			typ = s
		case "chainId":
			v, err := l.readScalar()
			if err != nil {
				return malformed(key, "%v", err)
			}
			if chainID, err = parseUint64(v); err != nil {
				return malformed(key, "%v", err)
			}
		case "message":
			ms, err := readMembers(&l)
			if err != nil {
				return err
			}
			members = ms
		case "signature":
			b, err := readHexString(&l, -1)
			if err != nil {
				return malformed(key, "%v", err)
			}
			if sig, err = ParseSignature(b); err != nil {
				return err
			}
		case "code":
			b, err := readHexString(&l, -1)
			if err != nil {
				return malformed(key, "%v", err)
			}
			code = b
		default:
			return malformed(key, "unknown field")
		}
		return nil
	}, func(key string) error { return malformed(key, "duplicate field") })
	if err != nil {
		return nil, asFieldError("envelope", err)
	}
	if l.peek() != 0 {
		return nil, malformed("envelope", "data after the object")
	}
	for _, k := range []string{"type", "chainId", "message", "signature"} {
		if !have[k] {
			return nil, malformed(k, "missing")
		}
	}
	msg, ok := r.New(typ)
	if !ok {
		return nil, malformed("type", "unknown transaction type %q", typ)
	}
	if err := setMembers(msg, members); err != nil {
		return nil, err
	}
	t := &Tx{chainID: chainID, msg: msg, sig: sig, code: code}
	if err := t.validate(lim); err != nil {
		return nil, err
	}
	return t, nil
}

// asFieldError passes typed errors through and gives bare lexer errors the
// field they occurred in.
func asFieldError(field string, err error) error {
	var fe *FieldError
	var le *LimitError
	if errors.As(err, &fe) || errors.As(err, &le) {
		return err
	}
	return malformed(field, "%v", err)
}

type memberValue struct {
	key string
	val jsonValue
}

// readMembers reads the message object before its type may be known (the
// envelope's members may come in any order), keeping scalars by name.
func readMembers(l *lexer) ([]memberValue, error) {
	var ms []memberValue
	err := l.readObject(func(key string) error {
		v, err := l.readScalar()
		if err != nil {
			return malformed("message."+key, "%v", err)
		}
		ms = append(ms, memberValue{key, v})
		return nil
	}, func(key string) error { return malformed("message."+key, "duplicate field") })
	if err != nil {
		return nil, asFieldError("message", err)
	}
	return ms, nil
}

func setMembers(msg Message, members []memberValue) error {
	fields := msg.Fields()
	set := make([]bool, len(fields))
	for _, m := range members {
		i := fieldIndex(fields, m.key)
		if i < 0 {
			return malformed("message."+m.key, "unknown field")
		}
		if err := setField(fields[i], m.val); err != nil {
			return malformed("message."+m.key, "%v", err)
		}
		set[i] = true
	}
	for i, f := range fields {
		if !set[i] {
			return malformed("message."+f.Name, "missing")
		}
	}
	return nil
}

func fieldIndex(fields []Field, name string) int {
	for i, f := range fields {
		if f.Name == name {
			return i
		}
	}
	return -1
}

func setField(f Field, v jsonValue) error {
	if v.isNumber && f.Type != TypeUint64 {
		return lexError("want a string")
	}
	switch p := f.Ptr.(type) {
	case *uint64:
		n, err := parseUint64(v)
		*p = n
		return err
	case *string:
		*p = v.text
		return nil
	case *common.Address:
		a, err := parseAddress(v.text)
		*p = a
		return err
	case *common.Hash:
		b, err := parseHex(v.text, 32)
		copy(p[:], b)
		return err
	case *[]byte:
		b, err := parseHex(v.text, -1)
		*p = b
		return err
	}
	return lexError("unsupported field type") // NewRegistry rules this out
}

// parseUint64 accepts a JSON number or a decimal string holding an integer
// in [0, 2^64-1]. Decimal strings must be canonical (no sign, no leading
// zero) so that every value has one spelling.
func parseUint64(v jsonValue) (uint64, error) {
	s := v.text
	if s == "" {
		return 0, lexError("empty number")
	}
	if s[0] == '-' {
		return 0, lexError("negative number")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			if v.isNumber {
				return 0, lexError("not an integer")
			}
			return 0, lexError("not a decimal integer")
		}
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, lexError("leading zero")
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, lexError("overflows uint64")
	}
	return n, nil
}

func readHexString(l *lexer, n int) ([]byte, error) {
	s, err := l.readString()
	if err != nil {
		return nil, err
	}
	return parseHex(s, n)
}

// parseHex decodes 0x-prefixed hex; n >= 0 demands exactly n bytes.
func parseHex(s string, n int) ([]byte, error) {
	if len(s) < 2 || s[0] != '0' || s[1] != 'x' {
		return nil, lexError("want 0x-prefixed hex")
	}
	s = s[2:]
	if len(s)%2 != 0 {
		return nil, lexError("odd number of hex digits")
	}
	if n >= 0 && len(s) != 2*n {
		return nil, lexError("want " + strconv.Itoa(n) + " bytes, got " + strconv.Itoa(len(s)/2))
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, lexError("bad hex digit")
	}
	return b, nil
}

// parseAddress accepts all-lower, all-upper or EIP-55 mixed case; mixed
// case must carry a valid checksum, as ethers.js demands, to catch typos.
func parseAddress(s string) (common.Address, error) {
	b, err := parseHex(s, 20)
	if err != nil {
		return common.Address{}, err
	}
	a := common.BytesToAddress(b)
	hasUpper, hasLower := false, false
	for _, c := range s[2:] {
		hasUpper = hasUpper || (c >= 'A' && c <= 'F')
		hasLower = hasLower || (c >= 'a' && c <= 'f')
	}
	if hasUpper && hasLower && a.Hex() != s {
		return common.Address{}, lexError("bad EIP-55 checksum")
	}
	return a, nil
}

// EncodeJSON returns the canonical JSON wire form: members in a fixed
// order, uint64s as decimal strings, addresses EIP-55, bytes lower-case hex.
func (t *Tx) EncodeJSON() []byte {
	b := make([]byte, 0, 512+2*len(t.code))
	b = append(b, `{"type":`...)
	b = appendString(b, t.msg.Type())
	b = append(b, `,"chainId":"`...)
	b = strconv.AppendUint(b, t.chainID, 10)
	b = append(b, `","message":{`...)
	for i, f := range t.msg.Fields() {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, f.Name)
		b = append(b, ':')
		b = appendFieldJSON(b, f)
	}
	b = append(b, `},"signature":`...)
	b = appendHex(b, t.sig[:])
	if t.code != nil {
		b = append(b, `,"code":`...)
		b = appendHex(b, t.code)
	}
	return append(b, '}')
}

func appendFieldJSON(b []byte, f Field) []byte {
	switch p := f.Ptr.(type) {
	case *uint64:
		b = append(b, '"')
		b = strconv.AppendUint(b, *p, 10)
		return append(b, '"')
	case *string:
		return appendString(b, *p)
	case *common.Address:
		return appendString(b, p.Hex())
	case *common.Hash:
		return appendHex(b, p[:])
	case *[]byte:
		return appendHex(b, *p)
	}
	return append(b, "null"...)
}

func appendHex(b, data []byte) []byte {
	b = append(b, '"', '0', 'x')
	b = hex.AppendEncode(b, data)
	return append(b, '"')
}

// MarshalJSON implements json.Marshaler with EncodeJSON.
func (t *Tx) MarshalJSON() ([]byte, error) { return t.EncodeJSON(), nil }

// UnmarshalJSON implements json.Unmarshaler for the standard types with
// default limits. Use Registry.DecodeJSON for other limits or types.
func (t *Tx) UnmarshalJSON(data []byte) error {
	d, err := DecodeJSON(data, Limits{})
	if err != nil {
		return err
	}
	t.adopt(d)
	return nil
}

// adopt moves a decoded transaction into t, dropping t's caches.
func (t *Tx) adopt(d *Tx) {
	t.chainID, t.msg, t.sig, t.code = d.chainID, d.msg, d.sig, d.code
	t.hash.Store(nil)
	t.sender.Store(nil)
}
