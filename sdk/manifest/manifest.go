package manifest

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// Version is the only manifest version this package knows.
const Version = 1

// SchemaDialect is the JSON Schema dialect every schema of a manifest is
// written in.
const SchemaDialect = "https://json-schema.org/draft/2020-12/schema"

// MaxSize caps an encoded manifest. A manifest grows with the number of
// methods and the size of their types; a contract's whole module is larger
// than this long before its manifest is.
const MaxSize = 1 << 20

// ErrInvalid is wrapped by every error of Parse and Validate.
var ErrInvalid = errors.New("invalid manifest")

// Manifest is a contract's self-description. Maps are encoded with sorted
// keys (encoding/json), so the encoding of a Manifest is deterministic.
type Manifest struct {
	// Version is Version.
	Version int `json:"version"`
	// Methods maps each callable method's name to its schemas. Reserved
	// SDK methods (init, mesh.*) are not listed, except that init is
	// listed when the contract registers it.
	Methods map[string]Method `json:"methods"`
	// Events maps each event name to the JSON Schema of its payload.
	Events map[string]json.RawMessage `json:"events,omitempty"`
	// State lists the state records the contract stores, in ascending
	// order of Prefix: a key starting with Prefix holds a JSON value
	// matching Schema.
	State []StateRecord `json:"state,omitempty"`
	// ReadPolicy is true when the contract answers mesh.canRead.
	ReadPolicy bool `json:"readPolicy"`
}

// Method is one method's argument and result schemas.
type Method struct {
	Args   json.RawMessage `json:"args"`
	Result json.RawMessage `json:"result"`
}

// StateRecord is one kind of record in the contract's state.
type StateRecord struct {
	Prefix string          `json:"prefix"`
	Schema json.RawMessage `json:"schema"`
}

// Parse decodes and validates an encoded manifest strictly: unknown
// fields, field names in another case (which encoding/json would accept),
// duplicate object keys, trailing data, a size over MaxSize and
// anything Validate refuses are errors wrapping ErrInvalid. Schemas are
// canonicalised, so Hash does not depend on how b was formatted.
func Parse(b []byte) (*Manifest, error) {
	if len(b) > MaxSize {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrInvalid, len(b), MaxSize)
	}
	if err := checkNoDuplicateKeys(b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := checkExactFieldNames(b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	var m Manifest
	if err := d.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: trailing data after the manifest", ErrInvalid)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if err := m.canonicalise(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return &m, nil
}

// Validate checks the manifest's structure: the version, method and event
// names, that every schema is a JSON object, and that state prefixes are
// non-empty, unique and sorted. It does not compile the schemas.
func (m *Manifest) Validate() error {
	if m.Version != Version {
		return fmt.Errorf("%w: version %d, want %d", ErrInvalid, m.Version, Version)
	}
	if m.Methods == nil {
		return fmt.Errorf("%w: no methods object", ErrInvalid)
	}
	for _, name := range sortedKeys(m.Methods) {
		if err := checkMethodName(name); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		meth := m.Methods[name]
		if err := checkSchema(meth.Args); err != nil {
			return fmt.Errorf("%w: methods.%s.args: %v", ErrInvalid, name, err)
		}
		if err := checkSchema(meth.Result); err != nil {
			return fmt.Errorf("%w: methods.%s.result: %v", ErrInvalid, name, err)
		}
	}
	for _, name := range sortedKeys(m.Events) {
		if name == "" || len(name) > 256 {
			return fmt.Errorf("%w: event name %q is empty or longer than 256 bytes", ErrInvalid, name)
		}
		if err := checkSchema(m.Events[name]); err != nil {
			return fmt.Errorf("%w: events.%s: %v", ErrInvalid, name, err)
		}
	}
	for i, s := range m.State {
		if s.Prefix == "" {
			return fmt.Errorf("%w: state[%d]: empty prefix", ErrInvalid, i)
		}
		if i > 0 && m.State[i-1].Prefix >= s.Prefix {
			return fmt.Errorf("%w: state[%d]: prefix %q is not after %q (prefixes are unique and sorted)", ErrInvalid, i, s.Prefix, m.State[i-1].Prefix)
		}
		if err := checkSchema(s.Schema); err != nil {
			return fmt.Errorf("%w: state[%d] (%q): %v", ErrInvalid, i, s.Prefix, err)
		}
	}
	return nil
}

// Encode returns the manifest's canonical encoding: what Hash hashes and
// what sdk/build embeds.
func (m *Manifest) Encode() ([]byte, error) {
	c := *m
	if err := c.canonicalise(); err != nil {
		return nil, fmt.Errorf("manifest: encode: %w", err)
	}
	out, err := json.Marshal(&c)
	if err != nil {
		return nil, fmt.Errorf("manifest: encode: %w", err)
	}
	return out, nil
}

// Hash is the SHA-256 of the canonical encoding. A manifest that does not
// encode (a schema that is not JSON) hashes as the zero value; Validate
// refuses such a manifest first.
func (m *Manifest) Hash() [32]byte {
	b, err := m.Encode()
	if err != nil {
		return [32]byte{}
	}
	return sha256.Sum256(b)
}

// canonicalise rewrites every schema to its canonical form. It copies the
// maps and slices it changes, so a manifest shared with a caller is not
// modified behind its back.
func (m *Manifest) canonicalise() error {
	if m.Methods != nil {
		ms := make(map[string]Method, len(m.Methods))
		for _, name := range sortedKeys(m.Methods) {
			meth := m.Methods[name]
			a, err := canonicalJSON(meth.Args)
			if err != nil {
				return fmt.Errorf("methods.%s.args: %w", name, err)
			}
			r, err := canonicalJSON(meth.Result)
			if err != nil {
				return fmt.Errorf("methods.%s.result: %w", name, err)
			}
			ms[name] = Method{Args: a, Result: r}
		}
		m.Methods = ms
	}
	if m.Events != nil {
		es := make(map[string]json.RawMessage, len(m.Events))
		for _, name := range sortedKeys(m.Events) {
			s, err := canonicalJSON(m.Events[name])
			if err != nil {
				return fmt.Errorf("events.%s: %w", name, err)
			}
			es[name] = s
		}
		m.Events = es
	}
	if m.State != nil {
		st := make([]StateRecord, len(m.State))
		for i, s := range m.State {
			c, err := canonicalJSON(s.Schema)
			if err != nil {
				return fmt.Errorf("state[%d]: %w", i, err)
			}
			st[i] = StateRecord{Prefix: s.Prefix, Schema: c}
		}
		m.State = st
	}
	return nil
}

// canonicalJSON decodes with numbers kept as their text and re-encodes,
// which sorts object keys and drops whitespace.
func canonicalJSON(b json.RawMessage) (json.RawMessage, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkMethodName applies the SDK's rule for registered names: non-empty
// and not reserved. init is allowed since a contract may register it.
func checkMethodName(name string) error {
	if name == "" || strings.HasPrefix(name, "mesh.") {
		return fmt.Errorf("method name %q is empty or reserved", name)
	}
	if len(name) > 256 {
		return fmt.Errorf("method name %q is longer than 256 bytes", name[:32]+"...")
	}
	return nil
}

// checkSchema requires a JSON object: a boolean schema is valid JSON
// Schema, but a generated manifest never has one, and requiring objects
// lets readers (the OpenAPI generator, the CLI) look inside.
func checkSchema(s json.RawMessage) error {
	t := bytes.TrimLeft(s, " \t\r\n")
	if len(t) == 0 {
		return errors.New("missing schema")
	}
	if t[0] != '{' {
		return errors.New("schema is not a JSON object")
	}
	if !json.Valid(t) {
		return errors.New("schema is not valid JSON")
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
