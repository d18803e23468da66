package loanlogic_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand"
	"reflect"
	"strings"
	"testing"

	"github.com/meshledger/meshledger/contracts/loan/loanlogic"
	"github.com/meshledger/meshledger/contracts/pool/poollogic"
	"github.com/meshledger/meshledger/contracts/portfolio/portfoliologic"
	"github.com/meshledger/meshledger/sdk/contract"
)

// recordTypes are the state records, call arguments and results the
// scenario contracts store through GetJSON and PutJSON or send across
// contracts; their bytes are consensus data.
var recordTypes = []reflect.Type{
	reflect.TypeFor[poollogic.Pool](), reflect.TypeFor[poollogic.Disclosure](), reflect.TypeFor[poollogic.Member](),
	reflect.TypeFor[portfoliologic.Portfolio](), reflect.TypeFor[portfoliologic.Holding](), reflect.TypeFor[portfoliologic.Trend](),
	reflect.TypeFor[loanlogic.Snapshot](), reflect.TypeFor[loanlogic.Servicing](), reflect.TypeFor[loanlogic.Offer](),
}

// fill sets every integer, string, boolean, address and pointer reachable
// from v to a random value, strings from pieces that exercise escaping.
func fill(v reflect.Value, rng *rand.Rand) {
	pieces := []string{"", "L-1", "<", "&", `"`, "\\", "é", "\x00", "90+"}
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() {
				fill(f, rng)
			}
		}
	case reflect.Array:
		for i := range v.Len() {
			fill(v.Index(i), rng)
		}
	case reflect.Pointer:
		if rng.Intn(2) == 0 {
			v.Set(reflect.New(v.Type().Elem()))
			fill(v.Elem(), rng)
		}
	case reflect.String:
		v.SetString(pieces[rng.Intn(len(pieces))] + pieces[rng.Intn(len(pieces))])
	case reflect.Bool:
		v.SetBool(rng.Intn(2) == 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(rng.Uint64()) >> rng.Intn(64))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(rng.Uint64() >> rng.Intn(64))
	}
}

func TestPutJSONWritesEncodingJSONBytes(t *testing.T) {
	rng := rand.New(rand.NewSource(10))
	for _, typ := range recordTypes {
		for i := range 200 {
			v := reflect.New(typ)
			if i > 0 {
				fill(v.Elem(), rng)
			}
			want, err := json.Marshal(v.Interface())
			if err != nil {
				t.Fatal(err)
			}
			s := loanlogic.MapStore{}
			loanlogic.PutJSON(s, []byte("k"), v.Interface())
			loanlogic.PutJSON(s, []byte("by-value"), v.Elem().Interface())
			if got, _ := s.Get([]byte("k")); !bytes.Equal(got, want) {
				t.Fatalf("%v: PutJSON wrote\n%s\nencoding/json\n%s", typ, got, want)
			}
			if got, _ := s.Get([]byte("by-value")); !bytes.Equal(got, want) {
				t.Fatalf("%v by value: PutJSON wrote\n%s\nencoding/json\n%s", typ, got, want)
			}
			// And back: the same value as encoding/json decodes.
			got := reflect.New(typ)
			if ok, err := loanlogic.GetJSON(s, []byte("k"), got.Interface(), errCorrupt); !ok || err != nil {
				t.Fatalf("%v: GetJSON: %v, %v", typ, ok, err)
			}
			back := reflect.New(typ)
			if err := json.Unmarshal(want, back.Interface()); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Interface(), back.Interface()) {
				t.Fatalf("%v: GetJSON %+v, encoding/json %+v", typ, got.Elem(), back.Elem())
			}
		}
	}
}

var errCorrupt = errors.New("corrupt record")

func TestGetJSON(t *testing.T) {
	tests := []struct {
		name     string
		stored   string // "" for none
		wantOK   bool
		wantErr  string // substring after the key; "" for no error
		wantLoan int64
	}{
		{"absent", "", false, "", 0},
		{"canonical", `{"pool":"P","loans":3}`, true, "", 3},
		{"escaped, decoded by encoding/json", `{"pool":"\u0050","loans":4}`, true, "", 4},
		{"not JSON", `{"pool":`, false, "unexpected end of JSON input", 0},
		{"wrong type", `{"loans":"3"}`, false, "json: cannot unmarshal string into Go struct field Disclosure.loans of type int64", 0},
		{"nested wrong type", `{"buckets":{"30":{"count":true}}}`, false, "json: cannot unmarshal bool into Go struct field BucketTotal.buckets.30.count of type int64", 0},
		{"trailing data", `{"loans":1} x`, false, "invalid character 'x' after top-level value", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := loanlogic.MapStore{}
			if tc.stored != "" {
				s.Set([]byte("disclosure/P"), []byte(tc.stored))
			}
			var d poollogic.Disclosure
			ok, err := loanlogic.GetJSON(s, []byte("disclosure/P"), &d, errCorrupt)
			if tc.wantErr != "" {
				want := "corrupt record: disclosure/P: " + tc.wantErr
				if !errors.Is(err, errCorrupt) || err.Error() != want || ok {
					t.Fatalf("GetJSON = %v, %v; want false and %q", ok, err, want)
				}
				return
			}
			if err != nil || ok != tc.wantOK || d.Loans != tc.wantLoan {
				t.Fatalf("GetJSON = %v, %v, loans %d; want %v, loans %d", ok, err, d.Loans, tc.wantOK, tc.wantLoan)
			}
		})
	}
}

// FuzzGetJSON stores random bytes as each record and requires GetJSON to
// end as encoding/json does: the same value, or an error with its text.
func FuzzGetJSON(f *testing.F) {
	for _, typ := range recordTypes {
		v := reflect.New(typ)
		fill(v.Elem(), rand.New(rand.NewSource(1)))
		data, _ := json.Marshal(v.Interface())
		f.Add(data)
	}
	f.Add([]byte(`{"rolls":[[1,2],[3]],"entered":[1,2,3,4,5]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := loanlogic.MapStore{}
		s.Set([]byte("k"), data)
		for _, typ := range recordTypes {
			got, want := reflect.New(typ), reflect.New(typ)
			_, err := loanlogic.GetJSON(s, []byte("k"), got.Interface(), errCorrupt)
			wantErr := json.Unmarshal(data, want.Interface())
			switch {
			case (err == nil) != (wantErr == nil):
				t.Fatalf("%v: GetJSON %v, encoding/json %v", typ, err, wantErr)
			case err != nil && !strings.HasSuffix(err.Error(), ": "+wantErr.Error()):
				t.Fatalf("%v: GetJSON %v, encoding/json %v", typ, err, wantErr)
			case !reflect.DeepEqual(got.Interface(), want.Interface()):
				t.Fatalf("%v: GetJSON %+v, encoding/json %+v", typ, got.Elem(), want.Elem())
			}
			if err == nil {
				enc, _ := contract.MarshalJSON(got.Interface())
				wantEnc, _ := json.Marshal(want.Interface())
				if !bytes.Equal(enc, wantEnc) {
					t.Fatalf("%v: MarshalJSON %s, encoding/json %s", typ, enc, wantEnc)
				}
			}
		}
	})
}
