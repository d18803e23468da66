// Package jsonwire holds the primitives that generated contract codecs
// (sdk/build/cmd/gencodec) are made of: appending integers, strings,
// booleans and addresses exactly as encoding/json writes them, and a
// Scanner of the canonical subset of JSON.
//
// It guarantees that every Append function writes the bytes json.Marshal
// writes for the same value, and that every Scanner method either reads a
// value exactly as json.Unmarshal would read it or reports false, leaving
// the decision to encoding/json. It never accepts input whose meaning
// under encoding/json is uncertain (escapes, non-ASCII strings, numbers
// with fractions, exponents or out of range), so a generated codec changes
// the cost of contract JSON, never its bytes or its meaning: the JSON is
// consensus data.
//
// The functions are written for Wasm, where every call and every jump in
// a function with many call sites costs gas: small leaves, division by a
// variable rather than a constant, no bounds checks on hot loops.
package jsonwire
