package manifest

import (
	"bytes"
	"errors"
	"fmt"
)

// SectionName is the name of the Wasm custom section holding the manifest.
const SectionName = "mesh.manifest"

// ErrNotWasm means the bytes do not start with the Wasm binary header
// (magic and version 1).
var ErrNotWasm = errors.New("not a Wasm module")

// ErrMalformed is wrapped when a module's section framing is broken: a
// size running past the end, an over-long LEB128, a custom section name
// longer than its section, or a second manifest section.
var ErrMalformed = errors.New("malformed Wasm module")

var wasmHeader = []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00}

// section is one section's position in a module.
type section struct {
	id         byte
	start, end int // the whole section, id byte included
	name       string
	payload    []byte // custom sections only: the bytes after the name
}

// Extract returns the payload of the module's SectionName custom section,
// and false when there is none. It only walks section headers (no
// decoding of code or types), so its cost is linear in the number of
// sections, and it fails with ErrNotWasm or ErrMalformed rather than
// guess: a module carrying two manifests is malformed. The payload aliases
// wasm.
func Extract(wasm []byte) ([]byte, bool, error) {
	secs, err := sections(wasm)
	if err != nil {
		return nil, false, err
	}
	var found []byte
	ok := false
	for _, s := range secs {
		if s.id == 0 && s.name == SectionName {
			if ok {
				return nil, false, fmt.Errorf("%w: more than one %s section", ErrMalformed, SectionName)
			}
			found, ok = s.payload, true
		}
	}
	return found, ok, nil
}

// Embed returns a copy of wasm with manifest as its SectionName custom
// section, appended after every other section (custom sections may appear
// anywhere; the runtime ignores them). An existing manifest section is
// replaced, so embedding twice gives the same bytes as embedding once.
func Embed(wasm, manifest []byte) ([]byte, error) {
	if len(manifest) > MaxSize {
		return nil, fmt.Errorf("manifest: embed: %d bytes, more than %d", len(manifest), MaxSize)
	}
	secs, err := sections(wasm)
	if err != nil {
		return nil, fmt.Errorf("manifest: embed: %w", err)
	}
	out := make([]byte, 0, len(wasm)+len(manifest)+len(SectionName)+16)
	out = append(out, wasmHeader...)
	for _, s := range secs {
		if s.id == 0 && s.name == SectionName {
			continue
		}
		out = append(out, wasm[s.start:s.end]...)
	}
	body := appendULEB(nil, uint32(len(SectionName)))
	body = append(body, SectionName...)
	body = append(body, manifest...)
	out = append(out, 0)
	out = appendULEB(out, uint32(len(body)))
	out = append(out, body...)
	return out, nil
}

// sections splits a module into its sections after checking the header.
func sections(wasm []byte) ([]section, error) {
	if len(wasm) < len(wasmHeader) || !bytes.Equal(wasm[:len(wasmHeader)], wasmHeader) {
		return nil, ErrNotWasm
	}
	var secs []section
	pos := len(wasmHeader)
	for pos < len(wasm) {
		start := pos
		id := wasm[pos]
		pos++
		size, n, err := readULEB(wasm[pos:])
		if err != nil {
			return nil, fmt.Errorf("%w: section at offset %d: %v", ErrMalformed, start, err)
		}
		pos += n
		if uint64(size) > uint64(len(wasm)-pos) {
			return nil, fmt.Errorf("%w: section at offset %d: size %d runs past the end", ErrMalformed, start, size)
		}
		end := pos + int(size)
		s := section{id: id, start: start, end: end}
		if id == 0 {
			body := wasm[pos:end]
			nameLen, m, err := readULEB(body)
			if err != nil {
				return nil, fmt.Errorf("%w: custom section at offset %d: name: %v", ErrMalformed, start, err)
			}
			if uint64(nameLen) > uint64(len(body)-m) {
				return nil, fmt.Errorf("%w: custom section at offset %d: name runs past the section", ErrMalformed, start)
			}
			s.name = string(body[m : m+int(nameLen)])
			s.payload = body[m+int(nameLen):]
		}
		secs = append(secs, s)
		pos = end
	}
	return secs, nil
}

// readULEB reads an unsigned LEB128 u32 (at most 5 bytes, as the Wasm
// binary format allows).
func readULEB(b []byte) (uint32, int, error) {
	var v uint64
	for i := 0; i < 5; i++ {
		if i >= len(b) {
			return 0, 0, errors.New("truncated LEB128")
		}
		c := b[i]
		v |= uint64(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			if v > 0xffffffff {
				return 0, 0, errors.New("LEB128 overflows u32")
			}
			return uint32(v), i + 1, nil
		}
	}
	return 0, 0, errors.New("LEB128 longer than 5 bytes")
}

func appendULEB(b []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}
