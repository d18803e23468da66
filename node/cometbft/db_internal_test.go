package cometbft

import (
	"errors"
	"testing"

	dbm "github.com/cometbft/cometbft-db"
	cfg "github.com/cometbft/cometbft/config"
)

// After Close, reads find nothing instead of failing (CometBFT's stores
// panic on a read error), writes fail, and Close again is harmless.
func TestStopSafeDB(t *testing.T) {
	conf := cfg.DefaultConfig()
	conf.SetRoot(t.TempDir())
	db, err := stopSafeDBProvider(&cfg.DBContext{ID: "blockstore", Config: conf})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Set([]byte("k"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	if v, err := db.Get([]byte("k")); err != nil || string(v) != "v" {
		t.Fatalf("Get before Close = %q, %v", v, err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if v, err := db.Get([]byte("k")); err != nil || v != nil {
		t.Errorf("Get after Close = %q, %v; want nothing, no error", v, err)
	}
	if ok, err := db.Has([]byte("k")); err != nil || ok {
		t.Errorf("Has after Close = %v, %v", ok, err)
	}
	for name, write := range map[string]func() error{
		"Set":        func() error { return db.Set([]byte("k"), nil) },
		"SetSync":    func() error { return db.SetSync([]byte("k"), nil) },
		"Delete":     func() error { return db.Delete([]byte("k")) },
		"DeleteSync": func() error { return db.DeleteSync([]byte("k")) },
	} {
		if err := write(); !errors.Is(err, errStoreClosed) {
			t.Errorf("%s after Close: %v, want errStoreClosed", name, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	// The database itself was closed: it opens again (LevelDB's lock is
	// released), holding what was written.
	again, err := dbm.NewDB("blockstore", dbm.BackendType(conf.DBBackend), conf.DBDir())
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer again.Close()
	if v, err := again.Get([]byte("k")); err != nil || string(v) != "v" {
		t.Fatalf("after reopen Get = %q, %v", v, err)
	}
}
