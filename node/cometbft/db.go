package cometbft

import (
	"errors"
	"sync"

	dbm "github.com/cometbft/cometbft-db"
	cfg "github.com/cometbft/cometbft/config"
)

// errStoreClosed is what a write to a store gets after the node closed it.
var errStoreClosed = errors.New("cometbft store closed")

// stopSafeDB wraps each of CometBFT's stores so that stopping a node
// cannot crash the process.
//
// CometBFT's Stop closes its stores without waiting for the consensus
// reactor's per-peer goroutines, which sleep up to
// peer_query_maj23_sleep_duration and then read the block store; the
// store panics on the closed database ("leveldb: closed" in
// queryMaj23Routine, reported by many CometBFT users since Tendermint
// v0.34). Here a read after Close finds nothing, which every such
// reader already handles as "not yet stored" before it notices the node
// stopped and returns; Close waits for reads in flight, which goleveldb
// does not.
type stopSafeDB struct {
	dbm.DB
	mu     sync.RWMutex
	closed bool
}

// stopSafeDBProvider opens CometBFT's stores as it would, each wrapped.
func stopSafeDBProvider(ctx *cfg.DBContext) (dbm.DB, error) {
	db, err := cfg.DefaultDBProvider(ctx)
	if err != nil {
		return nil, err
	}
	return &stopSafeDB{DB: db}, nil
}

func (d *stopSafeDB) Get(key []byte) ([]byte, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return nil, nil
	}
	return d.DB.Get(key)
}

func (d *stopSafeDB) Has(key []byte) (bool, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return false, nil
	}
	return d.DB.Has(key)
}

func (d *stopSafeDB) write(f func() error) error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return errStoreClosed
	}
	return f()
}

func (d *stopSafeDB) Set(k, v []byte) error {
	return d.write(func() error { return d.DB.Set(k, v) })
}

func (d *stopSafeDB) SetSync(k, v []byte) error {
	return d.write(func() error { return d.DB.SetSync(k, v) })
}

func (d *stopSafeDB) Delete(k []byte) error {
	return d.write(func() error { return d.DB.Delete(k) })
}

func (d *stopSafeDB) DeleteSync(k []byte) error {
	return d.write(func() error { return d.DB.DeleteSync(k) })
}

// Close closes the database once no read or write is in flight; later
// calls do nothing.
func (d *stopSafeDB) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	return d.DB.Close()
}
