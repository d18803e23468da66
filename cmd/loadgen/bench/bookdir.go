package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/internal/atomicfile"
	"github.com/meshledger/meshledger/sdk/client"
)

// A book directory (--book-dir) keeps a booked loan book between runs, so
// that runs on a book of a million loans do not each spend the booking
// (tens of minutes) first. It holds:
//
//	node/           the spawned node's data directory (its key, genesis, chain)
//	workers.key     the workers' keys, one 0x-hex per line, mode 0600
//	compiled-cache/ the node's compiled contract code (unless --compiled-cache)
//	book.json       the completion marker (bookMarker)
//	lock            locked by the run using the directory
//
// book.json is written last, only once every worker's creates have
// committed and been checked, so a directory without it holds a booking
// cut short: it is wiped and booked again. With it, a run reopens the node
// on node/, skips the deploy and the booking, and pays: the workers' nonces
// are read from the node, so the payments of earlier runs (each of which
// pays toward a loan's interest, harmless to the next) are simply behind.

// Entries of a book directory. Anything else in it is not loadgen's, and
// loadgen refuses to wipe a directory holding it.
const (
	bookMarkerFile   = "book.json"
	bookNodeDir      = "node"
	bookWorkersFile  = "workers.key"
	bookCompiledDir  = "compiled-cache"
	bookLockFile     = "lock"
	bookMarkerFormat = 1
)

// bookMarker is the completion marker of a book directory: what a later
// run needs to reuse the book and to check that it asks for the same one.
type bookMarker struct {
	// Format is bookMarkerFormat; another is refused.
	Format int `json:"format"`
	Loans  int `json:"loans"`
	// Workers and WorkerAddresses: loan j is worker j mod Workers's, who
	// services it; the keys are in workers.key.
	Workers         int              `json:"workers"`
	WorkerAddresses []common.Address `json:"workerAddresses"`
	// Seed is the seed of the run that booked the book; a later run may
	// draw its payments with another.
	Seed     uint64         `json:"seed"`
	Contract common.Address `json:"contract"`
	ChainID  uint64         `json:"chainId"`
	// Stamp names the loans: loan j is bookLoanID(Stamp, j).
	Stamp int64 `json:"loanIdStamp"`
	// LoanCodeSHA256 is the hash of the deployed loan module, so that a
	// run given another --wasm is refused rather than measuring the old one.
	LoanCodeSHA256 string `json:"loanCodeSha256"`
}

// bookDir is an open book directory; marker is nil until the book is
// complete.
type bookDir struct {
	dir    string
	marker *bookMarker
	// release unlocks the directory (nil: not locked).
	release func()
}

// close unlocks the directory for the next run.
func (b *bookDir) close() {
	if b.release != nil {
		b.release()
		b.release = nil
	}
}

// Errors of a book directory.
var (
	// ErrBookMismatch: the directory holds a book booked with another
	// configuration than the run asks for.
	ErrBookMismatch = errors.New("bench: the book directory holds another book")
	// ErrBookForeign: the directory holds files that are not a book's, so
	// loadgen will not wipe it.
	ErrBookForeign = errors.New("bench: the book directory holds files that are not a loan book's")
	// ErrBookBusy: another run holds the book directory.
	ErrBookBusy = errors.New("bench: another loadgen is using the book directory")
	// ErrBookState: the reopened node does not hold the book its marker
	// describes.
	ErrBookState = errors.New("bench: the book directory's node does not hold its book")
)

// openBookDir opens (creating it if missing) and locks the book directory
// of cfg, reads its marker and checks it against cfg. A directory without
// a marker holding only a book's entries is an incomplete book: it is
// wiped, the compiled code excepted. The caller closes it.
func openBookDir(cfg Config) (*bookDir, error) {
	b := &bookDir{dir: cfg.BookDir}
	if err := os.MkdirAll(b.dir, 0o700); err != nil {
		return nil, fmt.Errorf("bench: --book-dir: %w", err)
	}
	// Refused before the lock file is made: a directory that is not a
	// book's gets nothing of loadgen's.
	if _, err := os.Stat(b.path(bookMarkerFile)); errors.Is(err, fs.ErrNotExist) {
		entries, err := os.ReadDir(b.dir)
		if err != nil {
			return nil, fmt.Errorf("bench: --book-dir: %w", err)
		}
		if _, err := b.wipeable(entries); err != nil {
			return nil, err
		}
	}
	release, err := lockBookDir(b.path(bookLockFile))
	if err != nil {
		return nil, fmt.Errorf("%w: %s", err, b.dir)
	}
	b.release = release
	if err := b.read(cfg); err != nil {
		b.close()
		return nil, err
	}
	return b, nil
}

// read reads the marker of the locked directory, or wipes an incomplete
// book.
func (b *bookDir) read(cfg Config) error {
	raw, err := os.ReadFile(b.path(bookMarkerFile))
	switch {
	case err == nil:
		var m bookMarker
		if err := json.Unmarshal(raw, &m); err != nil {
			return fmt.Errorf("bench: --book-dir: %s: %w", b.path(bookMarkerFile), err)
		}
		if err := m.check(cfg); err != nil {
			return fmt.Errorf("%w %s: %w", ErrBookMismatch, b.dir, err)
		}
		b.marker = &m
		return nil
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("bench: --book-dir: %w", err)
	}
	entries, err := os.ReadDir(b.dir)
	if err != nil {
		return fmt.Errorf("bench: --book-dir: %w", err)
	}
	wipe, err := b.wipeable(entries)
	if err != nil {
		return err
	}
	if len(wipe) > 0 {
		fmt.Fprintf(cfg.Log, "%s holds an incomplete book (no %s): wiping it and booking again\n", b.dir, bookMarkerFile)
		for _, name := range wipe {
			if err := os.RemoveAll(b.path(name)); err != nil {
				return fmt.Errorf("bench: --book-dir: wiping an incomplete book: %w", err)
			}
		}
	}
	return nil
}

// wipeable names the entries of a directory without a marker that an
// incomplete book leaves, and fails on any that is not a book's: loadgen
// wipes nothing of someone else's.
func (b *bookDir) wipeable(entries []fs.DirEntry) ([]string, error) {
	var wipe []string
	for _, e := range entries {
		switch e.Name() {
		case bookCompiledDir, bookLockFile:
			// Compiled code is keyed by the module's hash, so it is valid
			// for any book; the lock is the run's own.
		case bookNodeDir, bookWorkersFile:
			wipe = append(wipe, e.Name())
		default:
			if !strings.HasPrefix(e.Name(), "."+bookMarkerFile+".") && !strings.HasPrefix(e.Name(), "."+bookWorkersFile+".") {
				return nil, fmt.Errorf("%w: %s holds %q and no %s", ErrBookForeign, b.dir, e.Name(), bookMarkerFile)
			}
			wipe = append(wipe, e.Name()) // a temporary file of an interrupted write
		}
	}
	return wipe, nil
}

// check names every way cfg asks for another book than m.
func (m *bookMarker) check(cfg Config) error {
	if m.Format != bookMarkerFormat {
		return fmt.Errorf("marker format %d, this loadgen reads %d", m.Format, bookMarkerFormat)
	}
	var diffs []string
	if m.Loans != cfg.Loans {
		diffs = append(diffs, fmt.Sprintf("--loans %d (booked %d)", cfg.Loans, m.Loans))
	}
	// Each worker services and reads only its own share: other workers
	// would leave part of the book unpaid or pay loans they do not service.
	if m.Workers != cfg.Workers {
		diffs = append(diffs, fmt.Sprintf("--workers %d (booked %d)", cfg.Workers, m.Workers))
	}
	if cfg.Wasm != nil && codeHash(cfg.Wasm) != m.LoanCodeSHA256 {
		diffs = append(diffs, fmt.Sprintf("--wasm of sha256 %s (booked %s)", codeHash(cfg.Wasm), m.LoanCodeSHA256))
	}
	if len(diffs) > 0 {
		return fmt.Errorf("this run asks for %s: use another --book-dir or the book's settings", strings.Join(diffs, ", "))
	}
	return nil
}

// codeHash is the hex SHA-256 of a module.
func codeHash(code []byte) string {
	h := sha256.Sum256(code)
	return hex.EncodeToString(h[:])
}

func (b *bookDir) path(name string) string { return filepath.Join(b.dir, name) }

// nodeDir is the spawned node's data directory.
func (b *bookDir) nodeDir() string { return b.path(bookNodeDir) }

// compiledDir is the node's compiled-code cache unless --compiled-cache
// names another: it survives a wipe.
func (b *bookDir) compiledDir() string { return b.path(bookCompiledDir) }

// saveWorkerKeys writes the workers' keys, mode 0600, before they are
// enrolled: a booking cut short leaves no marker, so keys without a book
// are wiped with it.
func (b *bookDir) saveWorkerKeys(keys []*client.Key) error {
	var buf bytes.Buffer
	for _, k := range keys {
		buf.WriteString(k.Hex())
		buf.WriteByte('\n')
	}
	if err := atomicfile.WriteFile(b.path(bookWorkersFile), buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("bench: --book-dir: saving the workers' keys: %w", err)
	}
	return nil
}

// loadWorkerKeys reads the workers' keys and checks them against the
// marker's addresses.
func (b *bookDir) loadWorkerKeys() ([]*client.Key, error) {
	f, err := os.Open(b.path(bookWorkersFile))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBookState, err)
	}
	defer f.Close()
	var keys []*client.Key
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		k, err := client.KeyFromHex(sc.Text())
		if err != nil {
			// The line is a key: never quote it.
			return nil, fmt.Errorf("%w: %s line %d is not a key", ErrBookState, bookWorkersFile, len(keys)+1)
		}
		keys = append(keys, k)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBookState, err)
	}
	addrs := make([]common.Address, len(keys))
	for i, k := range keys {
		addrs[i] = k.Address()
	}
	if !slices.Equal(addrs, b.marker.WorkerAddresses) {
		return nil, fmt.Errorf("%w: %s does not hold the keys of the book's %d workers", ErrBookState, bookWorkersFile, b.marker.Workers)
	}
	return keys, nil
}

// complete writes the marker: the book is whole and may be reused.
func (b *bookDir) complete(m bookMarker) error {
	m.Format = bookMarkerFormat
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("bench: --book-dir: %w", err)
	}
	if err := atomicfile.WriteFile(b.path(bookMarkerFile), append(raw, '\n'), 0o644); err != nil {
		return fmt.Errorf("bench: --book-dir: writing the marker: %w", err)
	}
	b.marker = &m
	return nil
}

// reopenBook takes up the complete book of b on the node c serves (the
// node reopened on b's node directory): it checks that the node holds it
// (its chain, its contract, every worker's creates committed), and returns
// the workers with their shares, their next nonces read from the node and
// the loans their payments will pay. Nothing is sent.
func reopenBook(ctx context.Context, c *client.Client, b *bookDir, cfg Config) ([]*worker, error) {
	m := b.marker
	chainID, err := c.ChainID(ctx)
	if err != nil {
		return nil, err
	}
	if chainID != m.ChainID {
		return nil, fmt.Errorf("%w: the node's chain id is %d, the book's %d", ErrBookState, chainID, m.ChainID)
	}
	if _, err := c.Contract(ctx, m.Contract); err != nil {
		return nil, fmt.Errorf("%w: loan contract %s: %w", ErrBookState, m.Contract.Hex(), err)
	}
	keys, err := b.loadWorkerKeys()
	if err != nil {
		return nil, err
	}
	ws := make([]*worker, len(keys))
	for i, k := range keys {
		ws[i] = &worker{key: k}
	}
	for j := range m.Loans {
		w := ws[j%len(ws)]
		w.loans = append(w.loans, bookLoanID(m.Stamp, j))
	}
	per := (cfg.Count + len(ws) - 1) / len(ws)
	for i, w := range ws {
		a, err := c.Account(ctx, w.key.Address())
		if err != nil {
			return nil, fmt.Errorf("bench: reading worker %s's nonce: %w", w.key.Address().Hex(), err)
		}
		// Creates take a worker's first nonces, so fewer cannot hold its share.
		if a.Nonce < uint64(len(w.loans)) {
			return nil, fmt.Errorf("%w: worker %s has sent %d transactions, fewer than its %d creates", ErrBookState, w.key.Address().Hex(), a.Nonce, len(w.loans))
		}
		w.nonce = a.Nonce
		w.draws = drawLoans(cfg.Seed, i, len(w.loans), per)
	}
	return ws, nil
}
