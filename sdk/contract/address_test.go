package contract

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestParseAddress(t *testing.T) {
	want := Address{0xab, 0xcd, 19: 0xef}
	tests := []struct {
		in      string
		want    Address
		wantErr bool
	}{
		{"0xabcd0000000000000000000000000000000000ef", want, false},
		{"0XABCD0000000000000000000000000000000000EF", want, false},
		{"abcd0000000000000000000000000000000000ef", Address{}, true},
		{"0xabcd", Address{}, true},
		{"0xabcd0000000000000000000000000000000000e", Address{}, true},
		{"0xzzcd0000000000000000000000000000000000ef", Address{}, true},
		{"", Address{}, true},
	}
	for _, tc := range tests {
		got, err := ParseAddress(tc.in)
		if tc.wantErr {
			if !errors.Is(err, ErrBadAddress) {
				t.Errorf("ParseAddress(%q) error %v, want ErrBadAddress", tc.in, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseAddress(%q) = %v, %v", tc.in, got, err)
		}
	}
}

func TestAddressText(t *testing.T) {
	a := Address{0x01, 19: 0xff}
	const hex = "0x01000000000000000000000000000000000000ff"
	if a.Hex() != hex || a.String() != hex {
		t.Fatalf("Hex %s String %s", a.Hex(), a.String())
	}
	data, err := json.Marshal(map[string]Address{"a": a})
	if err != nil || string(data) != `{"a":"`+hex+`"}` {
		t.Fatalf("json %s %v", data, err)
	}
	var back map[Address]Address
	if err := json.Unmarshal([]byte(`{"`+hex+`":"`+hex+`"}`), &back); err != nil || back[a] != a {
		t.Fatalf("round trip %v %v", back, err)
	}
	if !(Address{}).IsZero() || a.IsZero() {
		t.Fatal("IsZero")
	}
	for _, bad := range []string{`123`, `"0x12"`, `null`, `"`} {
		var x Address
		if err := json.Unmarshal([]byte(bad), &x); err == nil {
			t.Errorf("Unmarshal(%s) succeeded", bad)
		}
	}
}
