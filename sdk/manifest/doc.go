// Package manifest is the protocol type of a contract's manifest: the JSON
// document, embedded in the contract's Wasm module as the custom section
// named SectionName, that states the contract's methods with the JSON
// Schema (2020-12) of their arguments and results, its events with the
// schema of their payloads, the state records it stores (key prefix →
// schema) and whether it has a read policy. docs/abi.md ("Manifest")
// describes the format.
//
// It guarantees that Parse accepts only a document Validate accepts, that
// Hash is the same for every encoding of the same manifest (schemas are
// canonicalised: object keys sorted, numbers kept as written, whitespace
// removed), and that Extract never reads outside the module it is given
// nor allocates more than the module's size.
//
// It never checks that a schema is itself valid JSON Schema (that needs a
// validator, which the node holds) and has no dependency on the node, the
// runtime or the contract SDK, so a light client can import it.
package manifest
