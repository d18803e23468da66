package storage

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/syndtr/goleveldb/leveldb"
	lerrors "github.com/syndtr/goleveldb/leveldb/errors"
	"github.com/syndtr/goleveldb/leveldb/filter"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// Errors callers branch on.
var (
	// ErrNotFound is returned by Get for an absent key.
	ErrNotFound = errors.New("storage: not found")
	// ErrLocked is returned by Open when the directory is already open.
	ErrLocked = errors.New("storage: database directory in use")
	// ErrCorrupt is returned when a stored value cannot be decoded.
	ErrCorrupt = errors.New("storage: corrupt value")
)

// Options configure Open. The zero value is the production default.
type Options struct {
	// BlockCacheMB is the LevelDB block cache in MiB (default
	// DefaultBlockCacheMB). LevelDB fills it as it reads, so a small
	// database never spends it.
	BlockCacheMB int
	// WriteBufferMB is the LevelDB memtable in MiB (default
	// DefaultWriteBufferMB). Unlike the block cache it is allocated when
	// the database opens, twice while one is being flushed.
	WriteBufferMB int
	// Handles is the number of open table files kept (default
	// DefaultHandles).
	Handles int
	// NoSync makes batch writes skip fsync. Only for bulk loads and
	// benchmarks that rebuild their data anyway: with it a power loss may
	// drop the last acknowledged blocks.
	NoSync bool
	// ReadOnly opens the database without write access (auditing tools).
	ReadOnly bool
}

// Defaults of Options.
const (
	// DefaultBlockCacheMB holds, for a book of a million loans (some
	// 2.3 GB on disk, a thousand tables), every table's index and filter
	// block and the hottest data blocks. With the former 32 MiB, data
	// blocks evicted the index blocks, so most reads of a random key
	// first re-read and decompressed its table's index: a quarter of the
	// CPU of a block of 1,000 payments on that book (docs/state.md,
	// "A million loans").
	DefaultBlockCacheMB = 512
	// DefaultWriteBufferMB is kept small because it is allocated eagerly
	// and test suites open many databases at once.
	DefaultWriteBufferMB = 16
	// DefaultHandles keeps every table of a million-loan book (about
	// 1,150 files of 2 MiB) but a few open. A Get probes a table in each
	// level, and a table not open is opened again (open, footer and
	// metaindex reads) and closed when evicted: with 256 handles that
	// cost a third of the CPU of reading a loan. Go raises the process's
	// soft limit on open files to the hard limit at startup, which is far
	// above this on any common system.
	DefaultHandles = 1024
)

// DB is the process's one handle to its LevelDB directory (or an in-memory
// map, see OpenMemory). It is safe for concurrent use.
type DB struct {
	ethdb.KeyValueStore
	dir string
}

// Dir returns the directory the database lives in, or "" when in memory.
func (db *DB) Dir() string { return db.dir }

// Open opens (creating if needed) the LevelDB database in dir. Call it once
// per directory and share the DB; Close releases the directory lock.
//
// It does not use go-ethereum's ethdb/leveldb wrapper because that wrapper
// writes batches without sync and makes SyncKeyValue a no-op, so a block
// acknowledged to clients could vanish on power loss. levelStore below is
// the same thin adapter with a sync write option.
func Open(dir string, opts Options) (*DB, error) {
	if opts.BlockCacheMB <= 0 {
		opts.BlockCacheMB = DefaultBlockCacheMB
	}
	if opts.WriteBufferMB <= 0 {
		opts.WriteBufferMB = DefaultWriteBufferMB
	}
	if opts.Handles <= 0 {
		opts.Handles = DefaultHandles
	}
	lopts := &opt.Options{
		Filter:                 filter.NewBloomFilter(10),
		DisableSeeksCompaction: true,
		OpenFilesCacheCapacity: opts.Handles,
		BlockCacheCapacity:     opts.BlockCacheMB * opt.MiB,
		WriteBuffer:            opts.WriteBufferMB * opt.MiB,
		ReadOnly:               opts.ReadOnly,
	}
	ldb, err := leveldb.OpenFile(dir, lopts)
	var corrupted *lerrors.ErrCorrupted
	if errors.As(err, &corrupted) && !opts.ReadOnly {
		ldb, err = leveldb.RecoverFile(dir, lopts)
	}
	if err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) || errors.Is(err, syscall.EAGAIN) {
			return nil, fmt.Errorf("%w: %s: %w", ErrLocked, dir, err)
		}
		return nil, fmt.Errorf("storage: open %s: %w", dir, err)
	}
	return &DB{KeyValueStore: &levelStore{db: ldb, sync: !opts.NoSync}, dir: dir}, nil
}

// levelStore implements ethdb.KeyValueStore over goleveldb.
type levelStore struct {
	db   *leveldb.DB
	sync bool
}

var _ ethdb.KeyValueStore = (*levelStore)(nil)

func (s *levelStore) writeOptions() *opt.WriteOptions { return &opt.WriteOptions{Sync: s.sync} }

func (s *levelStore) Has(key []byte) (bool, error) { return s.db.Has(key, nil) }

func (s *levelStore) Get(key []byte) ([]byte, error) {
	v, err := s.db.Get(key, nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil, ErrNotFound
	}
	return v, err
}

func (s *levelStore) Put(key, value []byte) error { return s.db.Put(key, value, s.writeOptions()) }

func (s *levelStore) Delete(key []byte) error { return s.db.Delete(key, s.writeOptions()) }

// DeleteRange deletes in one batch; LevelDB has no native range delete.
// Like go-ethereum's wrapper it stops after 10,000 keys with
// ethdb.ErrTooManyKeys so that one call cannot stall the node.
func (s *levelStore) DeleteRange(start, end []byte) error {
	b := s.NewBatch()
	if err := b.DeleteRange(start, end); err != nil {
		if errors.Is(err, ethdb.ErrTooManyKeys) {
			if werr := b.Write(); werr != nil {
				return werr
			}
		}
		return err
	}
	return b.Write()
}

func (s *levelStore) Stat() (string, error) {
	var st leveldb.DBStats
	if err := s.db.Stats(&st); err != nil {
		return "", err
	}
	return fmt.Sprintf("levels=%v tables=%v size=%v writes=%d", st.LevelDurations, st.LevelTablesCounts, st.LevelSizes, st.IOWrite), nil
}

// SyncKeyValue forces the write-ahead log to disk by writing an empty
// synced batch; with sync writes on, it is already durable.
func (s *levelStore) SyncKeyValue() error {
	return s.db.Write(new(leveldb.Batch), &opt.WriteOptions{Sync: true})
}

func (s *levelStore) Compact(start, limit []byte) error {
	return s.db.CompactRange(util.Range{Start: start, Limit: limit})
}

func (s *levelStore) Close() error { return s.db.Close() }

func (s *levelStore) NewBatch() ethdb.Batch { return &levelBatch{store: s, b: new(leveldb.Batch)} }

func (s *levelStore) NewBatchWithSize(size int) ethdb.Batch {
	return &levelBatch{store: s, b: leveldb.MakeBatch(size)}
}

// NewIterator iterates keys with prefix, starting at prefix‖start.
func (s *levelStore) NewIterator(prefix, start []byte) ethdb.Iterator {
	r := util.BytesPrefix(prefix)
	r.Start = append(r.Start, start...)
	return s.db.NewIterator(r, nil)
}

type levelBatch struct {
	store *levelStore
	b     *leveldb.Batch
	size  int
}

func (b *levelBatch) Put(key, value []byte) error {
	b.b.Put(key, value)
	b.size += len(key) + len(value)
	return nil
}

func (b *levelBatch) Delete(key []byte) error {
	b.b.Delete(key)
	b.size += len(key)
	return nil
}

// DeleteRange queues deletion of the keys in [start, end) that exist when
// it is called, at most 10,000 (then ethdb.ErrTooManyKeys).
func (b *levelBatch) DeleteRange(start, end []byte) error {
	it := b.store.db.NewIterator(&util.Range{Start: start, Limit: end}, nil)
	defer it.Release()
	n := 0
	for it.Next() {
		if n++; n > 10000 {
			return ethdb.ErrTooManyKeys
		}
		b.b.Delete(it.Key())
		b.size += len(it.Key())
	}
	return it.Error()
}

func (b *levelBatch) ValueSize() int { return b.size }

// Write applies the batch atomically, fsynced unless Options.NoSync.
func (b *levelBatch) Write() error { return b.store.db.Write(b.b, b.store.writeOptions()) }

func (b *levelBatch) Reset() {
	b.b.Reset()
	b.size = 0
}

func (b *levelBatch) Replay(w ethdb.KeyValueWriter) error {
	r := &replayer{w: w}
	if err := b.b.Replay(r); err != nil {
		return err
	}
	return r.err
}

func (b *levelBatch) Close() {}

// replayer adapts an ethdb writer to goleveldb's replay callbacks, keeping
// the first error since those callbacks cannot return one.
type replayer struct {
	w   ethdb.KeyValueWriter
	err error
}

func (r *replayer) Put(key, value []byte) {
	if r.err == nil {
		r.err = r.w.Put(key, value)
	}
}

func (r *replayer) Delete(key []byte) {
	if r.err == nil {
		r.err = r.w.Delete(key)
	}
}
