package storage

import (
	"bytes"
	"fmt"
	"testing"
)

func TestStatsCountIO(t *testing.T) {
	db, err := Open(t.TempDir(), Options{NoSync: true, WriteBufferMB: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Past the 1 MiB memtable, so tables are written and compacted.
	val := bytes.Repeat([]byte{7}, 1000)
	for i := range 5000 {
		if err := db.Put(fmt.Appendf(nil, "k%06d", i), val); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Compact(nil, nil); err != nil {
		t.Fatal(err)
	}
	st, err := db.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.WriteBytes < 5000*1000 || st.CompactionWriteBytes <= 0 || len(st.Tables) == 0 {
		t.Errorf("after writing 5 MB and compacting: %+v", st)
	}
	before := st.ReadBytes
	if _, err := db.Get([]byte("k000123")); err != nil {
		t.Fatal(err)
	}
	st, err = db.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if after := st.ReadBytes; after <= before || st.BlockCacheBytes == 0 {
		t.Errorf("a Get from a table: reads %d -> %d, block cache %d bytes", before, after, st.BlockCacheBytes)
	}
}

func TestStatsOfMemoryAndClosedStores(t *testing.T) {
	if st, err := OpenMemory().Stats(); err != nil || st.WriteBytes != 0 || st.Tables != nil {
		t.Errorf("in memory: %+v, %v; want zero stats", st, err)
	}
	db, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Stats(); err == nil {
		t.Error("stats of a closed store: no error")
	}
}
