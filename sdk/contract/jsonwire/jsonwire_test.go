package jsonwire

import (
	"encoding/json"
	"math"
	"strconv"
	"testing"
	"unsafe"
)

func TestAppendMatchesEncodingJSON(t *testing.T) {
	for _, v := range []int64{0, 1, -1, 9, 10, -10, 99, 100, 101, -999, 1_000_000_007, math.MaxInt64, math.MinInt64} {
		if got, want := string(AppendInt([]byte("x"), v)), "x"+strconv.FormatInt(v, 10); got != want {
			t.Errorf("AppendInt(%d) = %s, want %s", v, got, want)
		}
	}
	for _, v := range []uint64{0, 9, 10, 99, 100, 1e19, math.MaxUint64} {
		if got, want := string(AppendUint([]byte("x"), v)), "x"+strconv.FormatUint(v, 10); got != want {
			t.Errorf("AppendUint(%d) = %s, want %s", v, got, want)
		}
	}
	for _, s := range []string{"", "L-1", `a"b`, `a\b`, "<&>", "ü", "\x00", "\x7f", "\xff", "\u2028"} {
		want, _ := json.Marshal(s)
		if got := AppendString(nil, s); string(got) != string(want) {
			t.Errorf("AppendString(%q) = %s, want %s", s, got, want)
		}
	}
	for _, b := range []bool{false, true} {
		want, _ := json.Marshal(b)
		if got := AppendBool(nil, b); string(got) != string(want) {
			t.Errorf("AppendBool(%v) = %s, want %s", b, got, want)
		}
	}
	a := [20]byte{0: 0xab, 19: 0x01}
	if got, want := string(AppendAddress(nil, &a)), `"0xab00000000000000000000000000000000000001"`; got != want {
		t.Errorf("AppendAddress = %s, want %s", got, want)
	}
}

func TestScannerIntegers(t *testing.T) {
	tests := []struct {
		in   string
		read func(*Scanner) (any, bool)
		want any
		ok   bool
	}{
		{"127", func(s *Scanner) (any, bool) { var v int8; ok := s.Int8(&v); return v, ok }, int8(127), true},
		{"128", func(s *Scanner) (any, bool) { var v int8; ok := s.Int8(&v); return v, ok }, int8(0), false},
		{"-128", func(s *Scanner) (any, bool) { var v int8; ok := s.Int8(&v); return v, ok }, int8(-128), true},
		{"-32769", func(s *Scanner) (any, bool) { var v int16; ok := s.Int16(&v); return v, ok }, int16(0), false},
		{"2147483647", func(s *Scanner) (any, bool) { var v int32; ok := s.Int32(&v); return v, ok }, int32(math.MaxInt32), true},
		{"-9223372036854775808", func(s *Scanner) (any, bool) { var v int; ok := s.Int(&v); return v, ok }, math.MinInt, true},
		{"9223372036854775808", func(s *Scanner) (any, bool) { var v int64; ok := s.Int64(&v); return v, ok }, int64(0), false},
		{"-0", func(s *Scanner) (any, bool) { var v int64; ok := s.Int64(&v); return v, ok }, int64(0), true},
		{"01", func(s *Scanner) (any, bool) { var v int64; ok := s.Int64(&v); return v, ok }, int64(0), false},
		{"1.0", func(s *Scanner) (any, bool) { var v int64; ok := s.Int64(&v); return v, ok }, int64(0), false},
		{"1e1", func(s *Scanner) (any, bool) { var v int64; ok := s.Int64(&v); return v, ok }, int64(0), false},
		{"-", func(s *Scanner) (any, bool) { var v int64; ok := s.Int64(&v); return v, ok }, int64(0), false},
		{"255", func(s *Scanner) (any, bool) { var v uint8; ok := s.Uint8(&v); return v, ok }, uint8(255), true},
		{"256", func(s *Scanner) (any, bool) { var v uint8; ok := s.Uint8(&v); return v, ok }, uint8(0), false},
		{"-1", func(s *Scanner) (any, bool) { var v uint16; ok := s.Uint16(&v); return v, ok }, uint16(0), false},
		{"4294967295", func(s *Scanner) (any, bool) { var v uint32; ok := s.Uint32(&v); return v, ok }, uint32(math.MaxUint32), true},
		{"18446744073709551615", func(s *Scanner) (any, bool) { var v uint64; ok := s.Uint64(&v); return v, ok }, uint64(math.MaxUint64), true},
		{"18446744073709551616", func(s *Scanner) (any, bool) { var v uint64; ok := s.Uint64(&v); return v, ok }, uint64(0), false},
		{"28446744073709551615", func(s *Scanner) (any, bool) { var v uint64; ok := s.Uint64(&v); return v, ok }, uint64(0), false},
		{"10000000000000000000", func(s *Scanner) (any, bool) { var v uint; ok := s.Uint(&v); return v, ok }, uint(1e19), true},
		{"7", func(s *Scanner) (any, bool) { var v uintptr; ok := s.Uintptr(&v); return v, ok }, uintptr(7), true},
	}
	for _, tc := range tests {
		s := NewScanner([]byte(tc.in))
		got, ok := tc.read(&s)
		// A fraction or exponent may be left for the next read to refuse.
		ok = ok && s.End()
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("%s: got %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestScannerStringsAndAddresses(t *testing.T) {
	id := "L-1"
	s := NewScanner([]byte(`"L-1"`), "x", id)
	var got string
	if !s.String(&got) || got != id || !s.End() {
		t.Fatalf("String = %q", got)
	}
	if unsafe.StringData(got) != unsafe.StringData(id) {
		t.Error("a known string was copied, not shared")
	}
	for _, in := range []string{`"a\"b"`, `"ü"`, "\"\t\"", `"open`, `x`} {
		s := NewScanner([]byte(in))
		if s.String(&got) && s.End() {
			t.Errorf("String accepted %s", in)
		}
	}
	for in, ok := range map[string]bool{
		`"0xab00000000000000000000000000000000000001"`: true,
		`"0XAB00000000000000000000000000000000000001"`: true,
		`"0xg000000000000000000000000000000000000001"`: false,
		`"ab00000000000000000000000000000000000001"`:   false,
		`"0xab"`: false,
		`null`:   false,
	} {
		s := NewScanner([]byte(in))
		var a [20]byte
		if got := s.Address(&a) && s.End(); got != ok {
			t.Errorf("Address(%s) = %v, want %v", in, got, ok)
		}
		if ok && (a[0] != 0xab || a[19] != 1) {
			t.Errorf("Address(%s) = %x", in, a)
		}
	}
}

func TestScannerStructure(t *testing.T) {
	keys := []string{`"a":`, `"b":`}
	s := NewScanner([]byte(` { "b" : true , "a":false } `))
	var a, b bool
	if !s.Open('{') || s.Close('}') {
		t.Fatal("Open")
	}
	if s.Key(keys, 0) != 1 || !s.Bool(&b) {
		t.Fatal("first member")
	}
	if more, ok := s.Next('}'); !more || !ok {
		t.Fatal("Next after first member")
	}
	if s.Key(keys, 2) != 0 || !s.Bool(&a) {
		t.Fatal("second member")
	}
	if more, ok := s.Next('}'); more || !ok || !s.End() || a || !b {
		t.Fatalf("end: %v %v %v %v", more, ok, a, b)
	}
	for _, in := range []string{`"c":1`, `"A":1`, `"a\u0062":1`, `"a" 1`} {
		s := NewScanner([]byte(in))
		if i := s.Key(keys, 0); i != -1 {
			t.Errorf("Key(%s) = %d, want -1", in, i)
		}
	}
	s = NewScanner([]byte(`nul`))
	if s.Null() {
		t.Error("Null accepted nul")
	}
	s = NewScanner([]byte(`x`))
	if more, ok := s.Next(']'); more || ok {
		t.Error("Next accepted x")
	}
	pos := s.Pos()
	if s.Lit("y") || s.Pos() != pos {
		t.Error("Lit accepted a mismatch or moved")
	}
	var v bool
	if s.Bool(&v) {
		t.Error("Bool accepted x")
	}
}

// TestDiv100 checks div100 where a multiplicative inverse fails first:
// around multiples of 100 and at the top of the uint32 range.
func TestDiv100(t *testing.T) {
	check := func(v uint32) {
		if got := div100(v); got != v/100 {
			t.Fatalf("div100(%d) = %d, want %d", v, got, v/100)
		}
	}
	for v := uint32(0); v < 1_000_000; v++ {
		check(v)
	}
	for v := uint32(math.MaxUint32); v > math.MaxUint32-1_000_000; v-- {
		check(v)
	}
	for k := uint64(1); k*100 <= math.MaxUint32; k = k*3 + 1 {
		for d := uint64(0); d < 3; d++ {
			check(uint32(k*100 - d))
			check(uint32(k*100 + d))
		}
	}
}

// TestAppendIntAcrossSplits runs AppendInt and AppendUint over numbers
// around each power of ten and each split of digits at 2^32 and 10^8.
func TestAppendIntAcrossSplits(t *testing.T) {
	var vs []uint64
	for p := uint64(1); ; p *= 10 {
		vs = append(vs, p-1, p, p+1, 2*p-1, 5*p+3)
		if p > math.MaxUint64/10 {
			break
		}
	}
	vs = append(vs, 1<<32-1, 1<<32, 1<<32+1, 1<<40+12345, 1<<63-1, 1<<63, math.MaxUint64, 100_000_000*(1<<32)+99_999_999)
	for _, u := range vs {
		if got, want := string(AppendUint(nil, u)), strconv.FormatUint(u, 10); got != want {
			t.Errorf("AppendUint(%d) = %s", u, got)
		}
		v := int64(u)
		if got, want := string(AppendInt(nil, v)), strconv.FormatInt(v, 10); got != want {
			t.Errorf("AppendInt(%d) = %s", v, got)
		}
		if got, want := string(AppendInt(nil, -v)), strconv.FormatInt(-v, 10); got != want {
			t.Errorf("AppendInt(%d) = %s", -v, got)
		}
	}
}

// TestScannerLitWords: a literal matches only when every byte does,
// whatever its length (the 8-to-16-byte ones compare by words).
func TestScannerLitWords(t *testing.T) {
	for n := 1; n <= 40; n++ {
		lit := make([]byte, n)
		for i := range lit {
			lit[i] = byte('a' + i)
		}
		input := append(append([]byte(nil), lit...), "tail"...)
		s := NewScanner(input)
		if !s.Lit(string(lit)) || s.Pos() != n {
			t.Fatalf("len %d: exact literal refused", n)
		}
		for i := range n {
			bad := append([]byte(nil), input...)
			bad[i] ^= 0x20
			s := NewScanner(bad)
			if s.Lit(string(lit)) {
				t.Fatalf("len %d: literal matched with byte %d changed", n, i)
			}
		}
		if s := NewScanner(lit[:n-1]); s.Lit(string(lit)) {
			t.Fatalf("len %d: literal matched a shorter input", n)
		}
	}
}

// TestScannerAddressEveryDigit refuses a non-hex character in each of
// the 40 digit positions and reads either case.
func TestScannerAddressEveryDigit(t *testing.T) {
	const good = `"0xAbcdef0123456789abcdef0123456789ABCDEF01"`
	var a [20]byte
	if s := NewScanner([]byte(good)); !s.Address(&a) || a[0] != 0xab || a[19] != 0x01 || a[18] != 0xef {
		t.Fatalf("good address: %x", a)
	}
	for i := 3; i < 43; i++ {
		for _, c := range []byte{'g', 'G', ':', '/', '@', '`', 0, 0xff} {
			bad := []byte(good)
			bad[i] = c
			if s := NewScanner(bad); s.Address(&a) {
				t.Fatalf("address with %q at %d accepted", c, i)
			}
		}
	}
}
