//go:build !wasip1

package contract

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"

	"github.com/meshledger/meshledger/sdk/manifest"
)

// BuildManifest generates the contract's manifest from what its init
// functions registered: every Method with the schemas of its argument and
// result types, every Event and State declaration, and whether it has a
// ReadPolicy. It exists only outside Wasm: sdk/build runs the contract's
// package natively to call it, so the generator costs a contract's module
// nothing.
func BuildManifest() (*manifest.Manifest, error) {
	m := &manifest.Manifest{
		Version:    manifest.Version,
		Methods:    map[string]manifest.Method{},
		ReadPolicy: registry.readPolicy != nil,
	}
	for _, tm := range manifestTypes.methods {
		args, err := SchemaFor(tm.args)
		if err != nil {
			return nil, fmt.Errorf("contract: manifest: method %s arguments: %w", tm.name, err)
		}
		result, err := SchemaFor(tm.result)
		if err != nil {
			return nil, fmt.Errorf("contract: manifest: method %s result: %w", tm.name, err)
		}
		m.Methods[tm.name] = manifest.Method{Args: args, Result: result}
	}
	for _, e := range manifestTypes.events {
		s, err := SchemaFor(e.args)
		if err != nil {
			return nil, fmt.Errorf("contract: manifest: event %s: %w", e.name, err)
		}
		if m.Events == nil {
			m.Events = map[string]json.RawMessage{}
		}
		m.Events[e.name] = s
	}
	state := slices.Clone(manifestTypes.state)
	slices.SortFunc(state, func(a, b typedName) int {
		switch {
		case a.name < b.name:
			return -1
		case a.name > b.name:
			return 1
		}
		return 0
	})
	for _, st := range state {
		s, err := SchemaFor(st.args)
		if err != nil {
			return nil, fmt.Errorf("contract: manifest: state %q: %w", st.name, err)
		}
		m.State = append(m.State, manifest.StateRecord{Prefix: st.name, Schema: s})
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("contract: manifest: %w", err)
	}
	return m, nil
}

// WriteManifestFile writes the canonical encoding of BuildManifest's
// manifest to path. sdk/build calls it from a file it adds to the
// contract's package for one native run (see sdk/build).
func WriteManifestFile(path string) error {
	m, err := BuildManifest()
	if err != nil {
		return err
	}
	b, err := m.Encode()
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("contract: write manifest: %w", err)
	}
	return nil
}
