//go:build !wasip1

package contract_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/meshledger/meshledger/sdk/contract"
)

// PayRequest is a method's argument type: its JSON Schema comes from the
// struct and its tags, with nothing written by hand.
type PayRequest struct {
	ID     string           `json:"id"`
	Amount int64            `json:"amount"`
	By     contract.Address `json:"by"`
	Memo   string           `json:"memo,omitempty"`
}

// The schema a manifest states for a method taking PayRequest: every
// field but the omitempty one required, the amount bounded to int64, the
// address a 0x string, and unknown fields refused.
func ExampleSchemaFor() {
	schema, err := contract.SchemaFor(reflect.TypeFor[PayRequest]())
	if err != nil {
		panic(err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, schema, "", "  "); err != nil {
		panic(err)
	}
	fmt.Println(out.String())
	// Output:
	// {
	//   "$schema": "https://json-schema.org/draft/2020-12/schema",
	//   "additionalProperties": false,
	//   "properties": {
	//     "amount": {
	//       "maximum": 9223372036854775807,
	//       "minimum": -9223372036854775808,
	//       "type": "integer"
	//     },
	//     "by": {
	//       "pattern": "^0x[0-9a-fA-F]{40}$",
	//       "type": "string"
	//     },
	//     "id": {
	//       "type": "string"
	//     },
	//     "memo": {
	//       "type": "string"
	//     }
	//   },
	//   "required": [
	//     "id",
	//     "amount",
	//     "by"
	//   ],
	//   "type": "object"
	// }
}
