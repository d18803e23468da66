package wasm

import "unicode/utf8"

// LEB128 helpers. Decoding is strict in the way the core specification
// demands: at most ceil(N/7) bytes, and unused bits of the last byte must be
// the sign extension (signed) or zero (unsigned). Padded encodings within
// that length are valid and are common in linker output (Go pads section and
// body sizes and relocated immediates to five bytes).

// reader is a cursor over a byte slice; every read reports malformed input
// instead of panicking.
type reader struct {
	b   []byte
	pos int
	// base is added to pos in error messages so that offsets refer to the
	// whole module rather than to a section payload.
	base int
}

func (r *reader) off() int { return r.base + r.pos }

func (r *reader) eof() bool { return r.pos >= len(r.b) }

func (r *reader) remaining() int { return len(r.b) - r.pos }

func (r *reader) byte1(what string) (byte, error) {
	if r.pos >= len(r.b) {
		return 0, malformed("unexpected end of %s at offset %d", what, r.off())
	}
	c := r.b[r.pos]
	r.pos++
	return c, nil
}

func (r *reader) bytesN(n int, what string) ([]byte, error) {
	if n < 0 || n > len(r.b)-r.pos {
		return nil, malformed("%s of %d bytes at offset %d runs past the end", what, n, r.off())
	}
	s := r.b[r.pos : r.pos+n]
	r.pos += n
	return s, nil
}

func (r *reader) u32(what string) (uint32, error) {
	v, n, ok := readULEB(r.b[r.pos:], 32)
	return uint32(v), r.advanceLEB(n, ok, what)
}

func (r *reader) s32(what string) (int32, error) {
	v, n, ok := readSLEB(r.b[r.pos:], 32)
	return int32(v), r.advanceLEB(n, ok, what)
}

func (r *reader) s33(what string) (int64, error) {
	v, n, ok := readSLEB(r.b[r.pos:], 33)
	return v, r.advanceLEB(n, ok, what)
}

func (r *reader) s64(what string) (int64, error) {
	v, n, ok := readSLEB(r.b[r.pos:], 64)
	return v, r.advanceLEB(n, ok, what)
}

// advanceLEB moves past an n-byte LEB128 number, or reports it malformed
// (callers then discard the value they decoded).
func (r *reader) advanceLEB(n int, ok bool, what string) error {
	if !ok {
		return malformed("bad LEB128 %s at offset %d", what, r.off())
	}
	r.pos += n
	return nil
}

// name reads a length-prefixed UTF-8 string.
func (r *reader) name(what string) (string, error) {
	n, err := r.u32(what + " length")
	if err != nil {
		return "", err
	}
	at := r.off()
	b, err := r.bytesN(int(n), what)
	if err != nil {
		return "", err
	}
	if !validUTF8(b) {
		return "", malformed("%s at offset %d is not valid UTF-8", what, at)
	}
	return string(b), nil
}

// count reads a vector length and rejects lengths that cannot possibly fit
// in the remaining bytes (each element takes at least minSize bytes), so a
// hostile count never drives a large allocation.
func (r *reader) count(what string, minSize int) (int, error) {
	at := r.off()
	n, err := r.u32(what + " count")
	if err != nil {
		return 0, err
	}
	if uint64(n)*uint64(minSize) > uint64(r.remaining()) {
		return 0, malformed("%s count %d at offset %d exceeds the remaining %d bytes", what, n, at, r.remaining())
	}
	return int(n), nil
}

// readULEB decodes an unsigned LEB128 of at most bits bits.
func readULEB(b []byte, bits uint) (uint64, int, bool) {
	var v uint64
	var shift uint
	maxBytes := int((bits + 6) / 7)
	for i := 0; i < maxBytes; i++ {
		if i >= len(b) {
			return 0, 0, false
		}
		c := b[i]
		if i == maxBytes-1 {
			// The last permitted byte: no continuation, and bits beyond the
			// width must be zero.
			if c&0x80 != 0 {
				return 0, 0, false
			}
			if rem := bits - shift; rem < 7 && c>>rem != 0 {
				return 0, 0, false
			}
		}
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			return v, i + 1, true
		}
		shift += 7
	}
	return 0, 0, false
}

// readSLEB decodes a signed LEB128 of at most bits bits.
func readSLEB(b []byte, bits uint) (int64, int, bool) {
	var v int64
	var shift uint
	maxBytes := int((bits + 6) / 7)
	for i := 0; i < maxBytes; i++ {
		if i >= len(b) {
			return 0, 0, false
		}
		c := b[i]
		if i == maxBytes-1 {
			if c&0x80 != 0 {
				return 0, 0, false
			}
			if rem := bits - shift; rem < 7 {
				// The unused high bits must all equal the sign bit.
				signAndUnused := int8(c<<1) >> rem
				if signAndUnused != 0 && signAndUnused != -1 {
					return 0, 0, false
				}
			}
		}
		v |= int64(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift
			}
			return v, i + 1, true
		}
	}
	return 0, 0, false
}

func appendULEB(b []byte, v uint64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// appendULEBWidth writes v padded to exactly width bytes when it fits, so
// re-encoding reproduces a padded original; otherwise it writes the
// canonical form.
func appendULEBWidth(b []byte, v uint64, width int) []byte {
	if width <= 1 || width > 10 || v>>(7*uint(width)) != 0 {
		return appendULEB(b, v)
	}
	for i := 0; i < width-1; i++ {
		b = append(b, byte(v&0x7f)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func appendSLEB(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func validUTF8(b []byte) bool { return utf8.Valid(b) }
