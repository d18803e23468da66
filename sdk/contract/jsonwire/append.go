package jsonwire

import "encoding/json"

// AppendString appends s quoted as json.Marshal quotes it. Printable
// ASCII other than the characters encoding/json escapes (", \, <, >, &)
// is copied as is; any other string is quoted by encoding/json itself,
// so escaping rules live in one place.
func AppendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// AppendBool appends true or false.
func AppendBool(b []byte, v bool) []byte {
	if v {
		return append(b, "true"...)
	}
	return append(b, "false"...)
}

// AppendAddress appends a 20-byte address as encoding/json writes a
// contract.Address: a string of "0x" and 40 lowercase hex digits.
func AppendAddress(b []byte, a *[20]byte) []byte {
	const digits = "0123456789abcdef"
	b = append(b, '"', '0', 'x')
	for _, c := range a {
		b = append(b, digits[c>>4], digits[c&15])
	}
	return append(b, '"')
}

// AppendInt appends the decimal form of v, as strconv.AppendInt(b, v, 10)
// does. strconv's routine costs about a thousand Wasm instructions per
// number: Go turns division by a constant into a 128-bit multiplication,
// which Wasm lacks and emulates at length, so the divisor is read from a
// variable to get one i64.div_u, and indexes are masked so that no bounds
// checks (each a call site, which Go's Wasm code pays for on every jump)
// are needed.
func AppendInt(b []byte, v int64) []byte {
	if 0 <= v && v < 10 {
		return append(b, byte('0'+v))
	}
	u := uint64(v)
	if v < 0 {
		u = -u
	}
	var buf [32]byte
	i := digits(&buf, u)
	if v < 0 {
		i--
		buf[i&31] = '-'
	}
	return append(b, buf[i&31:]...)
}

// AppendUint appends the decimal form of v, as strconv.AppendUint(b, v,
// 10) does.
func AppendUint(b []byte, v uint64) []byte {
	if v < 10 {
		return append(b, byte('0'+v))
	}
	var buf [32]byte
	i := digits(&buf, v)
	return append(b, buf[i&31:]...)
}

// digits writes u's decimal digits at the end of buf and returns where
// they start. Pairs of digits come from multiplications (div100), not
// divisions: a 64-bit division takes tens of cycles and 25 gas, and a
// payment writes dozens of numbers. Only a number of 2^32 or more pays
// for a division, by 10^8, once for every eight digits split off.
func digits(buf *[32]byte, u uint64) uint {
	i := uint(len(buf))
	for u >= 1<<32 {
		q := u / hundredMillion
		r := uint32(u - q*100_000_000)
		for range 4 {
			p := div100(r)
			d := uint8(r-p*100) * 2
			i -= 2
			buf[i&31], buf[(i+1)&31] = digitPairs[d], digitPairs[d+1]
			r = p
		}
		u = q
	}
	v := uint32(u)
	for v >= 100 {
		p := div100(v)
		d := uint8(v-p*100) * 2
		i -= 2
		buf[i&31], buf[(i+1)&31] = digitPairs[d], digitPairs[d+1]
		v = p
	}
	if v >= 10 {
		d := uint8(v) * 2
		i -= 2
		buf[i&31], buf[(i+1)&31] = digitPairs[d], digitPairs[d+1]
	} else {
		i--
		buf[i&31] = byte('0' + v)
	}
	return i
}

// div100 is v / 100 for every uint32: 1374389535 is 2^37/100 rounded up,
// and its error (28 in 2^37) stays below one for any v under 2^32
// (TestDiv100 checks the boundaries; the bound was checked exhaustively).
func div100(v uint32) uint32 { return uint32(uint64(v) * 1374389535 >> 37) }

// hundredMillion is a variable, never written, so that u / hundredMillion
// compiles to a division instruction rather than a long multiplication
// (see AppendInt).
var hundredMillion uint64 = 100_000_000

// digitPairs holds "00" to "99", padded to 256 bytes so that a uint8
// index needs no bounds check.
const digitPairs = "00010203040506070809" +
	"10111213141516171819" +
	"20212223242526272829" +
	"30313233343536373839" +
	"40414243444546474849" +
	"50515253545556575859" +
	"60616263646566676869" +
	"70717273747576777879" +
	"80818283848586878889" +
	"90919293949596979899" +
	"                                                        "
