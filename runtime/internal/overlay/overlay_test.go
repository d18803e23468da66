package overlay

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand"
	"slices"
	"sort"
	"testing"
)

// mapStore is an in-memory Store; Iterate walks keys in ascending order.
type mapStore struct {
	m   map[string][]byte
	err error
}

func (s *mapStore) Get(key []byte) ([]byte, bool, error) {
	if s.err != nil {
		return nil, false, s.err
	}
	v, ok := s.m[string(key)]
	return v, ok, nil
}

func (s *mapStore) Iterate(prefix, start []byte, fn func(k, v []byte) bool) error {
	if s.err != nil {
		return s.err
	}
	keys := make([]string, 0, len(s.m))
	for k := range s.m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !bytes.HasPrefix([]byte(k), prefix) || k < string(start) {
			continue
		}
		if !fn([]byte(k), s.m[k]) {
			return nil
		}
	}
	return nil
}

type kv struct{ k, v string }

func scanAll(t *testing.T, b *Buffer, prefix, start string, limit int) []kv {
	t.Helper()
	var out []kv
	if err := b.Scan([]byte(prefix), []byte(start), limit, func(k, v []byte) {
		out = append(out, kv{string(k), string(v)})
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestScanMergesBufferOverStore(t *testing.T) {
	store := &mapStore{m: map[string][]byte{"a1": []byte("s1"), "a3": []byte("s3"), "a5": []byte("s5"), "b1": []byte("x")}}
	tests := []struct {
		name   string
		ops    func(b *Buffer)
		prefix string
		start  string
		limit  int
		want   []kv
	}{
		{"store only", func(*Buffer) {}, "a", "", 10, []kv{{"a1", "s1"}, {"a3", "s3"}, {"a5", "s5"}}},
		{"insert between", func(b *Buffer) { b.Set([]byte("a2"), []byte("w2")) }, "a", "", 10, []kv{{"a1", "s1"}, {"a2", "w2"}, {"a3", "s3"}, {"a5", "s5"}}},
		{"overwrite", func(b *Buffer) { b.Set([]byte("a3"), []byte("w3")) }, "a", "", 10, []kv{{"a1", "s1"}, {"a3", "w3"}, {"a5", "s5"}}},
		{"delete", func(b *Buffer) { b.Delete([]byte("a1")) }, "a", "", 10, []kv{{"a3", "s3"}, {"a5", "s5"}}},
		{"tail after store", func(b *Buffer) { b.Set([]byte("a9"), nil) }, "a", "", 10, []kv{{"a1", "s1"}, {"a3", "s3"}, {"a5", "s5"}, {"a9", ""}}},
		{"start", func(b *Buffer) { b.Set([]byte("a4"), []byte("w4")) }, "a", "a3", 10, []kv{{"a3", "s3"}, {"a4", "w4"}, {"a5", "s5"}}},
		{"limit", func(b *Buffer) { b.Set([]byte("a0"), []byte("w0")) }, "a", "", 2, []kv{{"a0", "w0"}, {"a1", "s1"}}},
		{"other prefix ignored", func(b *Buffer) { b.Set([]byte("b0"), []byte("w")) }, "a", "", 10, []kv{{"a1", "s1"}, {"a3", "s3"}, {"a5", "s5"}}},
		{"start below prefix", func(*Buffer) {}, "b", "a", 10, []kv{{"b1", "x"}}},
		{"zero limit", func(*Buffer) {}, "a", "", 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := New()
			b.Reset(store)
			tt.ops(b)
			if got := scanAll(t, b, tt.prefix, tt.start, tt.limit); !slices.Equal(got, tt.want) {
				t.Fatalf("scan = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestGetSeesOwnWritesAndRecordsReads(t *testing.T) {
	store := &mapStore{m: map[string][]byte{"k": []byte("v"), "z": []byte("zz")}}
	b := New()
	b.Reset(store)
	if v, ok, _ := b.Get([]byte("k")); !ok || string(v) != "v" {
		t.Fatalf("Get(k) = %q,%v", v, ok)
	}
	b.Set([]byte("k"), []byte("new"))
	if v, ok, _ := b.Get([]byte("k")); !ok || string(v) != "new" {
		t.Fatalf("Get(k) after set = %q,%v", v, ok)
	}
	b.Delete([]byte("z"))
	if _, ok, _ := b.Get([]byte("z")); ok {
		t.Fatal("deleted key still visible")
	}
	b.Get([]byte("absent"))
	reads := b.Reads()
	if len(reads) != 2 || string(reads[0]) != "absent" || string(reads[1]) != "k" {
		t.Fatalf("Reads = %q", reads)
	}
	w := b.Writes()
	if len(w) != 2 || string(w[0].Key) != "k" || string(w[0].Value) != "new" || !w[1].Delete || string(w[1].Key) != "z" {
		t.Fatalf("Writes = %+v", w)
	}
	b.Reset(store)
	if b.Writes() != nil || b.Reads() != nil {
		t.Fatal("Reset kept state")
	}
}

func TestStoreErrorsPropagate(t *testing.T) {
	boom := errors.New("disk on fire")
	b := New()
	b.Reset(&mapStore{err: boom})
	if _, _, err := b.Get([]byte("k")); !errors.Is(err, boom) {
		t.Fatalf("Get err = %v", err)
	}
	if err := b.Scan(nil, nil, 5, func(k, v []byte) {}); !errors.Is(err, boom) {
		t.Fatalf("Scan err = %v", err)
	}
}

// TestScanMatchesModel compares random operation sequences against applying
// the writes to a copy of the store and scanning that.
func TestScanMatchesModel(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	key := func() string { return fmt.Sprintf("%c%d", 'a'+rng.Intn(2), rng.Intn(20)) }
	for round := 0; round < 200; round++ {
		store := &mapStore{m: map[string][]byte{}}
		for i := 0; i < 15; i++ {
			store.m[key()] = []byte(fmt.Sprint(i))
		}
		model := &mapStore{m: maps(store.m)}
		b := New()
		b.Reset(store)
		for i := 0; i < 15; i++ {
			k := key()
			if rng.Intn(3) == 0 {
				b.Delete([]byte(k))
				delete(model.m, k)
			} else {
				v := fmt.Sprint("w", i)
				b.Set([]byte(k), []byte(v))
				model.m[k] = []byte(v)
			}
		}
		prefix, start, limit := string(rune('a'+rng.Intn(2))), key(), 1+rng.Intn(30)
		ref := New()
		ref.Reset(model)
		if got, want := scanAll(t, b, prefix, start, limit), scanAll(t, ref, prefix, start, limit); !slices.Equal(got, want) {
			t.Fatalf("round %d: scan(%q,%q,%d) = %v, want %v", round, prefix, start, limit, got, want)
		}
	}
}

func maps(m map[string][]byte) map[string][]byte {
	out := make(map[string][]byte, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
