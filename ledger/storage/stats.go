package storage

import (
	"fmt"
	"time"

	"github.com/syndtr/goleveldb/leveldb"
)

// Stats are LevelDB's counters since the store was opened: what a block
// costs in I/O and compaction independently of how busy the machine is,
// which wall and CPU times on a shared machine are not.
type Stats struct {
	// ReadBytes and WriteBytes count all table and log file I/O,
	// compaction included.
	ReadBytes, WriteBytes uint64
	// CompactionReadBytes and CompactionWriteBytes are the sizes of the
	// tables compactions took in and wrote out. The first counts whole
	// input tables, whether read from a file or not, so it is no part of
	// ReadBytes that could be subtracted from it.
	CompactionReadBytes, CompactionWriteBytes int64
	// CompactionTime is the wall time spent compacting, all levels.
	CompactionTime time.Duration
	// BlockCacheBytes is what the block cache holds now.
	BlockCacheBytes int
	// Tables is the number of table files per level.
	Tables []int
}

// Stats returns the store's counters. An in-memory store has none and
// returns the zero Stats.
func (db *DB) Stats() (Stats, error) {
	s, ok := db.KeyValueStore.(*levelStore)
	if !ok {
		return Stats{}, nil
	}
	var st leveldb.DBStats
	if err := s.db.Stats(&st); err != nil {
		return Stats{}, fmt.Errorf("storage: stats of %s: %w", db.dir, err)
	}
	out := Stats{
		ReadBytes: st.IORead, WriteBytes: st.IOWrite,
		CompactionReadBytes: st.LevelRead.Sum(), CompactionWriteBytes: st.LevelWrite.Sum(),
		BlockCacheBytes: st.BlockCacheSize, Tables: st.LevelTablesCounts,
	}
	for _, d := range st.LevelDurations {
		out.CompactionTime += d
	}
	return out, nil
}
