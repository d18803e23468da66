package tx

import (
	"unicode/utf16"
	"unicode/utf8"
)

// lexer reads the small JSON subset transactions use: objects whose values
// are strings, numbers, or (one level down) objects. It exists instead of
// encoding/json because strict decoding must see what encoding/json hides:
// duplicate keys (last wins there), invalid UTF-8 and lone surrogates
// (silently replaced by U+FFFD there). Errors are reasons without a field;
// callers add the field.
type lexer struct {
	data []byte
	pos  int
}

func (l *lexer) skipSpace() {
	for l.pos < len(l.data) {
		switch l.data[l.pos] {
		case ' ', '\t', '\n', '\r':
			l.pos++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (l *lexer) peek() byte {
	l.skipSpace()
	if l.pos >= len(l.data) {
		return 0
	}
	return l.data[l.pos]
}

func (l *lexer) consume(c byte) bool {
	if l.peek() == c {
		l.pos++
		return true
	}
	return false
}

type lexError string

func (e lexError) Error() string { return string(e) }

// readString reads a JSON string; the next non-space byte must be '"'.
func (l *lexer) readString() (string, error) {
	if !l.consume('"') {
		return "", lexError("want a string")
	}
	start := l.pos
	// Fast path: no escapes, all ASCII or valid UTF-8.
	for l.pos < len(l.data) {
		c := l.data[l.pos]
		if c == '"' {
			s := l.data[start:l.pos]
			l.pos++
			if !utf8.Valid(s) {
				return "", lexError("not valid UTF-8")
			}
			return string(s), nil
		}
		if c == '\\' || c < 0x20 {
			break
		}
		l.pos++
	}
	buf := append([]byte(nil), l.data[start:l.pos]...)
	for l.pos < len(l.data) {
		c := l.data[l.pos]
		switch {
		case c == '"':
			l.pos++
			if !utf8.Valid(buf) {
				return "", lexError("not valid UTF-8")
			}
			return string(buf), nil
		case c < 0x20:
			return "", lexError("control character in string")
		case c == '\\':
			l.pos++
			if l.pos >= len(l.data) {
				return "", lexError("unterminated string")
			}
			e := l.data[l.pos]
			l.pos++
			switch e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := l.hex4()
				if !ok {
					return "", lexError("bad \\u escape")
				}
				if utf16.IsSurrogate(r) {
					// Only a high surrogate followed by a low one is a
					// character; anything else has no UTF-8 form.
					if r >= 0xdc00 || l.pos+1 >= len(l.data) || l.data[l.pos] != '\\' || l.data[l.pos+1] != 'u' {
						return "", lexError("lone surrogate in \\u escape")
					}
					l.pos += 2
					r2, ok := l.hex4()
					if !ok {
						return "", lexError("bad \\u escape")
					}
					if r2 < 0xdc00 || r2 > 0xdfff {
						return "", lexError("lone surrogate in \\u escape")
					}
					r = utf16.DecodeRune(r, r2)
				}
				buf = utf8.AppendRune(buf, r)
			default:
				return "", lexError("bad escape")
			}
		default:
			buf = append(buf, c)
			l.pos++
		}
	}
	return "", lexError("unterminated string")
}

func (l *lexer) hex4() (rune, bool) {
	if l.pos+4 > len(l.data) {
		return 0, false
	}
	var r rune
	for _, c := range l.data[l.pos : l.pos+4] {
		d, ok := hexDigit(c)
		if !ok {
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	l.pos += 4
	return r, true
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// readNumber reads a JSON number literal and returns its text; the caller
// decides what it accepts.
func (l *lexer) readNumber() (string, error) {
	l.skipSpace()
	start := l.pos
	d := l.data
	i := l.pos
	if i < len(d) && d[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
			n++
		}
		return n
	}
	intStart := i
	n := digits()
	if n == 0 || (n > 1 && d[intStart] == '0') {
		return "", lexError("bad number")
	}
	if i < len(d) && d[i] == '.' {
		i++
		if digits() == 0 {
			return "", lexError("bad number")
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if digits() == 0 {
			return "", lexError("bad number")
		}
	}
	l.pos = i
	return string(d[start:i]), nil
}

// jsonValue is a scalar read from an object: a string or a number literal.
type jsonValue struct {
	text     string
	isNumber bool
}

// readScalar reads a string or a number.
func (l *lexer) readScalar() (jsonValue, error) {
	switch c := l.peek(); {
	case c == '"':
		s, err := l.readString()
		return jsonValue{text: s}, err
	case c == '-' || (c >= '0' && c <= '9'):
		s, err := l.readNumber()
		return jsonValue{text: s, isNumber: true}, err
	}
	return jsonValue{}, lexError("want a string or a number")
}

// readObject reads one object, calling member for each key with the lexer
// positioned at the value; member must consume the value. Duplicate keys
// are reported to dup before member is called.
func (l *lexer) readObject(member func(key string) error, dup func(key string) error) error {
	if !l.consume('{') {
		return lexError("want an object")
	}
	if l.consume('}') {
		return nil
	}
	seen := make(map[string]bool, 8)
	for {
		if l.peek() != '"' {
			return lexError("want a member name")
		}
		key, err := l.readString()
		if err != nil {
			return lexError("member name: " + err.Error())
		}
		if !l.consume(':') {
			return lexError("want ':' after member name")
		}
		if seen[key] {
			return dup(key)
		}
		seen[key] = true
		if err := member(key); err != nil {
			return err
		}
		if l.consume(',') {
			continue
		}
		if l.consume('}') {
			return nil
		}
		return lexError("want ',' or '}'")
	}
}

// appendString appends s (valid UTF-8) as a JSON string.
func appendString(b []byte, s string) []byte {
	const hexChars = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexChars[c>>4], hexChars[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
