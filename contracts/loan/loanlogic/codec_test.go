package loanlogic

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/meshledger/meshledger/sdk/contract"
)

func sampleLoan() Loan {
	return Loan{
		ID: "L-1.x_y", Owner: contract.Address{1, 0xff}, Borrower: contract.Address{2}, Servicer: contract.Address{19: 3},
		Principal: MaxPrincipal, RateBps: 600, TermMonths: 360, FirstDue: 1_706_745_600, CreatedAt: 1_704_067_200,
		Installment: 1199_11, Balance: -5, InterestDue: 0, Period: 12, NextDue: 1_738_368_000, Status: StatusActive,
	}
}

func TestCodecMatchesEncodingJSON(t *testing.T) {
	for _, l := range []Loan{{}, sampleLoan(), {ID: `we"ird<>`, Status: "ü"}} {
		want, err := json.Marshal(&l)
		if err != nil {
			t.Fatal(err)
		}
		if got := l.AppendJSON(nil); string(got) != string(want) {
			t.Fatalf("AppendJSON\n got %s\nwant %s", got, want)
		}
		var back Loan
		if err := back.DecodeJSON(want); err != nil || back != l {
			t.Fatalf("DecodeJSON: %+v, %v; want %+v", back, err, l)
		}
	}
	p := Payment{ID: "L-1", Amount: 1, Interest: -2, Principal: 3, Balance: 4, InterestDue: 5, Payments: 6, NextDue: 7, PaidAt: 8, Status: StatusPaidOff}
	if want, _ := json.Marshal(p); string(p.AppendJSON(nil)) != string(want) {
		t.Fatalf("Payment.AppendJSON\n got %s\nwant %s", p.AppendJSON(nil), want)
	}
}

func TestDecodeLoanFallsBack(t *testing.T) {
	tests := []struct {
		name, data string
		wantErr    bool
		want       Loan
	}{
		{"reordered", `{"status":"active","id":"a","balance":7}`, false, Loan{ID: "a", Status: "active", Balance: 7}},
		{"escaped", `{"id":"a\u002db"}`, false, Loan{ID: "a-b"}},
		{"huge number", `{"id":"a","owner":"0x0000000000000000000000000000000000000000","borrower":"0x0000000000000000000000000000000000000000","servicer":"0x0000000000000000000000000000000000000000","principal":99999999999999999999}`, true, Loan{}},
		{"float", `{"principal":1.5}`, true, Loan{}},
		{"trailing garbage", string(sampleJSON()) + "x", true, Loan{}},
		{"not json", `{`, true, Loan{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var l Loan
			err := l.DecodeJSON([]byte(tc.data))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if !tc.wantErr && l != tc.want {
				t.Fatalf("got %+v, want %+v", l, tc.want)
			}
		})
	}
}

func sampleJSON() []byte {
	l := sampleLoan()
	return l.AppendJSON(nil)
}

// FuzzLoanCodec holds the generated codec to encoding/json: DecodeJSON
// must give encoding/json's result and fail exactly when it fails, and
// AppendJSON must write json.Marshal's bytes for whatever was decoded.
func FuzzLoanCodec(f *testing.F) {
	f.Add(sampleJSON())
	f.Add([]byte(`{"id":"x","principal":-0}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var fast, slow Loan
		errFast := fast.DecodeJSON(data)
		errSlow := json.Unmarshal(data, &slow)
		if (errFast == nil) != (errSlow == nil) {
			t.Fatalf("DecodeJSON err %v, encoding/json err %v", errFast, errSlow)
		}
		if errSlow == nil && fast != slow {
			t.Fatalf("DecodeJSON %+v, encoding/json %+v", fast, slow)
		}
		if errSlow == nil {
			want, _ := json.Marshal(&slow)
			if got := slow.AppendJSON(nil); string(got) != string(want) {
				t.Fatalf("AppendJSON %s, json.Marshal %s", got, want)
			}
		}
	})
}

// strictDecode is the SDK's decoding of arguments.
func strictDecode(data []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return errors.New("trailing data")
	}
	return nil
}

func TestPayRequestDecodeJSONFast(t *testing.T) {
	tests := []struct {
		in   string
		ok   bool
		want PayRequest
	}{
		{`{"id":"L-1","amount":1000}`, true, PayRequest{"L-1", 1000}},
		{`{"id":"L-1","amount":-7}`, true, PayRequest{"L-1", -7}},
		{`{"amount":1000,"id":"L-1"}`, true, PayRequest{"L-1", 1000}},
		{` {"id":"L-1", "amount" : 1000} `, true, PayRequest{"L-1", 1000}},
		{`{"id":"L-1","id":"L-2","amount":1}`, false, PayRequest{}},
		{`{"id":"L-1","Amount":1}`, false, PayRequest{}},
		{`{"id":"L-1","amount":1,"x":2}`, false, PayRequest{}},
		{`{"id":"L-1","amount":1000}x`, false, PayRequest{}},
		{`{"id":"L\"","amount":1}`, false, PayRequest{}},
		{`{"id":"L-1","amount":1.5}`, false, PayRequest{}},
	}
	for _, tc := range tests {
		var r PayRequest
		if ok := r.DecodeJSONFast([]byte(tc.in)); ok != tc.ok || (ok && r != tc.want) {
			t.Errorf("DecodeJSONFast(%s) = %v %+v, want %v %+v", tc.in, ok, r, tc.ok, tc.want)
		}
	}
}

// FuzzPayRequestDecode holds the fast argument decoder to the SDK's strict
// encoding/json decoding.
func FuzzPayRequestDecode(f *testing.F) {
	f.Add([]byte(`{"id":"L-1","amount":1000}`))
	f.Add([]byte(`{"id":"","amount":-0}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var fast PayRequest
		if !fast.DecodeJSONFast(data) {
			return
		}
		var slow PayRequest
		if err := strictDecode(data, &slow); err != nil || slow != fast {
			t.Fatalf("fast %+v, strict %+v (%v)", fast, slow, err)
		}
	})
}
