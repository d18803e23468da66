package loanlogic

import (
	"fmt"

	"github.com/meshledger/meshledger/sdk/contract"
)

// GetJSON decodes the record stored under key into v; ok is false when
// there is none. A record that does not decode is an error wrapping
// corrupt. The SDK's codec decodes exactly as encoding/json does (it hands
// any record it is unsure of to encoding/json, which words the error), at
// a fraction of its cost in Wasm.
func GetJSON(s Store, key []byte, v any, corrupt error) (ok bool, err error) {
	data, found := s.Get(key)
	if !found {
		return false, nil
	}
	if err := contract.UnmarshalJSON(data, v); err != nil {
		return false, fmt.Errorf("%w: %s: %v", corrupt, key, err)
	}
	return true, nil
}

// PutJSON stores v under key as JSON, the bytes encoding/json writes. v
// holds only addresses, strings, integers, booleans and arrays of them, so
// encoding cannot fail.
func PutJSON(s Store, key []byte, v any) {
	data, err := contract.MarshalJSON(v)
	if err != nil {
		panic(fmt.Sprintf("encoding %s: %v", key, err))
	}
	s.Set(key, data)
}
