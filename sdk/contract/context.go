package contract

import (
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
)

// scanAll asks the host for as many entries as it allows.
const scanAll = 1<<31 - 1

// Context is one call's view of the world: who called, which block, and the
// contract's state. It is valid only during the call it was passed to; do
// not keep it.
//
// Reads see the call's own earlier writes. Host limits (docs/abi.md) end
// the call at once with the host's code, e.g. bad_key for an oversized key.
type Context struct {
	// callState is everything a call learns; reset clears all of it.
	callState
	// buf backs scratch, and arena the values Get returns in a reusable
	// Context. reset leaves their bytes as they are: the SDK reads only
	// bytes the host or the SDK wrote earlier in the same call (every use
	// is a slice of n bytes the host just copied, or an append from an
	// empty slice), and clearing them would cost a 6 KiB memory.fill per
	// call.
	buf   [2048]byte
	arena [4096]byte
}

// callState is the part of a Context that belongs to one call.
type callState struct {
	h hostAPI

	// reuse is true when this Context is the instance's only one (see
	// contextSlot): the call's handler may then keep its argument and
	// result in memory it reuses from call to call, which no other call
	// can be using.
	reuse bool
	// arenaUsed is how many bytes of arena Get has handed out this call.
	arenaUsed int

	// scratch is a per-call buffer for short-lived host data (method name,
	// arguments, values decoded in place); nil while lent out so that a
	// nested use allocates instead of clobbering it.
	scratch []byte

	haveCaller bool
	caller     Address

	// The caller's registry entry, looked up on first use.
	haveCallerP    bool
	callerIsMember bool
	callerP        Participant
}

// reset makes c a new call's Context on h: nothing a previous call cached
// survives (a field added to callState is cleared without being named).
func (c *Context) reset(h hostAPI, reuse bool) {
	c.callState = callState{h: h, reuse: reuse, scratch: c.buf[:]}
}

// Caller is the address that signed the transaction or, in a contract
// called by another (Call), the calling contract's address.
func (c *Context) Caller() Address {
	if !c.haveCaller {
		c.caller = c.h.Caller()
		c.haveCaller = true
	}
	return c.caller
}

// Self is this contract's address.
func (c *Context) Self() Address { return c.h.SelfAddress() }

// Height is the height of the block being executed.
func (c *Context) Height() uint64 { return c.h.BlockHeight() }

// TimeMillis is the block time in Unix milliseconds. It is the same on
// every node; it is not the local clock.
func (c *Context) TimeMillis() int64 { return c.h.BlockTimeMs() }

// Time is the block time in Unix seconds (rounded down).
func (c *Context) Time() int64 {
	ms := c.h.BlockTimeMs()
	s := ms / 1000
	if ms%1000 < 0 {
		s--
	}
	return s
}

// TxHash is the hash of the transaction being executed; all zero for a
// query.
func (c *Context) TxHash() [32]byte { return c.h.TxHash() }

// GasLeft is the gas remaining for this call.
func (c *Context) GasLeft() uint64 { return c.h.GasLeft() }

// Get returns a copy of key's value and whether key exists. An empty value
// is a value: (empty, true).
//
// In Wasm the copy is made in memory the Context reuses from call to call,
// which no later call of the same instance can see (each call starts from
// the instance's snapshot); it is valid for the rest of the call, like the
// Context itself.
func (c *Context) Get(key []byte) ([]byte, bool) {
	if c.reuse {
		// Read straight into the arena while it has at least the scratch
		// buffer's room, so that no value needs a second read that would
		// not have needed one before.
		if room := c.arena[c.arenaUsed:]; len(room) >= len(c.scratch) {
			n := c.h.StateGet(key, room)
			if n < 0 {
				return nil, false
			}
			if n <= len(room) {
				c.arenaUsed += n
				return room[:n:n], true
			}
			v := make([]byte, n)
			c.h.StateGet(key, v)
			return v, true
		}
	}
	// No guest code runs between the host copy and ours, so the scratch
	// buffer needs no lending here.
	buf := c.scratch
	n := c.h.StateGet(key, buf)
	if n < 0 {
		return nil, false
	}
	v := make([]byte, n)
	if n <= len(buf) {
		copy(v, buf[:n])
		return v, true
	}
	c.h.StateGet(key, v)
	return v, true
}

// Has reports whether key exists.
func (c *Context) Has(key []byte) bool { return c.h.StateHas(key) }

// Set stores value under key. An empty value is stored as a value, not a
// deletion. The host copies both slices.
func (c *Context) Set(key, value []byte) { c.h.StateSet(key, value) }

// Delete removes key; deleting an absent key does nothing.
func (c *Context) Delete(key []byte) { c.h.StateDelete(key) }

// GetJSON decodes key's JSON value into v. It reports false, leaving v
// untouched, when key is absent.
func (c *Context) GetJSON(key []byte, v any) (bool, error) {
	buf := c.scratch
	c.scratch = nil
	defer func() { c.scratch = buf }()
	n := c.h.StateGet(key, buf)
	if n < 0 {
		return false, nil
	}
	if n > len(buf) {
		buf = make([]byte, n)
		c.h.StateGet(key, buf)
	}
	if err := UnmarshalJSON(buf[:n], v); err != nil {
		return true, fmt.Errorf("contract: decode %q: %w", key, err)
	}
	return true, nil
}

// SetJSON stores the JSON encoding of v under key.
func (c *Context) SetJSON(key []byte, v any) error {
	data, err := MarshalJSON(v)
	if err != nil {
		return fmt.Errorf("contract: encode %q: %w", key, err)
	}
	c.h.StateSet(key, data)
	return nil
}

// KV is one state entry returned by Scan.
type KV struct {
	Key   []byte
	Value []byte
}

// ErrScanEncoding means the host returned a malformed scan result.
var ErrScanEncoding = errors.New("contract: malformed scan result from host")

// Scan returns the entries whose key starts with prefix and is >= start
// (an empty start means from the prefix itself), in ascending key order,
// at most limit of them. limit <= 0 means as many as the host allows in one
// scan (docs/abi.md: MaxScanEntries); a full page means there may be more,
// so continue from the last key plus a zero byte.
func (c *Context) Scan(prefix, start []byte, limit int) []KV {
	lim := int32(scanAll)
	if limit > 0 && limit < scanAll {
		lim = int32(limit)
	}
	buf := c.scratch
	n := c.h.StateScan(prefix, start, lim, buf)
	var enc []byte
	if n <= len(buf) {
		enc = make([]byte, n)
		copy(enc, buf[:n])
	} else {
		enc = make([]byte, n)
		if m := c.h.StateScan(prefix, start, lim, enc); m != n {
			panic(ErrScanEncoding)
		}
	}
	kvs, err := decodeScan(enc)
	if err != nil {
		panic(err)
	}
	return kvs
}

// decodeScan parses u32 count, then per entry u32 key_len, key, u32
// val_len, val (little-endian). Entries alias enc.
func decodeScan(enc []byte) ([]KV, error) {
	if len(enc) < 4 {
		return nil, ErrScanEncoding
	}
	count := binary.LittleEndian.Uint32(enc)
	enc = enc[4:]
	if uint64(count)*8 > uint64(len(enc)) {
		return nil, ErrScanEncoding
	}
	kvs := make([]KV, count)
	for i := range kvs {
		var ok bool
		if kvs[i].Key, enc, ok = cutField(enc); !ok {
			return nil, ErrScanEncoding
		}
		if kvs[i].Value, enc, ok = cutField(enc); !ok {
			return nil, ErrScanEncoding
		}
	}
	if len(enc) != 0 {
		return nil, ErrScanEncoding
	}
	return kvs, nil
}

func cutField(b []byte) (field, rest []byte, ok bool) {
	if len(b) < 4 {
		return nil, nil, false
	}
	n := binary.LittleEndian.Uint32(b)
	b = b[4:]
	if uint64(n) > uint64(len(b)) {
		return nil, nil, false
	}
	return b[:n:n], b[n:], true
}

// Emit appends an event with the JSON encoding of payload (by AppendJSON
// for a non-nil JSONAppender). Events of a failed call are discarded.
func (c *Context) Emit(name string, payload any) error {
	if ap, ok := payload.(JSONAppender); ok && !isNilPointer(payload) {
		buf := c.scratch
		if buf == nil {
			buf = make([]byte, 0, 256)
		}
		// The host copies the data before returning.
		c.h.Emit(name, ap.AppendJSON(buf[:0]))
		return nil
	}
	data, err := MarshalJSON(payload)
	if err != nil {
		return fmt.Errorf("contract: encode event %s: %w", name, err)
	}
	c.h.Emit(name, data)
	return nil
}

// Abort ends the call at once with code aborted and msg, discarding its
// writes and events. It never returns; deferred functions do not run.
func (c *Context) Abort(msg string) {
	c.h.Abort(msg)
	panic("contract: host returned from abort")
}

func isNilPointer(v any) bool {
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}
