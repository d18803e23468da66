package loanlogic

import (
	"encoding/json"
	"fmt"
)

// GetJSON decodes the record stored under key into v; ok is false when
// there is none. A record that does not decode is an error wrapping
// corrupt.
func GetJSON(s Store, key []byte, v any, corrupt error) (ok bool, err error) {
	data, found := s.Get(key)
	if !found {
		return false, nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false, fmt.Errorf("%w: %s: %v", corrupt, key, err)
	}
	return true, nil
}

// PutJSON stores v under key as JSON. v holds only addresses, strings,
// integers, booleans and arrays of them, so encoding cannot fail.
func PutJSON(s Store, key []byte, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("encoding %s: %v", key, err))
	}
	s.Set(key, data)
}
