package loanlogic

import (
	"encoding/json"

	"github.com/meshledger/meshledger/sdk/contract"
)

// The loan record is decoded and re-encoded on every payment, and
// encoding/json's reflection dominates that cost, above all in Wasm where
// its caches start cold. These hand-written codecs produce exactly what
// encoding/json produces for the same structs (a fuzz test holds them to
// it) and fall back to encoding/json for anything outside the canonical
// shape, so they change speed, never meaning.

// AppendJSON appends l's JSON encoding, identical to json.Marshal(l).
func (l *Loan) AppendJSON(b []byte) []byte {
	b = appendStr(append(b, `{"id":`...), l.ID)
	b = appendAddr(append(b, `,"owner":`...), l.Owner)
	b = appendAddr(append(b, `,"borrower":`...), l.Borrower)
	b = appendAddr(append(b, `,"servicer":`...), l.Servicer)
	b = appendInt(append(b, `,"principal":`...), l.Principal)
	b = appendInt(append(b, `,"rate_bps":`...), l.RateBps)
	b = appendInt(append(b, `,"term_months":`...), l.TermMonths)
	b = appendInt(append(b, `,"first_due":`...), l.FirstDue)
	b = appendInt(append(b, `,"created_at":`...), l.CreatedAt)
	b = appendInt(append(b, `,"installment":`...), l.Installment)
	b = appendInt(append(b, `,"balance":`...), l.Balance)
	b = appendInt(append(b, `,"interest_due":`...), l.InterestDue)
	b = appendInt(append(b, `,"paid_this_period":`...), l.PaidThisPeriod)
	b = appendInt(append(b, `,"period":`...), l.Period)
	b = appendInt(append(b, `,"next_due":`...), l.NextDue)
	b = appendInt(append(b, `,"total_paid":`...), l.TotalPaid)
	b = appendInt(append(b, `,"interest_paid":`...), l.InterestPaid)
	b = appendInt(append(b, `,"principal_paid":`...), l.PrincipalPaid)
	b = appendInt(append(b, `,"payments":`...), l.Payments)
	b = appendInt(append(b, `,"last_payment_at":`...), l.LastPaymentAt)
	b = appendStr(append(b, `,"status":`...), l.Status)
	return append(b, '}')
}

// AppendJSON appends p's JSON encoding, identical to json.Marshal(p).
func (p Payment) AppendJSON(b []byte) []byte {
	b = appendStr(append(b, `{"id":`...), p.ID)
	b = appendInt(append(b, `,"amount":`...), p.Amount)
	b = appendInt(append(b, `,"interest":`...), p.Interest)
	b = appendInt(append(b, `,"principal":`...), p.Principal)
	b = appendInt(append(b, `,"balance":`...), p.Balance)
	b = appendInt(append(b, `,"interest_due":`...), p.InterestDue)
	b = appendInt(append(b, `,"payments":`...), p.Payments)
	b = appendInt(append(b, `,"next_due":`...), p.NextDue)
	b = appendInt(append(b, `,"paid_at":`...), p.PaidAt)
	b = appendStr(append(b, `,"status":`...), p.Status)
	return append(b, '}')
}

func appendAddr(b []byte, a contract.Address) []byte {
	const digits = "0123456789abcdef"
	b = append(b, '"', '0', 'x')
	for _, c := range a {
		b = append(b, digits[c>>4], digits[c&15])
	}
	return append(b, '"')
}

// appendStr quotes s as encoding/json does; strings that need escaping
// (never the validated ids and fixed statuses) go through encoding/json.
func appendStr(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendInt appends the decimal form of v, as strconv.AppendInt(b, v, 10)
// does. It is written for Wasm, where strconv's routine costs about a
// thousand instructions per number: Go turns division by a constant into
// a 128-bit multiplication, which Wasm lacks and emulates at length, so
// the divisor is read from a variable to get one i64.div_u; indexes are
// masked so that no bounds checks (each a call site, which Go's Wasm code
// pays for on every jump) are needed.
func appendInt(b []byte, v int64) []byte {
	var buf [32]byte
	i := uint(len(buf))
	u := uint64(v)
	if v < 0 {
		u = -u
	}
	for u >= 100 {
		q := u / hundred
		d := uint8(u-q*100) * 2
		i -= 2
		buf[i&31], buf[(i+1)&31] = digitPairs[d], digitPairs[d+1]
		u = q
	}
	if u >= 10 {
		d := uint8(u) * 2
		i -= 2
		buf[i&31], buf[(i+1)&31] = digitPairs[d], digitPairs[d+1]
	} else {
		i--
		buf[i&31] = byte('0' + u)
	}
	if v < 0 {
		i--
		buf[i&31] = '-'
	}
	return append(b, buf[i&31:]...)
}

// hundred is a variable, never written, so that u / hundred compiles to a
// division instruction rather than a long multiplication (see appendInt).
var hundred uint64 = 100

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

// UnmarshalLoan decodes a stored loan. Records in the canonical shape
// written by AppendJSON take the fast path; anything else is decoded by
// encoding/json.
func UnmarshalLoan(data []byte, l *Loan) error {
	return unmarshalLoan(data, l, "")
}

// unmarshalLoan is UnmarshalLoan given the id the record is expected to
// hold, whose string it then shares instead of allocating a copy.
func unmarshalLoan(data []byte, l *Loan, id string) error {
	if parseLoan(data, l, id) {
		return nil
	}
	*l = Loan{}
	return json.Unmarshal(data, l)
}

// parseLoan parses the exact field sequence AppendJSON writes and reports
// whether it could.
func parseLoan(data []byte, l *Loan, id string) bool {
	p := parser{data: data}
	ok := p.lit(`{"id":`) && p.str(&l.ID, id) &&
		p.lit(`,"owner":`) && p.addr(&l.Owner) &&
		p.lit(`,"borrower":`) && p.addr(&l.Borrower) &&
		p.lit(`,"servicer":`) && p.addr(&l.Servicer) &&
		p.lit(`,"principal":`) && p.int(&l.Principal) &&
		p.lit(`,"rate_bps":`) && p.int(&l.RateBps) &&
		p.lit(`,"term_months":`) && p.int(&l.TermMonths) &&
		p.lit(`,"first_due":`) && p.int(&l.FirstDue) &&
		p.lit(`,"created_at":`) && p.int(&l.CreatedAt) &&
		p.lit(`,"installment":`) && p.int(&l.Installment) &&
		p.lit(`,"balance":`) && p.int(&l.Balance) &&
		p.lit(`,"interest_due":`) && p.int(&l.InterestDue) &&
		p.lit(`,"paid_this_period":`) && p.int(&l.PaidThisPeriod) &&
		p.lit(`,"period":`) && p.int(&l.Period) &&
		p.lit(`,"next_due":`) && p.int(&l.NextDue) &&
		p.lit(`,"total_paid":`) && p.int(&l.TotalPaid) &&
		p.lit(`,"interest_paid":`) && p.int(&l.InterestPaid) &&
		p.lit(`,"principal_paid":`) && p.int(&l.PrincipalPaid) &&
		p.lit(`,"payments":`) && p.int(&l.Payments) &&
		p.lit(`,"last_payment_at":`) && p.int(&l.LastPaymentAt) &&
		p.lit(`,"status":`) && p.str(&l.Status, StatusActive, StatusPaidOff) &&
		p.lit(`}`)
	return ok && p.i == len(data)
}

type parser struct {
	data []byte
	i    int
}

func (p *parser) lit(s string) bool {
	if len(p.data)-p.i < len(s) || string(p.data[p.i:p.i+len(s)]) != s {
		return false
	}
	p.i += len(s)
	return true
}

// str accepts only a quoted string without escapes or control bytes. A
// value equal to one of known is set to that string rather than a copy.
func (p *parser) str(dst *string, known ...string) bool {
	data, i := p.data, p.i
	if i >= len(data) || data[i] != '"' {
		return false
	}
	for j := i + 1; j < len(data); j++ {
		switch c := data[j]; {
		case c == '"':
			v := data[i+1 : j]
			*dst = ""
			for _, k := range known {
				if string(v) == k {
					*dst = k
					break
				}
			}
			if *dst == "" && len(v) > 0 {
				*dst = string(v)
			}
			p.i = j + 1
			return true
		case c < 0x20 || c >= 0x7f || c == '\\':
			return false
		}
	}
	return false
}

// addr accepts "0x" and 40 hex digits of either case: exactly what
// contract.Address's JSON decoding accepts, apart from the "0X" prefix,
// which is left to the slow path.
func (p *parser) addr(dst *contract.Address) bool {
	const n = 2 + 2 + 40 // quotes, 0x, hex
	data, i := p.data, p.i
	if len(data)-i < n || data[i] != '"' || data[i+1] != '0' || data[i+2] != 'x' || data[i+n-1] != '"' {
		return false
	}
	hex := data[i+3 : i+n-1 : i+n-1]
	var a contract.Address
	for k := range a {
		hi, lo := unhex(hex[2*k]), unhex(hex[2*k+1])
		if hi > 15 || lo > 15 {
			return false
		}
		a[k] = hi<<4 | lo
	}
	*dst = a
	p.i = i + n
	return true
}

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

// int accepts an optional minus and 1 to 18 digits without a leading zero,
// so it can never overflow; longer numbers take the slow path.
func (p *parser) int(dst *int64) bool {
	data, j := p.data, p.i
	neg := j < len(data) && data[j] == '-'
	if neg {
		j++
	}
	start := j
	var v int64
	for ; j < len(data); j++ {
		c := data[j]
		if c < '0' || c > '9' {
			break
		}
		v = v*10 + int64(c-'0')
	}
	digits := j - start
	if digits == 0 || digits > 18 || (digits > 1 && data[start] == '0') || (neg && v == 0) {
		return false
	}
	if neg {
		v = -v
	}
	*dst = v
	p.i = j
	return true
}

// DecodeJSONFast decodes the canonical {"id":...,"amount":...} shape
// (contract.FastJSONDecoder); anything else is left to encoding/json.
func (r *PayRequest) DecodeJSONFast(data []byte) bool {
	p := parser{data: data}
	return p.lit(`{"id":`) && p.str(&r.ID) && p.lit(`,"amount":`) && p.int(&r.Amount) && p.lit(`}`) && p.i == len(data)
}
