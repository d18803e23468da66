package jsonwire

import "strconv"

// Scanner reads the canonical subset of JSON that encoding/json writes:
// plain strings of printable ASCII, integers without fractions, exponents
// or leading zeros, keys spelt exactly as the fields. Every method reports
// false, with the position unspecified, for anything else; the caller then
// gives the whole input to encoding/json.
type Scanner struct {
	data []byte
	i    int
	// known strings are shared, not copied, when a string value equals
	// one of them: a record's id the caller already holds, or a status
	// constant, then costs no allocation.
	known []string
}

// NewScanner returns a Scanner at the start of data's first value. A
// string value equal to one of known is set to that string.
func NewScanner(data []byte, known ...string) Scanner {
	s := Scanner{data: data, known: known}
	s.ws()
	return s
}

// End skips trailing white space and reports whether the input ends there.
func (s *Scanner) End() bool {
	s.ws()
	return s.i == len(s.data)
}

func (s *Scanner) ws() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// Lit reads lit if the input continues with it, byte for byte: the
// punctuation and keys of a struct encoded in field order.
func (s *Scanner) Lit(lit string) bool {
	n := len(lit)
	if len(s.data)-s.i < n {
		return false
	}
	d := s.data[s.i:]
	if 8 <= n && n <= 24 {
		// Keys: two or three 8-byte words, the last overlapping, instead
		// of a call to the runtime's memequal, which in Wasm (a call and
		// a loop) costs several times the comparison.
		x := (load64(d, 0) ^ load64s(lit, 0)) | (load64(d, n-8) ^ load64s(lit, n-8))
		if n > 16 {
			x |= load64(d, 8) ^ load64s(lit, 8)
		}
		if x != 0 {
			return false
		}
	} else if string(d[:n]) != lit {
		return false
	}
	s.i += n
	return true
}

// Pos is the position in the input, for Seek.
func (s *Scanner) Pos() int { return s.i }

// Seek returns to a position Pos reported.
func (s *Scanner) Seek(pos int) { s.i = pos }

// Open reads c ('{' or '[') and the white space after it.
func (s *Scanner) Open(c byte) bool {
	if s.i < len(s.data) && s.data[s.i] == c {
		s.i++
		s.ws()
		return true
	}
	return false
}

// Close reads c ('}' or ']') if it comes next: an empty object or array.
func (s *Scanner) Close(c byte) bool {
	if s.i < len(s.data) && s.data[s.i] == c {
		s.i++
		return true
	}
	return false
}

// Next reads what follows a member or element: a comma (more is true) or
// the closing c (more is false), with the white space around it; ok is
// false for anything else.
func (s *Scanner) Next(c byte) (more, ok bool) {
	s.ws()
	if s.i < len(s.data) {
		switch s.data[s.i] {
		case ',':
			s.i++
			s.ws()
			return true, true
		case c:
			s.i++
			return false, true
		}
	}
	return false, false
}

// Key reads an object key, its colon and the white space around it, and
// returns the index in keys (each `"name":`) of the key, or -1 for a key
// that is not plain or not listed: encoding/json may match those
// case-insensitively or ignore them, which only it decides. Canonical
// input names keys[hint] next, which one comparison settles.
func (s *Scanner) Key(keys []string, hint int) int {
	if hint < len(keys) {
		k := keys[hint]
		if end := s.i + len(k); end <= len(s.data) && string(s.data[s.i:end]) == k {
			s.i = end
			s.ws()
			return hint
		}
	}
	name, ok := s.plain()
	if !ok {
		return -1
	}
	s.ws()
	if s.i >= len(s.data) || s.data[s.i] != ':' {
		return -1
	}
	s.i++
	s.ws()
	for i, k := range keys {
		if len(k) == len(name)+3 && k[1:len(k)-2] == string(name) {
			return i
		}
	}
	return -1
}

// plain reads a string of printable ASCII without escapes and returns
// its contents, aliasing the input.
func (s *Scanner) plain() ([]byte, bool) {
	d := s.data
	if s.i >= len(d) || d[s.i] != '"' {
		return nil, false
	}
	for j := s.i + 1; j < len(d); j++ {
		c := d[j]
		if c == '"' {
			v := d[s.i+1 : j]
			s.i = j + 1
			return v, true
		}
		if c < 0x20 || c > 0x7e || c == '\\' {
			return nil, false
		}
	}
	return nil, false
}

// Null reads null if it comes next. Into a zero value, encoding/json
// leaves everything but an Address as it is on null.
func (s *Scanner) Null() bool {
	if len(s.data)-s.i >= 4 && string(s.data[s.i:s.i+4]) == "null" {
		s.i += 4
		return true
	}
	return false
}

// String reads a plain string into dst. It reads the string itself
// rather than calling plain: a call costs tens of instructions in Wasm.
func (s *Scanner) String(dst *string) bool {
	d, i := s.data, s.i
	if i >= len(d) || d[i] != '"' {
		return false
	}
	for j := i + 1; j < len(d); j++ {
		c := d[j]
		if c == '"' {
			v := d[i+1 : j]
			s.i = j + 1
			for _, k := range s.known {
				if k == string(v) {
					*dst = k
					return true
				}
			}
			*dst = string(v)
			return true
		}
		if c < 0x20 || c > 0x7e || c == '\\' {
			return false
		}
	}
	return false
}

// Bool reads true or false into dst.
func (s *Scanner) Bool(dst *bool) bool {
	switch {
	case len(s.data)-s.i >= 4 && string(s.data[s.i:s.i+4]) == "true":
		*dst = true
		s.i += 4
	case len(s.data)-s.i >= 5 && string(s.data[s.i:s.i+5]) == "false":
		*dst = false
		s.i += 5
	default:
		return false
	}
	return true
}

// Address reads "0x" or "0X" and 40 hex digits of either case, quoted:
// exactly the unescaped strings contract.Address's UnmarshalJSON accepts.
func (s *Scanner) Address(dst *[20]byte) bool {
	const n = 2 + 2 + 40 // quotes, 0x, hex
	d, i := s.data, s.i
	if len(d)-i < n || d[i] != '"' || d[i+1] != '0' || (d[i+2] != 'x' && d[i+2] != 'X') || d[i+n-1] != '"' {
		return false
	}
	hex := (*[40]byte)(d[i+3 : i+n-1])
	var a [20]byte
	// Digit values by table, and one test for the whole address: a
	// branch per digit costs more in Wasm than the lookups.
	var bad byte
	for k := range a {
		hi, lo := unhexTable[hex[2*k]], unhexTable[hex[2*k+1]]
		bad |= hi | lo
		a[k] = hi<<4 | lo&15
	}
	if bad > 15 {
		return false
	}
	*dst = a
	s.i = i + n
	return true
}

// unhexTable maps a byte to its hex digit's value, and anything else to
// 0xff, so that one OR of all the looked-up values finds a bad digit.
var unhexTable = func() (t [256]byte) {
	for c := range t {
		t[c] = unhex(byte(c))
	}
	return t
}()

// unhex returns the value of a hex digit, or 255.
func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10
	}
	return 255
}

// Int64 reads the digits of an integer into dst: the commonest field, in
// one leaf call (a call costs tens of instructions in Wasm, more than a
// digit).
func (s *Scanner) Int64(dst *int64) bool {
	d, j := s.data, s.i
	neg := j < len(d) && d[j] == '-'
	if neg {
		j++
	}
	start := j
	var u uint64
	for ; j < len(d); j++ {
		c := d[j]
		if c < '0' || c > '9' {
			break
		}
		u = u*10 + uint64(c-'0')
	}
	n := j - start
	if n == 0 || n > 19 || (n > 1 && d[start] == '0') || u > 1<<63 || (!neg && u == 1<<63) {
		return false
	}
	// A fraction or exponent after the digits is left unread: whatever
	// the caller reads next (a comma, a closing bracket, the end) refuses
	// it, which spares the commonest field a test.
	v := int64(u) // -1<<63 stays itself when negated
	if neg {
		v = -v
	}
	*dst = v
	s.i = j
	return true
}

// The integer methods below read an integer into a field of their type;
// one that overflows the field is refused, as encoding/json refuses it.

// Int32 reads an integer into dst.
func (s *Scanner) Int32(dst *int32) bool {
	v, ok := s.signed(32)
	*dst = int32(v)
	return ok
}

// Int16 reads an integer into dst.
func (s *Scanner) Int16(dst *int16) bool {
	v, ok := s.signed(16)
	*dst = int16(v)
	return ok
}

// Int8 reads an integer into dst.
func (s *Scanner) Int8(dst *int8) bool {
	v, ok := s.signed(8)
	*dst = int8(v)
	return ok
}

// Int reads an integer into dst.
func (s *Scanner) Int(dst *int) bool {
	v, ok := s.signed(strconv.IntSize)
	*dst = int(v)
	return ok
}

// Uint64 reads a non-negative integer into dst.
func (s *Scanner) Uint64(dst *uint64) bool {
	v, ok := s.unsigned(64)
	*dst = v
	return ok
}

// Uint32 reads a non-negative integer into dst.
func (s *Scanner) Uint32(dst *uint32) bool {
	v, ok := s.unsigned(32)
	*dst = uint32(v)
	return ok
}

// Uint16 reads a non-negative integer into dst.
func (s *Scanner) Uint16(dst *uint16) bool {
	v, ok := s.unsigned(16)
	*dst = uint16(v)
	return ok
}

// Uint8 reads a non-negative integer into dst.
func (s *Scanner) Uint8(dst *uint8) bool {
	v, ok := s.unsigned(8)
	*dst = uint8(v)
	return ok
}

// Uint reads a non-negative integer into dst.
func (s *Scanner) Uint(dst *uint) bool {
	v, ok := s.unsigned(strconv.IntSize)
	*dst = uint(v)
	return ok
}

// Uintptr reads a non-negative integer into dst.
func (s *Scanner) Uintptr(dst *uintptr) bool {
	v, ok := s.unsigned(strconv.IntSize)
	*dst = uintptr(v)
	return ok
}

// signed reads an integer that fits bits bits; on false it returns 0, so
// that a refused value writes a zero the caller resets anyway.
func (s *Scanner) signed(bits int) (int64, bool) {
	var v int64
	if !s.Int64(&v) || bits < 64 && (v < -1<<(bits-1) || v >= 1<<(bits-1)) {
		return 0, false
	}
	return v, true
}

// unsigned reads a non-negative integer that fits bits bits.
func (s *Scanner) unsigned(bits int) (uint64, bool) {
	neg, u, ok := s.integer()
	if !ok || neg || bits < 64 && u >= 1<<bits {
		return 0, false
	}
	return u, true
}

// integer reads -?(0|[1-9][0-9]*) that fits a uint64, not followed by a
// fraction or an exponent.
func (s *Scanner) integer() (neg bool, v uint64, ok bool) {
	d, j := s.data, s.i
	if j < len(d) && d[j] == '-' {
		neg = true
		j++
	}
	start := j
	for ; j < len(d); j++ {
		c := d[j]
		if c < '0' || c > '9' {
			break
		}
		v = v*10 + uint64(c-'0')
	}
	n := j - start
	if n == 0 || n > 20 || (n > 1 && d[start] == '0') {
		return false, 0, false
	}
	// Twenty digits fit a uint64 only from 1e19 to 2^64-1; a larger value
	// starting with 1 wraps to less than 1e19.
	if n == 20 && (d[start] != '1' || v < 1e19) {
		return false, 0, false
	}
	if j < len(d) {
		if c := d[j]; c == '.' || c == 'e' || c == 'E' {
			return false, 0, false
		}
	}
	s.i = j
	return neg, v, true
}
