package contract

import (
	"encoding/binary"
	"errors"
	"testing"
)

func encodeScan(kvs ...string) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(kvs)/2))
	for _, s := range kvs {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	return b
}

func TestDecodeScan(t *testing.T) {
	kvs, err := decodeScan(encodeScan("a", "1", "bb", ""))
	if err != nil || len(kvs) != 2 || string(kvs[0].Key) != "a" || string(kvs[0].Value) != "1" ||
		string(kvs[1].Key) != "bb" || len(kvs[1].Value) != 0 {
		t.Fatalf("decodeScan: %q %v", kvs, err)
	}
	valid := encodeScan("a", "1")
	tests := map[string][]byte{
		"empty":           {},
		"short count":     {1, 0},
		"count too large": binary.LittleEndian.AppendUint32(nil, 1<<30),
		"truncated key":   valid[:6],
		"truncated value": valid[:len(valid)-1],
		"trailing bytes":  append(append([]byte{}, valid...), 0),
		"missing value":   append(binary.LittleEndian.AppendUint32(nil, 1), 1, 0, 0, 0, 'a', 9, 9, 9),
	}
	for name, enc := range tests {
		if _, err := decodeScan(enc); !errors.Is(err, ErrScanEncoding) {
			t.Errorf("%s: err %v, want ErrScanEncoding", name, err)
		}
	}
}

func FuzzDecodeScan(f *testing.F) {
	f.Add(encodeScan("k", "v", "k2", "v2"))
	f.Add([]byte{0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, enc []byte) {
		kvs, err := decodeScan(enc)
		if err != nil {
			return
		}
		var parts []string
		for _, kv := range kvs {
			parts = append(parts, string(kv.Key), string(kv.Value))
		}
		if re := encodeScan(parts...); string(re) != string(enc) {
			t.Fatalf("re-encoding %x differs from input %x", re, enc)
		}
	})
}

func TestMethodRejectsBadRegistrations(t *testing.T) {
	noop := func(*Context, struct{}) (struct{}, error) { return struct{}{}, nil }
	Method("registered.once", noop)
	tests := map[string]func(){
		"empty name": func() { Method("", noop) },
		"reserved":   func() { Method(MethodsMethod, noop) },
		"mesh.":      func() { Method("mesh.other", noop) },
		"duplicate":  func() { Method("registered.once", noop) },
		"nil":        func() { Method[struct{}, struct{}]("nil.fn", nil) },
	}
	for name, register := range tests {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("registration did not panic")
				}
			}()
			register()
		})
	}
}
