package contract

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"reflect"
	"testing"
)

// Synthetic records with every shape the codec handles.
type codecTotal struct {
	Count   int64 `json:"count"`
	Balance int64 `json:"balance"`
}

type codecBuckets struct {
	Current codecTotal `json:"current"`
	D90     codecTotal `json:"90+"`
	Odd     codecTotal `json:"a.b-c d"`
}

type codecRecord struct {
	Name     string            `json:"name"`
	Who      Address           `json:"who"`
	Buckets  codecBuckets      `json:"buckets"`
	Counts   [4]int64          `json:"counts"`
	Rolls    [3][3]int32       `json:"rolls,omitempty"`
	None     [0]int            `json:"none,omitempty"`
	Bytes    [3]uint8          `json:"bytes"`
	Tags     []string          `json:"tags"`
	Opt      []uint16          `json:"opt,omitempty"`
	Items    []codecTotal      `json:"items"`
	Nested   [][]bool          `json:"nested"`
	Plan     *codecTotal       `json:"plan,omitempty"`
	Owner    *Address          `json:"owner"`
	Addrs    []Address         `json:"addrs"`
	Flag     bool              `json:"flag,omitempty"`
	Small    int8              `json:"small"`
	Untagged uint32            //
	Ptrs     []*codecTotal     `json:"ptrs"`
	Arr      [2]codecBuckets   `json:"arr"`
	Skip     map[string]string `json:"-"`
	hidden   int
}

// codecTypes are decoded and encoded by TestMarshalJSON* and the fuzzer.
var codecTypes = []reflect.Type{
	reflect.TypeFor[codecRecord](), reflect.TypeFor[codecBuckets](), reflect.TypeFor[[]codecTotal](),
	reflect.TypeFor[[2][2]int](), reflect.TypeFor[*codecTotal](), reflect.TypeFor[flatArgs](),
	reflect.TypeFor[[]string](), reflect.TypeFor[Address](),
}

func TestCodecCoversRecordShapes(t *testing.T) {
	for _, typ := range codecTypes {
		if codecFor(typ) == nil {
			t.Errorf("%v has no codec", typ)
		}
	}
}

// checkMarshal requires MarshalJSON(v) to be json.Marshal(v), byte for
// byte, error for error, both for v and for its address.
func checkMarshal(t *testing.T, v any) {
	t.Helper()
	want, wantErr := json.Marshal(v)
	got, err := MarshalJSON(v)
	if !bytes.Equal(got, want) || (err == nil) != (wantErr == nil) {
		t.Fatalf("MarshalJSON(%#v)\n= %s, %v\nencoding/json %s, %v", v, got, err, want, wantErr)
	}
	p := reflect.New(reflect.TypeOf(v))
	p.Elem().Set(reflect.ValueOf(v))
	got, err = MarshalJSON(p.Interface())
	if !bytes.Equal(got, want) || (err == nil) != (wantErr == nil) {
		t.Fatalf("MarshalJSON(&%#v)\n= %s, %v\nencoding/json %s, %v", v, got, err, want, wantErr)
	}
}

// checkUnmarshal requires UnmarshalJSON(data) into a new value of typ to
// end as json.Unmarshal does: the same value and the same error text.
func checkUnmarshal(t *testing.T, typ reflect.Type, data []byte) {
	t.Helper()
	got, want := reflect.New(typ), reflect.New(typ)
	err := UnmarshalJSON(data, got.Interface())
	wantErr := json.Unmarshal(data, want.Interface())
	if errText(err) != errText(wantErr) || !reflect.DeepEqual(got.Elem().Interface(), want.Elem().Interface()) {
		t.Fatalf("UnmarshalJSON(%q) into %v\n= %#v, %v\nencoding/json %#v, %v", data, typ, got.Elem(), err, want.Elem(), wantErr)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestMarshalJSONMatchesEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	owner := Address{1, 2, 3}
	for _, v := range []any{
		codecRecord{},
		codecRecord{Tags: []string{}, Items: []codecTotal{}, Nested: [][]bool{nil, {}}, Opt: []uint16{}},
		codecRecord{
			Name: "a <b> & \"c\"", Who: Address{19: 1}, Counts: [4]int64{-1 << 63, 0, 1, 1<<63 - 1},
			Rolls: [3][3]int32{{1}, {}, {0, 0, -7}}, Tags: []string{"x", "é", ""}, Opt: []uint16{65535},
			Items: []codecTotal{{1, 2}}, Nested: [][]bool{{true, false}}, Plan: &codecTotal{Count: 3},
			Owner: &owner, Addrs: []Address{{}, {7}}, Flag: true, Small: -128, Untagged: 1<<32 - 1,
			Ptrs: []*codecTotal{nil, {Balance: 5}}, Skip: map[string]string{"k": "v"}, hidden: 1,
		},
		[]codecTotal(nil), []codecTotal{}, [2][2]int{{1, 2}, {3, 4}}, (*codecTotal)(nil),
		struct{ P *codecTotal }{}, struct{ P *codecTotal }{&codecTotal{}}, [1]*int64{},
	} {
		checkMarshal(t, v)
	}
	for _, typ := range codecTypes {
		for range 300 {
			v := reflect.New(typ).Elem()
			fillRandom(v, rng, 0)
			checkMarshal(t, v.Interface())
		}
	}
}

// fillRandom sets v's exported parts to random values, strings drawn from
// pieces that exercise escaping, slices and pointers nil or not.
func fillRandom(v reflect.Value, rng *rand.Rand, depth int) {
	pieces := []string{"", "a", "Z9", "<", ">", "&", `"`, `\`, "\x00", "\n", "é", "\u2028", "\xff", " "}
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() {
				fillRandom(f, rng, depth+1)
			}
		}
	case reflect.Array:
		for i := range v.Len() {
			fillRandom(v.Index(i), rng, depth+1)
		}
	case reflect.Slice:
		switch n := rng.Intn(5); {
		case n == 0 || depth > 4:
			v.SetZero()
		default:
			v.Set(reflect.MakeSlice(v.Type(), n-1, n-1))
			for i := range n - 1 {
				fillRandom(v.Index(i), rng, depth+1)
			}
		}
	case reflect.Pointer:
		if rng.Intn(3) > 0 && depth <= 4 {
			v.Set(reflect.New(v.Type().Elem()))
			fillRandom(v.Elem(), rng, depth+1)
		}
	case reflect.String:
		var s string
		for range rng.Intn(4) {
			s += pieces[rng.Intn(len(pieces))]
		}
		v.SetString(s)
	case reflect.Bool:
		v.SetBool(rng.Intn(2) == 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(rng.Uint64()) >> rng.Intn(64))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		v.SetUint(rng.Uint64() >> rng.Intn(64))
	}
}

func TestUnmarshalJSONMatchesEncodingJSON(t *testing.T) {
	rec := reflect.TypeFor[codecRecord]()
	for _, data := range []string{
		`{}`, `null`, ` {"name":"x"} `,
		`{"buckets":{"current":{"count":1,"balance":2},"90+":{"count":3}},"counts":[1,2,3,4]}`,
		`{"counts":[1,2]}`, `{"counts":[1,2,3,4,5]}`, `{"counts":[]}`, `{"counts":null}`,
		`{"rolls":[[1,2,3],[4]]}`, `{"bytes":"AAEC"}`, `{"bytes":[1,2,256]}`,
		`{"tags":["a","b"]}`, `{"tags":[]}`, `{"tags":null}`, `{"tags":["a"],"tags":["b","c"]}`,
		`{"items":[{"count":1},{"balance":2}]}`, `{"items":[{"count":1,"balance":9}],"items":[{"count":5}]}`,
		`{"nested":[[true],[],null]}`, `{"plan":{"count":1}}`, `{"plan":null}`,
		`{"plan":{"count":1},"plan":{"balance":2}}`, `{"owner":"0x0000000000000000000000000000000000000001"}`,
		`{"owner":null}`, `{"who":null}`, `{"owner":"0x1"}`, `{"addrs":["0x0000000000000000000000000000000000000002"]}`,
		`{"ptrs":[null,{"count":1}]}`, `{"arr":[{"current":{"count":1}},{}]}`,
		`{"buckets":{"current":{"count":1}},"buckets":{"90+":{"balance":2}}}`,
		`{"counts":[1,2,3,4],"counts":[5]}`, `{"Untagged":7}`, `{"untagged":7}`, `{"BUCKETS":{}}`,
		`{"buckets":{"CURRENT":{"count":1}}}`, `{"name":"\u00e9"}`, `{"small":-129}`, `{"small":1.5}`,
		`{"name":1}`, `{"counts":{}}`, `{"tags":"a"}`, `{"buckets":[]}`, `{"a.b-c d":{}}`,
		`{"buckets":{"a.b-c d":{"count":4}}}`, `{"nested":[[1]]}`, `{"name":"x"`, `{"name":"x"}x`,
		`[`, ``, `{"items":[{"count":1},]}`, `{"tags":["a" "b"]}`,
	} {
		checkUnmarshal(t, rec, []byte(data))
	}
	for _, tc := range []struct {
		typ  reflect.Type
		data string
	}{
		{reflect.TypeFor[[]codecTotal](), `[{"count":1},{"count":2,"balance":3}]`},
		{reflect.TypeFor[[]codecTotal](), `[]`},
		{reflect.TypeFor[[]codecTotal](), `null`},
		{reflect.TypeFor[[2][2]int](), `[[1],[2,3]]`},
		{reflect.TypeFor[*codecTotal](), `{"count":1}`},
		{reflect.TypeFor[*codecTotal](), `null`},
		{reflect.TypeFor[Address](), `null`},
		{reflect.TypeFor[[]string](), `["x",null]`},
	} {
		checkUnmarshal(t, tc.typ, []byte(tc.data))
	}
}

// A value that is not zero is decoded by encoding/json, which merges into
// it; the codec must not touch it first.
func TestUnmarshalJSONIntoNonZeroValue(t *testing.T) {
	got := codecRecord{Name: "keep", Items: []codecTotal{{Count: 1, Balance: 2}}}
	want := got
	want.Items = []codecTotal{{Count: 1, Balance: 2}}
	data := []byte(`{"items":[{"count":5}]}`)
	if err := UnmarshalJSON(data, &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) || got.Items[0].Balance != 2 {
		t.Fatalf("got %+v, encoding/json %+v", got, want)
	}
}

func TestUnmarshalJSONRefusesWhatEncodingJSONRefuses(t *testing.T) {
	var nilPtr *codecTotal
	for _, v := range []any{nil, codecTotal{}, nilPtr} {
		err := UnmarshalJSON([]byte(`{}`), v)
		want := json.Unmarshal([]byte(`{}`), v)
		if err == nil || errText(err) != errText(want) {
			t.Errorf("UnmarshalJSON into %#v: %v, encoding/json %v", v, err, want)
		}
	}
}

// FuzzUnmarshalJSON decodes random documents into the record types with
// the codec and with encoding/json and requires the same outcome; what
// decodes is encoded again both ways and must give the same bytes.
func FuzzUnmarshalJSON(f *testing.F) {
	seedRec, _ := json.Marshal(codecRecord{Tags: []string{"a"}, Items: []codecTotal{{1, 2}}, Plan: &codecTotal{}})
	for _, s := range []string{string(seedRec), `{}`, `null`, `[[1,2],[3]]`, `[{"count":1}]`, `{"id":"x","amount":-1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, typ := range codecTypes {
			checkUnmarshal(t, typ, data)
			v := reflect.New(typ)
			if json.Unmarshal(data, v.Interface()) == nil {
				checkMarshal(t, v.Elem().Interface())
			}
		}
	})
}

func BenchmarkMarshalRecord(b *testing.B) {
	v := &codecRecord{Name: "pool-1", Counts: [4]int64{1, 2, 3, 4}, Items: []codecTotal{{1, 2}, {3, 4}}}
	b.Run("codec", func(b *testing.B) {
		for b.Loop() {
			_, _ = MarshalJSON(v)
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		for b.Loop() {
			_, _ = json.Marshal(v)
		}
	})
}

func BenchmarkUnmarshalRecord(b *testing.B) {
	data, _ := json.Marshal(&codecRecord{Name: "pool-1", Counts: [4]int64{1, 2, 3, 4}, Items: []codecTotal{{1, 2}, {3, 4}}})
	b.Run("codec", func(b *testing.B) {
		for b.Loop() {
			var v codecRecord
			_ = UnmarshalJSON(data, &v)
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		for b.Loop() {
			var v codecRecord
			_ = json.Unmarshal(data, &v)
		}
	})
}

// What json.Marshal writes for a value without strings to escape must take
// the fast path: a fallback would keep results but lose the speed.
func TestCanonicalInputTakesFastPath(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for _, typ := range codecTypes {
		c := codecFor(typ)
		for range 200 {
			v := reflect.New(typ)
			fillRandom(v.Elem(), rng, 0)
			data, err := json.Marshal(v.Interface())
			if err != nil {
				t.Fatal(err)
			}
			if bytes.ContainsAny(data, `\`) || !isPrintableASCII(data) {
				continue // escaped strings are encoding/json's to decode
			}
			got := reflect.New(typ)
			if !c.decodeAll(data, got.UnsafePointer()) {
				t.Fatalf("%v: %s left to encoding/json", typ, data)
			}
			want := reflect.New(typ)
			if err := json.Unmarshal(data, want.Interface()); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Interface(), want.Interface()) {
				t.Fatalf("%v: decoded %#v from %s, encoding/json %#v", typ, got.Elem(), data, want.Elem())
			}
		}
	}
}

func isPrintableASCII(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// Contracts run natively in parallel tests share the codec cache.
func TestCodecCacheConcurrentUse(t *testing.T) {
	type fresh1 struct{ A [2]int8 }
	type fresh2 struct{ B []string }
	values := []any{fresh1{A: [2]int8{1, 2}}, &fresh2{B: []string{"x"}}, codecTotal{Count: 1}, []codecTotal{{}}}
	done := make(chan error, 8)
	for range 8 {
		go func() {
			for _, v := range values {
				data, err := MarshalJSON(v)
				if err != nil {
					done <- err
					return
				}
				if err := UnmarshalJSON(data, reflect.New(reflect.TypeOf(v)).Interface()); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
