package storage

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/ethdb/dbtest"
)

func openTemp(t *testing.T, opts Options) *DB {
	t.Helper()
	db, err := Open(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// The same conformance suite go-ethereum runs on its own backends.
func TestConformance(t *testing.T) {
	backends := []struct {
		name string
		open func(t *testing.T) ethdb.KeyValueStore
	}{
		{"leveldb", func(t *testing.T) ethdb.KeyValueStore { return openTemp(t, Options{NoSync: true}) }},
		{"leveldb-sync", func(t *testing.T) ethdb.KeyValueStore { return openTemp(t, Options{}) }},
		{"memory", func(t *testing.T) ethdb.KeyValueStore { return OpenMemory() }},
		{"failpoints-disarmed", func(t *testing.T) ethdb.KeyValueStore { return WithFailpoints(OpenMemory()) }},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			dbtest.TestDatabaseSuite(t, func() ethdb.KeyValueStore { return b.open(t) })
		})
	}
}

func TestOpenTwiceIsLocked(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := Open(dir, Options{}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: got %v, want ErrLocked", err)
	}
}

func TestOpenNotADirectory(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(file, Options{})
	if err == nil || errors.Is(err, ErrLocked) {
		t.Fatalf("Open on a file: got %v, want an open error", err)
	}
}

func TestReopenKeepsBatch(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := db.NewBatch()
	for _, k := range []string{"a", "b", "empty"} {
		v := []byte("v-" + k)
		if k == "empty" {
			v = nil
		}
		if err := b.Put([]byte(k), v); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Write(); err != nil {
		t.Fatal(err)
	}
	if err := db.SyncKeyValue(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Dir() != dir {
		t.Errorf("Dir() = %q, want %q", db.Dir(), dir)
	}
	for _, tc := range []struct {
		key, want string
		ok        bool
	}{{"a", "v-a", true}, {"b", "v-b", true}, {"empty", "", true}, {"missing", "", false}} {
		v, ok, err := Get(db, []byte(tc.key))
		if err != nil || ok != tc.ok || string(v) != tc.want {
			t.Errorf("Get(%q) = %q, %v, %v; want %q, %v", tc.key, v, ok, err, tc.want, tc.ok)
		}
		if tc.ok && v == nil {
			t.Errorf("Get(%q) returned nil for a present value", tc.key)
		}
	}
}

func TestGet(t *testing.T) {
	for name, db := range map[string]*DB{"leveldb": openTemp(t, Options{NoSync: true}), "memory": OpenMemory()} {
		t.Run(name, func(t *testing.T) {
			if err := db.Put([]byte("k"), []byte{}); err != nil {
				t.Fatal(err)
			}
			v, ok, err := Get(db, []byte("k"))
			if err != nil || !ok || v == nil || len(v) != 0 {
				t.Fatalf("empty value: got %v, %v, %v", v, ok, err)
			}
			if _, ok, err := Get(db, []byte("absent")); ok || err != nil {
				t.Fatalf("absent: got ok=%v err=%v", ok, err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			if _, _, err := Get(db, []byte("k")); err == nil {
				t.Fatal("Get on a closed store succeeded")
			}
		})
	}
}

func TestFailpoints(t *testing.T) {
	tests := []struct {
		name      string
		arm       func(f *Failpoints)
		batchOK   []bool // outcome of successive batch writes
		putOK     []bool // outcome of successive direct puts
		afterWant bool   // a write after Reset succeeds
	}{
		{"disarmed", func(*Failpoints) {}, []bool{true, true}, []bool{true, true}, true},
		{"first batch", func(f *Failpoints) { f.FailBatchWrite(0) }, []bool{false, false}, []bool{true}, true},
		{"third batch", func(f *Failpoints) { f.FailBatchWrite(2) }, []bool{true, true, false, false}, []bool{true}, true},
		{"second put", func(f *Failpoints) { f.FailPut(2) }, []bool{true}, []bool{true, false, false}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := WithFailpoints(OpenMemory())
			tc.arm(f)
			for i, want := range tc.batchOK {
				key := []byte{'b', byte(i)}
				b := f.NewBatch()
				if i%2 == 1 {
					b = f.NewBatchWithSize(64)
				}
				if err := b.Put(key, []byte("v")); err != nil {
					t.Fatalf("batch %d put: %v", i, err)
				}
				err := b.Write()
				if want != (err == nil) || (!want && !errors.Is(err, ErrInjected)) {
					t.Fatalf("batch %d: err %v, want ok=%v", i, err, want)
				}
				if has, _ := f.Has(key); has != want {
					t.Fatalf("batch %d: key present=%v after write ok=%v", i, has, want)
				}
			}
			for i, want := range tc.putOK {
				key := []byte{'p', byte(i)}
				err := f.Put(key, []byte("v"))
				if want != (err == nil) || (!want && !errors.Is(err, ErrInjected)) {
					t.Fatalf("put %d: err %v, want ok=%v", i, err, want)
				}
				if has, _ := f.Has(key); has != want {
					t.Fatalf("put %d: key present=%v after put ok=%v", i, has, want)
				}
			}
			f.Reset()
			b := f.NewBatch()
			_ = b.Put([]byte("after"), nil)
			if err := b.Write(); (err == nil) != tc.afterWant {
				t.Fatalf("after Reset: %v", err)
			}
		})
	}
}

func TestFailpointBatchPut(t *testing.T) {
	f := WithFailpoints(OpenMemory())
	f.FailPut(1)
	b := f.NewBatch()
	if err := b.Put([]byte("a"), nil); err != nil {
		t.Fatal(err)
	}
	if err := b.Put([]byte("b"), nil); !errors.Is(err, ErrInjected) {
		t.Fatalf("second batch put: got %v, want ErrInjected", err)
	}
	if err := b.Write(); err != nil {
		t.Fatal(err)
	}
	if has, _ := f.Has([]byte("b")); has {
		t.Fatal("a failed batch put was applied")
	}
}

func TestPrefixesDistinct(t *testing.T) {
	seen := map[byte]bool{}
	for _, p := range Prefixes() {
		if seen[p] {
			t.Fatalf("prefix %q used twice", p)
		}
		seen[p] = true
	}
}

func TestKeyEncodings(t *testing.T) {
	var addr [20]byte
	addr[19] = 0xaa
	var hash [32]byte
	hash[0] = 0xbb
	tests := []struct {
		name string
		got  []byte
		want []byte
	}{
		{"node", TrieNodeKey(hash), append([]byte{'n'}, hash[:]...)},
		{"flat", FlatStateKey(addr, []byte("k")), append(append([]byte{'s'}, addr[:]...), 'k')},
		{"flat prefix", FlatStatePrefix(addr), append([]byte{'s'}, addr[:]...)},
		{"history", HistoryKey(addr, []byte("k"), 258, 3),
			cat([]byte{'h'}, addr[:], []byte{0, 0, 0, 1, 'k'}, []byte{0, 0, 0, 0, 0, 0, 1, 2}, []byte{0, 0, 0, 3})},
		{"history prefix", HistoryKeyPrefix(addr, []byte("k")), cat([]byte{'h'}, addr[:], []byte{0, 0, 0, 1, 'k'})},
		{"header", HeaderKey(1), []byte{'H', 0, 0, 0, 0, 0, 0, 0, 1}},
		{"block hash", BlockHashKey(hash), append([]byte{'B'}, hash[:]...)},
		{"tx", TxKey(1, 2), []byte{'t', 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2}},
		{"receipt", ReceiptKey(1, 2), []byte{'r', 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2}},
		{"tx lookup", TxLookupKey(hash), append([]byte{'x'}, hash[:]...)},
		{"nonce", NonceKey(addr), append([]byte{'a'}, addr[:]...)},
		{"contract", ContractKey(addr), append([]byte{'m'}, addr[:]...)},
		{"code", CodeKey(hash), append([]byte{'c'}, hash[:]...)},
		{"event", EventKey(1, 2, 3), []byte{'e', 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3}},
		{"meta", ChainMetaKey(MetaLatestHeight), append([]byte{'M'}, "latest-height"...)},
	}
	for _, tc := range tests {
		if !bytes.Equal(tc.got, tc.want) {
			t.Errorf("%s: got %x, want %x", tc.name, tc.got, tc.want)
		}
	}
	// Heights must sort numerically.
	if bytes.Compare(HeaderKey(255), HeaderKey(256)) >= 0 {
		t.Error("header keys do not sort by height")
	}
}

func TestDecode(t *testing.T) {
	if v, err := DecodeUint64(EncodeUint64(1 << 40)); err != nil || v != 1<<40 {
		t.Fatalf("DecodeUint64 round trip: %d, %v", v, err)
	}
	if h, i, err := DecodePosition(EncodePosition(7, 9)); err != nil || h != 7 || i != 9 {
		t.Fatalf("DecodePosition round trip: %d %d %v", h, i, err)
	}
	if _, err := DecodeUint64([]byte{1}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("DecodeUint64 short: %v", err)
	}
	if _, _, err := DecodePosition(make([]byte, 8)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("DecodePosition short: %v", err)
	}
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
