package runtime

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// snapshotFormat names the snapshot file layout and everything outside the
// configuration that shapes a snapshot: what the host functions do during
// _initialize and the warm-up, and the warm-up itself. Changing any of
// them must change it, so that no node restores a snapshot taken under
// other rules.
const snapshotFormat = "meshledger-snapshot-v1 warmup=" + warmUpMethod

// snapshotMagic starts every snapshot file.
var snapshotMagic = [8]byte{'M', 'L', 'S', 'N', 'A', 'P', '0', '1'}

// snapshotFile is where the snapshot of code hash h taken under cfg lives:
// beside the instrumented bytes, named for the configuration that shapes
// init (the init gas, the limits the host functions enforce and the
// engine), so that runtimes with different configurations sharing a
// directory do not overwrite each other's snapshots.
func (c *preparedCache) snapshotFile(h Hash, cfg *Config) string {
	key := fmt.Sprintf("%s initgas=%d engine=%d limits=%+v", snapshotFormat, cfg.initGas, cfg.engine, cfg.limits)
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(c.dir, hex.EncodeToString(h[:])+"."+hex.EncodeToString(sum[:8])+".snap")
}

// loadSnapshot returns the stored snapshot of h, or nil on a miss. A file
// that is damaged, truncated, of another format or inconsistent with meta
// is a miss: the module is initialised again and the file rewritten.
func (c *preparedCache) loadSnapshot(h Hash, cfg *Config, meta *moduleMeta) (*snapshot, error) {
	if c == nil {
		return nil, nil
	}
	b, err := os.ReadFile(c.snapshotFile(h, cfg))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("runtime: read snapshot cache: %w", err)
	}
	snap, ok := decodeSnapshot(b, h, uint64(cfg.limits.MaxMemoryPages)*wasmPageSize)
	if !ok {
		return nil, nil
	}
	if len(snap.globals) != len(meta.Globals) || len(snap.mem)%wasmPageSize != 0 {
		snap.free()
		return nil, nil
	}
	return snap, nil
}

// storeSnapshot writes snap atomically; a crash leaves the old file or none.
func (c *preparedCache) storeSnapshot(h Hash, cfg *Config, snap *snapshot) error {
	if c == nil {
		return nil
	}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return fmt.Errorf("runtime: snapshot cache: %w", err)
	}
	return writeFileAtomic(c.snapshotFile(h, cfg), encodeSnapshot(snap, h))
}

const wasmPageSize = 65536

// snapshotBlock is the unit in which a stored snapshot omits zero memory.
// Most of a Go module's memory is zero: its heap is sized for growth.
const snapshotBlock = 4096

// encodeSnapshot lays out a snapshot as: magic, code hash, global count,
// globals, memory length, a bitmap with one bit per snapshotBlock of
// memory (set: stored), the stored (non-zero) blocks in order, then
// SHA-256 of everything before it. Integers are little-endian uint64.
func encodeSnapshot(snap *snapshot, h Hash) []byte {
	blocks := (len(snap.mem) + snapshotBlock - 1) / snapshotBlock
	bitmap := snap.nonZero
	if bitmap == nil {
		bitmap = nonZeroBitmap(snap.mem)
	}
	stored := 0
	for i := range blocks {
		if blockSet(bitmap, i) {
			stored += len(memBlock(snap.mem, i))
		}
	}
	n := len(snapshotMagic) + len(h) + 8 + 8*len(snap.globals) + 8 + len(bitmap) + stored + sha256.Size
	b := make([]byte, 0, n)
	b = append(b, snapshotMagic[:]...)
	b = append(b, h[:]...)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(snap.globals)))
	for _, g := range snap.globals {
		b = binary.LittleEndian.AppendUint64(b, g)
	}
	b = binary.LittleEndian.AppendUint64(b, uint64(len(snap.mem)))
	b = append(b, bitmap...)
	for i := range blocks {
		if blockSet(bitmap, i) {
			b = append(b, memBlock(snap.mem, i)...)
		}
	}
	sum := sha256.Sum256(b)
	return append(b, sum[:]...)
}

// nonZeroBitmap marks the non-zero blocks of mem, one bit per block.
func nonZeroBitmap(mem []byte) []byte {
	blocks := (len(mem) + snapshotBlock - 1) / snapshotBlock
	bitmap := make([]byte, (blocks+7)/8)
	for i := range blocks {
		if !isZero(memBlock(mem, i)) {
			bitmap[i/8] |= 1 << (i % 8)
		}
	}
	return bitmap
}

func blockSet(bitmap []byte, i int) bool { return bitmap[i/8]&(1<<(i%8)) != 0 }

func memBlock(mem []byte, i int) []byte {
	return mem[i*snapshotBlock : min((i+1)*snapshotBlock, len(mem))]
}

// zeroBlock is a block of zeros for isZero to compare with; nothing
// writes it.
var zeroBlock [snapshotBlock]byte

// isZero reports whether b, at most a block long, is all zero. Snapshots
// are mostly zero and scanned whole, so this uses the vectorised compare.
func isZero(b []byte) bool {
	return bytes.Equal(b, zeroBlock[:len(b)])
}

// decodeSnapshot parses and verifies encodeSnapshot's output for code h,
// of at most maxMem bytes of memory.
func decodeSnapshot(b []byte, h Hash, maxMem uint64) (*snapshot, bool) {
	if len(b) < sha256.Size {
		return nil, false
	}
	body, sum := b[:len(b)-sha256.Size], b[len(b)-sha256.Size:]
	if want := sha256.Sum256(body); !bytes.Equal(sum, want[:]) {
		return nil, false
	}
	r := body
	take := func(n uint64) ([]byte, bool) {
		if uint64(len(r)) < n {
			return nil, false
		}
		out := r[:n]
		r = r[n:]
		return out, true
	}
	u64 := func() (uint64, bool) {
		v, ok := take(8)
		if !ok {
			return 0, false
		}
		return binary.LittleEndian.Uint64(v), true
	}
	magic, ok := take(uint64(len(snapshotMagic)))
	if !ok || !bytes.Equal(magic, snapshotMagic[:]) {
		return nil, false
	}
	code, ok := take(uint64(len(h)))
	if !ok || !bytes.Equal(code, h[:]) {
		return nil, false
	}
	ng, ok := u64()
	if !ok || ng > uint64(len(r))/8 {
		return nil, false
	}
	snap := &snapshot{globals: make([]uint64, ng)}
	for i := range snap.globals {
		snap.globals[i], _ = u64()
	}
	ml, ok := u64()
	if !ok || ml > maxMem {
		return nil, false
	}
	blocks := (int(ml) + snapshotBlock - 1) / snapshotBlock
	bitmap, ok := take(uint64(blocks+7) / 8)
	if !ok {
		return nil, false
	}
	mem, err := allocMemory(int(ml))
	if err != nil {
		return nil, false
	}
	snap.mem = mem
	snap.nonZero = bytes.Clone(bitmap)
	for i := range blocks {
		if !blockSet(bitmap, i) {
			continue
		}
		dst := memBlock(snap.mem, i)
		src, ok := take(uint64(len(dst)))
		if !ok {
			snap.free()
			return nil, false
		}
		snap.resident += int64(copy(dst, src))
	}
	if len(r) != 0 {
		snap.free()
		return nil, false
	}
	return snap, true
}
