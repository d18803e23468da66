// Package gencodec generates JSON codecs for contract types: for each
// named struct type, an AppendJSON method writing exactly json.Marshal's
// bytes, and DecodeJSON/DecodeJSONFast methods that decode the canonical
// subset of JSON (sdk/contract/jsonwire) directly into the fields and
// leave anything else to encoding/json, so that the result is always what
// encoding/json gives. The contract SDK's MarshalJSON and UnmarshalJSON
// (and so GetJSON, SetJSON, method arguments and results, events and
// cross-contract calls) use a type's generated codec when it has one.
//
// Contract packages run it through go generate:
//
//	//go:generate go run github.com/meshledger/meshledger/sdk/build/cmd/gencodec -type Loan,Payment
//
// which writes <package>_codec.go beside the types. Struct types of the
// same package that the listed ones contain get codecs too.
//
// It guarantees that the generated code compiles to the same bytes for
// the same types (no map order, no time, no paths), so that a test can
// regenerate and compare with what is committed (TestCommittedCodecsFresh).
// It refuses, with an error naming the field, every type whose JSON it
// cannot reproduce exactly: maps, floats, interfaces, byte slices (base64),
// embedded fields, field options other than omitempty, types with their
// own JSON or text methods (other than contract.Address) and types from
// other packages. Such types stay with the SDK's reflection codec.
package gencodec
