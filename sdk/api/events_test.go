package api

import (
	"errors"
	"testing"
)

func TestParseEventID(t *testing.T) {
	tests := []struct {
		in      string
		want    EventID
		wantErr error
	}{
		{in: "12:3", want: EventID{12, 3}},
		{in: "12", want: EventID{12, 0}},
		{in: " 7:0 ", want: EventID{7, 0}},
		{in: "", wantErr: ErrBadEventID},
		{in: "x:1", wantErr: ErrBadEventID},
		{in: "1:y", wantErr: ErrBadEventID},
		{in: "1:99999999999", wantErr: ErrBadEventID},
		{in: "-1:0", wantErr: ErrBadEventID},
	}
	for _, tt := range tests {
		got, err := ParseEventID(tt.in)
		if !errors.Is(err, tt.wantErr) {
			t.Fatalf("ParseEventID(%q) error = %v, want %v", tt.in, err, tt.wantErr)
		}
		if err == nil && got != tt.want {
			t.Fatalf("ParseEventID(%q) = %v, want %v", tt.in, got, tt.want)
		}
		if err == nil && tt.in == "12:3" && got.String() != "12:3" {
			t.Fatalf("String() = %q", got.String())
		}
	}
	if !(EventID{1, 5}).Less(EventID{2, 0}) || !(EventID{2, 0}).Less(EventID{2, 1}) || (EventID{2, 1}).Less(EventID{2, 1}) {
		t.Fatal("Less is not stream order")
	}
}
