package bench

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// A reader of the pprof profile format (profile.proto, gzip-compressed
// protocol buffers), reduced to what a CPU split needs: each sample's CPU
// time and the function names on its stack. The module does not require
// github.com/google/pprof, and these few fields are a stable wire format.

// cpuSample is one stack and the CPU time spent in it.
type cpuSample struct {
	funcs []string // innermost first, inlined frames included
	cpu   int64    // nanoseconds
}

// ErrBadProfile: the bytes are not a pprof CPU profile.
var ErrBadProfile = errors.New("bench: not a pprof CPU profile")

// maxProfileBytes bounds the decompressed profile read.
const maxProfileBytes = 512 << 20

// readCPUProfile decodes a pprof CPU profile (as runtime/pprof writes it).
func readCPUProfile(data []byte) ([]cpuSample, error) {
	if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadProfile, err)
		}
		if data, err = io.ReadAll(io.LimitReader(zr, maxProfileBytes)); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadProfile, err)
		}
	}
	var (
		strs      []string
		types     [][]byte // sample_type messages
		samples   [][]byte
		locations = map[uint64][]uint64{} // location id → function ids, innermost first
		functions = map[uint64]int64{}    // function id → name's string index
	)
	err := eachField(data, func(num int, wire int, v uint64, b []byte) error {
		switch {
		case num == 1 && wire == 2:
			types = append(types, b)
		case num == 2 && wire == 2:
			samples = append(samples, b)
		case num == 4 && wire == 2:
			var id uint64
			var fns []uint64
			err := eachField(b, func(num, wire int, v uint64, line []byte) error {
				switch {
				case num == 1 && wire == 0:
					id = v
				case num == 4 && wire == 2:
					return eachField(line, func(num, wire int, v uint64, _ []byte) error {
						if num == 1 && wire == 0 {
							fns = append(fns, v)
						}
						return nil
					})
				}
				return nil
			})
			locations[id] = fns
			return err
		case num == 5 && wire == 2:
			var id uint64
			var name int64
			err := eachField(b, func(num, wire int, v uint64, _ []byte) error {
				switch {
				case num == 1 && wire == 0:
					id = v
				case num == 2 && wire == 0:
					name = int64(v)
				}
				return nil
			})
			functions[id] = name
			return err
		case num == 6 && wire == 2:
			strs = append(strs, string(b))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	str := func(i int64) string {
		if i < 0 || i >= int64(len(strs)) {
			return ""
		}
		return strs[i]
	}
	// The CPU value is the sample type named "cpu" (Go writes samples/count
	// and cpu/nanoseconds).
	cpuIndex := -1
	for i, t := range types {
		var typ int64
		if err := eachField(t, func(num, wire int, v uint64, _ []byte) error {
			if num == 1 && wire == 0 {
				typ = int64(v)
			}
			return nil
		}); err != nil {
			return nil, err
		}
		if str(typ) == "cpu" {
			cpuIndex = i
		}
	}
	if cpuIndex < 0 {
		return nil, fmt.Errorf("%w: no cpu sample type", ErrBadProfile)
	}
	out := make([]cpuSample, 0, len(samples))
	for _, sb := range samples {
		var locs []uint64
		var vals []int64
		err := eachField(sb, func(num, wire int, v uint64, b []byte) error {
			switch {
			case num == 1 && wire == 0:
				locs = append(locs, v)
			case num == 1 && wire == 2:
				return eachVarint(b, func(v uint64) { locs = append(locs, v) })
			case num == 2 && wire == 0:
				vals = append(vals, int64(v))
			case num == 2 && wire == 2:
				return eachVarint(b, func(v uint64) { vals = append(vals, int64(v)) })
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if cpuIndex >= len(vals) {
			return nil, fmt.Errorf("%w: a sample has %d values", ErrBadProfile, len(vals))
		}
		s := cpuSample{cpu: vals[cpuIndex]}
		for _, l := range locs {
			for _, f := range locations[l] {
				s.funcs = append(s.funcs, str(functions[f]))
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// eachField calls fn with every field of the protocol buffer message b:
// its number, wire type and value (varint and fixed as v, length-delimited
// as b).
func eachField(b []byte, fn func(num, wire int, v uint64, b []byte) error) error {
	for len(b) > 0 {
		key, n := binary.Uvarint(b)
		if n <= 0 {
			return fmt.Errorf("%w: bad field key", ErrBadProfile)
		}
		b = b[n:]
		num, wire := int(key>>3), int(key&7)
		var v uint64
		var field []byte
		switch wire {
		case 0:
			if v, n = binary.Uvarint(b); n <= 0 {
				return fmt.Errorf("%w: bad varint", ErrBadProfile)
			}
			b = b[n:]
		case 1:
			if len(b) < 8 {
				return fmt.Errorf("%w: short fixed64", ErrBadProfile)
			}
			v, b = binary.LittleEndian.Uint64(b), b[8:]
		case 2:
			l, n := binary.Uvarint(b)
			if n <= 0 || l > uint64(len(b)-n) {
				return fmt.Errorf("%w: bad length", ErrBadProfile)
			}
			field, b = b[n:n+int(l)], b[n+int(l):]
		case 5:
			if len(b) < 4 {
				return fmt.Errorf("%w: short fixed32", ErrBadProfile)
			}
			v, b = uint64(binary.LittleEndian.Uint32(b)), b[4:]
		default:
			return fmt.Errorf("%w: wire type %d", ErrBadProfile, wire)
		}
		if err := fn(num, wire, v, field); err != nil {
			return err
		}
	}
	return nil
}

// eachVarint calls fn with every varint of a packed repeated field.
func eachVarint(b []byte, fn func(uint64)) error {
	for len(b) > 0 {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return fmt.Errorf("%w: bad packed varint", ErrBadProfile)
		}
		fn(v)
		b = b[n:]
	}
	return nil
}
