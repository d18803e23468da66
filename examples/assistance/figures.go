package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/sdk/api"
)

// field is one value the story printed: its JSON path in the record it
// came from and its JSON text.
type field struct {
	path, value string
}

// A shown group is what the story printed of one record, and where that
// record can be proven: a state key at a height (read back with State),
// or a transaction's receipt (its return value, or one of its events),
// proven by the receipt root of the signed header.
type shown struct {
	reader *party
	what   string
	fields []field

	// A state record: key of contract at height, the fields under prefix.
	contract common.Address
	key      []byte
	height   uint64
	prefix   string

	// A receipt: the transaction hash, and the event (contract and name,
	// data) or, when event is empty, the return value.
	tx    common.Hash
	event string
	data  []byte
}

// figureBook collects what was shown, from the story and the stream
// goroutines alike.
type figureBook struct {
	mu    sync.Mutex
	shown []shown
}

func (b *figureBook) add(s shown) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.shown = append(b.shown, s)
}

// pick returns the fields at paths of a JSON record, in that order.
func pick(raw []byte, paths ...string) ([]field, error) {
	flat, err := flatten(raw)
	if err != nil {
		return nil, err
	}
	out := make([]field, 0, len(paths))
	for _, p := range paths {
		v, ok := flat[p]
		if !ok {
			return nil, fmt.Errorf("record has no field %q: %s", p, raw)
		}
		out = append(out, field{p, v})
	}
	return out, nil
}

// flatten maps every leaf of a JSON document to its JSON text, by dotted
// path ("buckets.30.count"); array elements are indexed ("rolls.1.2").
func flatten(raw []byte) (map[string]string, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("decoding record: %w", err)
	}
	out := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		join := func(k string) string {
			if prefix == "" {
				return k
			}
			return prefix + "." + k
		}
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(join(k), e)
			}
		case []any:
			for i, e := range x {
				walk(join(strconv.Itoa(i)), e)
			}
		case json.Number:
			out[prefix] = x.String()
		default:
			b, _ := json.Marshal(x)
			out[prefix] = string(b)
		}
	}
	walk("", v)
	return out, nil
}

// Money fields are int64 cents; dates are Unix seconds of block time.
var (
	moneyFields = map[string]bool{"principal": true, "balance": true, "installment": true, "final_installment": true,
		"amount": true, "interest": true, "arrears": true, "lump_sum": true, "amount_due": true,
		"delinquent_balance": true, "payments_paid": true, "paid": true}
	dateFields = map[string]bool{"due": true, "next_due": true, "first_due": true, "due_at": true,
		"expires_at": true, "made_at": true, "paid_at": true, "accepted_at": true}
)

// format renders fields for a reader: cents as dollars, basis points as
// percentages, block times as dates.
func format(fs []field) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.path + " " + formatValue(f.path, f.value)
	}
	return strings.Join(parts, ", ")
}

func formatValue(path, value string) string {
	name := path[strings.LastIndexByte(path, '.')+1:]
	n, err := strconv.ParseInt(value, 10, 64)
	switch {
	case err != nil:
		return strings.Trim(value, `"`)
	case moneyFields[name]:
		return dollars(n)
	case dateFields[name]:
		return time.Unix(n, 0).UTC().Format("2006-01-02")
	case strings.HasSuffix(name, "_bps"):
		return fmt.Sprintf("%d.%02d%%", n/100, n%100)
	}
	return value
}

// dollars formats cents as $1,234.56.
func dollars(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	whole := strconv.FormatInt(cents/100, 10)
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return fmt.Sprintf("%s$%s.%02d", sign, b.String(), cents%100)
}

// verify re-reads every shown record with a proof against a header signed
// by a trusted node and checks that each field printed equals the proven
// value. It returns the number of fields checked.
func (s *story) verify(ctx context.Context) (int, error) {
	s.figs.mu.Lock()
	all := append([]shown(nil), s.figs.shown...)
	s.figs.mu.Unlock()
	txs := map[string]*api.Tx{} // reader and hash → its verified record
	n := 0
	for _, sh := range all {
		var proven map[string]string
		var err error
		if sh.key != nil {
			proven, err = s.provenState(ctx, sh)
		} else {
			proven, err = s.provenReceipt(ctx, sh, txs)
		}
		if err != nil {
			return n, fmt.Errorf("verifying %s: %w", sh.what, err)
		}
		if err := checkShown(sh, proven); err != nil {
			return n, err
		}
		n += len(sh.fields)
	}
	return n, nil
}

// checkShown compares each field shown with its proven value.
func checkShown(sh shown, proven map[string]string) error {
	for _, f := range sh.fields {
		got, ok := proven[sh.prefix+f.path]
		if !ok {
			return fmt.Errorf("verifying %s: %s was shown as %s, the proven record has no such field", sh.what, f.path, f.value)
		}
		if got != f.value {
			return fmt.Errorf("verifying %s: %s was shown as %s, the proof says %s", sh.what, f.path, f.value, got)
		}
	}
	return nil
}

// provenState reads the record's key at its height as its reader, and
// checks the answer's proof against its signed header.
func (s *story) provenState(ctx context.Context, sh shown) (map[string]string, error) {
	st, err := sh.reader.c.State(ctx, sh.contract, sh.key, &sh.height)
	if err != nil {
		return nil, err
	}
	if err := sh.reader.c.Verifier().VerifyState(st); err != nil {
		return nil, err
	}
	if !st.Exists {
		return nil, fmt.Errorf("key %q does not exist at height %d", sh.key, sh.height)
	}
	return flatten(st.Value)
}

// provenReceipt reads the transaction record as the reader, checks its
// receipt against the signed header, and finds the event or return value
// shown in the receipt.
func (s *story) provenReceipt(ctx context.Context, sh shown, cache map[string]*api.Tx) (map[string]string, error) {
	id := sh.reader.name + sh.tx.Hex()
	rec := cache[id]
	if rec == nil {
		var err error
		if rec, err = sh.reader.c.Tx(ctx, sh.tx); err != nil {
			return nil, err
		}
		if err := sh.reader.c.Verifier().VerifyTx(rec); err != nil {
			return nil, err
		}
		cache[id] = rec
	}
	if sh.event == "" {
		return flatten(rec.Receipt.Return)
	}
	for _, e := range rec.Receipt.Events {
		if e.Contract == sh.contract && e.Name == sh.event && bytes.Equal(e.Data, sh.data) {
			return flatten(e.Data)
		}
	}
	return nil, fmt.Errorf("the receipt of %s holds no such %s event", sh.tx.Hex(), sh.event)
}
