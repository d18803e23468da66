package loanlogic

import (
	"encoding/json"
	"strconv"

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
	b = strconv.AppendInt(append(b, `,"principal":`...), l.Principal, 10)
	b = strconv.AppendInt(append(b, `,"rate_bps":`...), l.RateBps, 10)
	b = strconv.AppendInt(append(b, `,"term_months":`...), l.TermMonths, 10)
	b = strconv.AppendInt(append(b, `,"first_due":`...), l.FirstDue, 10)
	b = strconv.AppendInt(append(b, `,"created_at":`...), l.CreatedAt, 10)
	b = strconv.AppendInt(append(b, `,"installment":`...), l.Installment, 10)
	b = strconv.AppendInt(append(b, `,"balance":`...), l.Balance, 10)
	b = strconv.AppendInt(append(b, `,"interest_due":`...), l.InterestDue, 10)
	b = strconv.AppendInt(append(b, `,"paid_this_period":`...), l.PaidThisPeriod, 10)
	b = strconv.AppendInt(append(b, `,"period":`...), l.Period, 10)
	b = strconv.AppendInt(append(b, `,"next_due":`...), l.NextDue, 10)
	b = strconv.AppendInt(append(b, `,"total_paid":`...), l.TotalPaid, 10)
	b = strconv.AppendInt(append(b, `,"interest_paid":`...), l.InterestPaid, 10)
	b = strconv.AppendInt(append(b, `,"principal_paid":`...), l.PrincipalPaid, 10)
	b = strconv.AppendInt(append(b, `,"payments":`...), l.Payments, 10)
	b = strconv.AppendInt(append(b, `,"last_payment_at":`...), l.LastPaymentAt, 10)
	b = appendStr(append(b, `,"status":`...), l.Status)
	return append(b, '}')
}

// AppendJSON appends p's JSON encoding, identical to json.Marshal(p).
func (p Payment) AppendJSON(b []byte) []byte {
	b = appendStr(append(b, `{"id":`...), p.ID)
	b = strconv.AppendInt(append(b, `,"amount":`...), p.Amount, 10)
	b = strconv.AppendInt(append(b, `,"interest":`...), p.Interest, 10)
	b = strconv.AppendInt(append(b, `,"principal":`...), p.Principal, 10)
	b = strconv.AppendInt(append(b, `,"balance":`...), p.Balance, 10)
	b = strconv.AppendInt(append(b, `,"interest_due":`...), p.InterestDue, 10)
	b = strconv.AppendInt(append(b, `,"payments":`...), p.Payments, 10)
	b = strconv.AppendInt(append(b, `,"next_due":`...), p.NextDue, 10)
	b = strconv.AppendInt(append(b, `,"paid_at":`...), p.PaidAt, 10)
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

// UnmarshalLoan decodes a stored loan. Records in the canonical shape
// written by AppendJSON take the fast path; anything else is decoded by
// encoding/json.
func UnmarshalLoan(data []byte, l *Loan) error {
	if parseLoan(data, l) {
		return nil
	}
	*l = Loan{}
	return json.Unmarshal(data, l)
}

// parseLoan parses the exact field sequence AppendJSON writes and reports
// whether it could.
func parseLoan(data []byte, l *Loan) bool {
	p := parser{data: data}
	ok := p.lit(`{"id":`) && p.str(&l.ID) &&
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
		p.lit(`,"status":`) && p.str(&l.Status) &&
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

// str accepts only a quoted string without escapes or control bytes.
func (p *parser) str(dst *string) bool {
	if p.i >= len(p.data) || p.data[p.i] != '"' {
		return false
	}
	for j := p.i + 1; j < len(p.data); j++ {
		switch c := p.data[j]; {
		case c == '"':
			*dst = string(p.data[p.i+1 : j])
			p.i = j + 1
			return true
		case c < 0x20 || c >= 0x7f || c == '\\':
			return false
		}
	}
	return false
}

func (p *parser) addr(dst *contract.Address) bool {
	const n = 2 + 2 + 40 // quotes, 0x, hex
	if len(p.data)-p.i < n || p.data[p.i] != '"' || p.data[p.i+n-1] != '"' {
		return false
	}
	if dst.UnmarshalText(p.data[p.i+1:p.i+n-1]) != nil {
		return false
	}
	p.i += n
	return true
}

// int accepts an optional minus and 1 to 18 digits without a leading zero,
// so it can never overflow; longer numbers take the slow path.
func (p *parser) int(dst *int64) bool {
	j := p.i
	neg := j < len(p.data) && p.data[j] == '-'
	if neg {
		j++
	}
	start := j
	var v int64
	for ; j < len(p.data) && j-start < 19 && '0' <= p.data[j] && p.data[j] <= '9'; j++ {
		v = v*10 + int64(p.data[j]-'0')
	}
	digits := j - start
	if digits == 0 || digits > 18 || (digits > 1 && p.data[start] == '0') || (neg && v == 0) {
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
