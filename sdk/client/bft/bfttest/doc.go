// Package bfttest makes CometBFT light blocks for tests: validator sets
// with in-memory ed25519 keys derived from a seed, and a chain of headers
// whose validator hashes follow the sets it is given, signed with
// CometBFT's own vote signing. It is for tests only; nothing it makes
// comes from a running network.
package bfttest
