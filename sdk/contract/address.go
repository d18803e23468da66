package contract

import (
	"encoding/hex"
	"errors"
	"fmt"
)

// Address is a 20-byte account or contract address. Its text form is
// "0x" followed by 40 lowercase hex digits.
type Address [20]byte

// ErrBadAddress is returned when text is not a 0x-prefixed 20-byte hex
// address.
var ErrBadAddress = errors.New("contract: bad address")

// ParseAddress parses "0x" + 40 hex digits (either case).
func ParseAddress(s string) (Address, error) {
	var a Address
	if len(s) != 42 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') {
		return a, fmt.Errorf("%w: %q: want 0x and 40 hex digits", ErrBadAddress, s)
	}
	if _, err := hex.Decode(a[:], []byte(s[2:])); err != nil {
		return Address{}, fmt.Errorf("%w: %q: %v", ErrBadAddress, s, err)
	}
	return a, nil
}

// IsZero reports whether a is the all-zero address, which never names a
// real account.
func (a Address) IsZero() bool { return a == Address{} }

// Hex returns the 0x-prefixed lowercase hex form.
func (a Address) Hex() string { return string(a.appendHex(make([]byte, 0, 42))) }

// String returns the same as Hex.
func (a Address) String() string { return a.Hex() }

func (a Address) appendHex(dst []byte) []byte {
	dst = append(dst, '0', 'x')
	return hex.AppendEncode(dst, a[:])
}

// MarshalText implements encoding.TextMarshaler, so an Address is a JSON
// string and may be a JSON object key.
func (a Address) MarshalText() ([]byte, error) { return a.appendHex(make([]byte, 0, 42)), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (a *Address) UnmarshalText(text []byte) error {
	p, err := ParseAddress(string(text))
	if err != nil {
		return err
	}
	*a = p
	return nil
}

// MarshalJSON returns the address as a JSON string; a direct method avoids
// encoding/json's text-marshaler round trip on the hot path.
func (a Address) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 44)
	b = append(b, '"')
	b = a.appendHex(b)
	return append(b, '"'), nil
}

// UnmarshalJSON accepts a JSON string holding a 0x address.
func (a *Address) UnmarshalJSON(data []byte) error {
	if len(data) < 2 || data[0] != '"' || data[len(data)-1] != '"' {
		return fmt.Errorf("%w: %s: want a JSON string", ErrBadAddress, data)
	}
	return a.UnmarshalText(data[1 : len(data)-1])
}

// appendAddressHex appends a's text form, "0x" and 40 lowercase hex
// digits, byte by byte: encoding/hex's loop costs more in Wasm.
func appendAddressHex(b []byte, a *Address) []byte {
	const digits = "0123456789abcdef"
	b = append(b, '0', 'x')
	for _, c := range a {
		b = append(b, digits[c>>4], digits[c&15])
	}
	return b
}
