package bench

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/build/buildtest"
	"github.com/meshledger/meshledger/sdk/client"
)

// A book directory keeps the booked book: the second run reopens it and
// pays without a create (the node shows the admin and the workers sent
// nothing but the payments), a run asking for another book is refused
// naming the difference, a node that does not hold the marker's book is
// refused, and a directory whose marker is gone is wiped and booked again.
func TestBookDirReuse(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the loan contract to Wasm and runs a node")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	dir := filepath.Join(t.TempDir(), "book")
	var log strings.Builder
	cfg := Config{
		Spawn: true, BookDir: dir, CompiledCacheDir: buildtest.CompiledCacheDir(), Wasm: nodetest.LoanWasm(t),
		Workers: 2, Loans: 64, Seed: 5, Count: 40, BatchSize: 8, Window: 16,
		BlockInterval: 10 * time.Millisecond, Duration: time.Minute, Log: &log,
	}
	run := func(cfg Config) *Result {
		t.Helper()
		res, err := Run(ctx, cfg)
		if err != nil {
			t.Fatalf("Run: %v\nlog:\n%s", err, log.String())
		}
		if v := res.Verification; res.Committed != 40 || v == nil || v.Recorded != 40 || len(v.Mismatches) != 0 {
			t.Fatalf("committed %d, verification %+v; want 40 recorded", res.Committed, v)
		}
		return res
	}

	res := run(cfg)
	if b := res.Book; b == nil || b.Reused || b.Creates != 64 || b.Dir != dir {
		t.Fatalf("first run's book %+v; want 64 creates booked into %s", b, dir)
	}
	for _, f := range []string{bookWorkersFile, filepath.Join(bookNodeDir, node.KeyFile)} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v, mode %v; want 0600", f, err, fi.Mode().Perm())
		}
	}
	m := readMarker(t, dir)
	if m.Loans != 64 || m.Workers != 2 || len(m.WorkerAddresses) != 2 || m.Seed != 5 || m.ChainID == 0 || m.LoanCodeSHA256 != codeHash(cfg.Wasm) {
		t.Fatalf("marker %+v", m)
	}
	admin := nodeAddress(t, dir)
	adminBefore := nonces(t, dir, admin)[0]

	log.Reset()
	res = run(cfg)
	if b := res.Book; b == nil || !b.Reused || b.Creates != 0 || b.Loans != 64 {
		t.Fatalf("second run's book %+v; want reused, no creates", b)
	}
	var out strings.Builder
	res.Print(&out)
	if !strings.Contains(out.String(), "book reused from "+dir+" (64 loans)") || strings.Contains(log.String(), "deploying") {
		t.Fatalf("the reuse run deployed or does not say it reused:\nlog %s\nreport %s", log.String(), out.String())
	}
	// No deploy, no enrolment: the admin sent nothing. Each worker sent its
	// 32 creates once and 20 payments a run.
	if n := nonces(t, dir, admin)[0]; n != adminBefore {
		t.Fatalf("the admin's nonce went from %d to %d in the reuse run", adminBefore, n)
	}
	for i, n := range nonces(t, dir, m.WorkerAddresses...) {
		if n != 32+20+20 {
			t.Fatalf("worker %d's nonce is %d, want 32 creates and 2×20 payments", i, n)
		}
	}

	t.Run("mismatch", func(t *testing.T) {
		for _, tt := range []struct {
			change func(*Config)
			want   string
		}{
			{func(c *Config) { c.Loans = 100 }, "--loans 100 (booked 64)"},
			{func(c *Config) { c.Workers = 4 }, "--workers 4 (booked 2)"},
			{func(c *Config) { c.Wasm = []byte("\x00asm other") }, "--wasm of sha256"},
		} {
			c := cfg
			tt.change(&c)
			_, err := Run(ctx, c)
			if !errors.Is(err, ErrBookMismatch) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Run on another book: %v; want %v naming %q", err, ErrBookMismatch, tt.want)
			}
		}
	})

	t.Run("node without the book", func(t *testing.T) {
		b := &bookDir{dir: dir}
		marker, err := os.ReadFile(b.path(bookMarkerFile))
		if err != nil {
			t.Fatal(err)
		}
		keys, err := os.ReadFile(b.path(bookWorkersFile))
		if err != nil {
			t.Fatal(err)
		}
		restore := func() {
			mustWrite(t, b.path(bookMarkerFile), string(marker))
			mustWrite(t, b.path(bookWorkersFile), string(keys))
		}
		defer restore()
		for _, tt := range []struct {
			name   string
			change func(*bookMarker)
			want   string
		}{
			{"chain", func(m *bookMarker) { m.ChainID++ }, "chain id"},
			{"contract", func(m *bookMarker) { m.Contract = common.Address{1} }, "loan contract"},
			{"keys", func(m *bookMarker) { m.WorkerAddresses[0] = common.Address{2} }, bookWorkersFile},
			// Workers that sent nothing cannot hold the creates of a share.
			{"nonces", func(m *bookMarker) {
				k1, _ := client.GenerateKey()
				k2, _ := client.GenerateKey()
				if err := os.Remove(b.path(bookWorkersFile)); err != nil {
					t.Fatal(err)
				}
				if err := b.saveWorkerKeys([]*client.Key{k1, k2}); err != nil {
					t.Fatal(err)
				}
				m.WorkerAddresses = []common.Address{k1.Address(), k2.Address()}
			}, "fewer than its 32 creates"},
		} {
			restore()
			bad := readMarker(t, dir)
			tt.change(&bad)
			writeMarker(t, dir, bad)
			if _, err := Run(ctx, cfg); !errors.Is(err, ErrBookState) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("%s: Run = %v; want %v naming %q", tt.name, err, ErrBookState, tt.want)
			}
		}
	})

	t.Run("incomplete", func(t *testing.T) {
		if err := os.Remove(filepath.Join(dir, bookMarkerFile)); err != nil {
			t.Fatal(err)
		}
		log.Reset()
		res := run(cfg)
		if b := res.Book; b == nil || b.Reused || b.Creates != 64 || !strings.Contains(log.String(), "incomplete book") {
			t.Fatalf("book %+v, log %q; want the incomplete book wiped and booked again", b, log.String())
		}
		if m2 := readMarker(t, dir); m2.WorkerAddresses[0] == m.WorkerAddresses[0] {
			t.Fatal("the rebooked book kept the old workers")
		}
	})
}

// A directory without a marker holding only a book's entries is wiped,
// its compiled code kept; one holding anything else is left alone and
// refused; an empty or missing one is a fresh book.
func TestOpenBookDirIncomplete(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"node/chain/000001.log", "compiled-cache/x", "workers.key", ".book.json.123"} {
		mustWrite(t, filepath.Join(dir, p), "x")
	}
	var log strings.Builder
	b, err := openBookDir(Config{BookDir: dir, Loans: 4, Workers: 2, Log: &log})
	if err != nil || b.marker != nil {
		t.Fatalf("openBookDir = %+v, %v", b, err)
	}
	// The directory is the run's until it closes it.
	if _, err := openBookDir(Config{BookDir: dir, Log: io.Discard}); !errors.Is(err, ErrBookBusy) {
		t.Fatalf("opening a directory in use: %v; want %v", err, ErrBookBusy)
	}
	b.close()
	b2, err := openBookDir(Config{BookDir: dir, Log: io.Discard})
	if err != nil {
		t.Fatalf("opening a closed directory: %v", err)
	}
	b2.close()
	if !strings.Contains(log.String(), "incomplete book") {
		t.Fatalf("log %q does not say it wiped", log.String())
	}
	for p, want := range map[string]bool{"node": false, "workers.key": false, ".book.json.123": false, "compiled-cache/x": true} {
		if _, err := os.Stat(filepath.Join(dir, p)); (err == nil) != want {
			t.Fatalf("%s: exists %v after the wipe, want %v", p, err == nil, want)
		}
	}

	foreign := t.TempDir()
	mustWrite(t, filepath.Join(foreign, "workers.key"), "x")
	mustWrite(t, filepath.Join(foreign, "notes.txt"), "mine")
	if _, err := openBookDir(Config{BookDir: foreign, Log: io.Discard}); !errors.Is(err, ErrBookForeign) || !strings.Contains(err.Error(), "notes.txt") {
		t.Fatalf("openBookDir on a foreign directory: %v; want %v", err, ErrBookForeign)
	}
	for _, f := range []string{"workers.key", "notes.txt"} {
		if _, err := os.Stat(filepath.Join(foreign, f)); err != nil {
			t.Fatal("a foreign directory was wiped")
		}
	}
	if _, err := os.Stat(filepath.Join(foreign, bookLockFile)); err == nil {
		t.Fatal("loadgen left a lock file in a foreign directory")
	}

	fresh := filepath.Join(t.TempDir(), "new")
	b, err = openBookDir(Config{BookDir: fresh, Log: io.Discard})
	if err != nil || b.marker != nil {
		t.Fatalf("openBookDir on a new directory = %+v, %v", b, err)
	}
	b.close()
	if fi, err := os.Stat(fresh); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("new book directory: %v, mode %v; want 0700", err, fi.Mode().Perm())
	}
}

// A marker that is not JSON or of another format is refused, not wiped.
func TestOpenBookDirBadMarker(t *testing.T) {
	for name, body := range map[string]string{"not json": "{", "other format": `{"format": 99, "loans": 4, "workers": 2}`} {
		dir := t.TempDir()
		mustWrite(t, filepath.Join(dir, bookMarkerFile), body)
		if _, err := openBookDir(Config{BookDir: dir, Loans: 4, Workers: 2, Log: io.Discard}); err == nil {
			t.Fatalf("%s: openBookDir accepted the marker", name)
		}
		if _, err := os.Stat(filepath.Join(dir, bookMarkerFile)); err != nil {
			t.Fatalf("%s: the marker was removed", name)
		}
	}
}

// The workers' keys round-trip through their file, mode 0600; a file that
// is missing, holds something else than keys or other keys than the
// marker's is refused without quoting its lines.
func TestWorkerKeysFile(t *testing.T) {
	k1, _ := client.GenerateKey()
	k2, _ := client.GenerateKey()
	b := &bookDir{dir: t.TempDir(), marker: &bookMarker{Workers: 2, WorkerAddresses: []common.Address{k1.Address(), k2.Address()}}}
	if _, err := b.loadWorkerKeys(); !errors.Is(err, ErrBookState) {
		t.Fatalf("loading missing keys: %v", err)
	}
	if err := b.saveWorkerKeys([]*client.Key{k1, k2}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(b.path(bookWorkersFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("keys file: %v, mode %v", err, fi.Mode().Perm())
	}
	keys, err := b.loadWorkerKeys()
	if err != nil || len(keys) != 2 || keys[1].Address() != k2.Address() {
		t.Fatalf("loadWorkerKeys = %v, %v", keys, err)
	}
	b.marker.WorkerAddresses = b.marker.WorkerAddresses[:1]
	if _, err := b.loadWorkerKeys(); !errors.Is(err, ErrBookState) {
		t.Fatalf("keys of other workers: %v", err)
	}
	secret := "0xnot-a-key-but-secret"
	mustWrite(t, b.path(bookWorkersFile), secret+"\n")
	if _, err := b.loadWorkerKeys(); !errors.Is(err, ErrBookState) || strings.Contains(err.Error(), secret) {
		t.Fatalf("a line that is no key: %v", err)
	}
}

func mustWrite(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

func readMarker(t *testing.T, dir string) bookMarker {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, bookMarkerFile))
	if err != nil {
		t.Fatal(err)
	}
	var m bookMarker
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func writeMarker(t *testing.T, dir string, m bookMarker) {
	t.Helper()
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(dir, bookMarkerFile), string(raw))
}

// nodeAddress is the address of the book's node key.
func nodeAddress(t *testing.T, dir string) common.Address {
	t.Helper()
	k, err := client.LoadHexKey(filepath.Join(dir, bookNodeDir, node.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	return k.Address()
}

// nonces reopens the book's node and reads the accounts' nonces.
func nonces(t *testing.T, dir string, addrs ...common.Address) []uint64 {
	t.Helper()
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n, err := node.New(ctx, node.Config{
		DataDir: filepath.Join(dir, bookNodeDir), Listener: ln, CompiledCacheDir: buildtest.CompiledCacheDir(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close(ctx)
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	c, err := newClient(n.URL(), client.NewKey(n.Key()))
	if err != nil {
		t.Fatal(err)
	}
	out := make([]uint64, len(addrs))
	for i, a := range addrs {
		acct, err := c.Account(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = acct.Nonce
	}
	return out
}
