// Package keystore reads and writes encrypted key files for package client:
// go-ethereum keystore JSON (Web3 Secret Storage, scrypt), the format the
// CLI writes with `keys new --encrypt`.
//
// It is a package of its own because decrypting such files needs
// go-ethereum's accounts/keystore, which brings in go-ethereum's account
// manager, core types and KZG code. A partner that signs with a plain hex
// key (client.KeyFromHex, client.LoadHexKey) never links any of it.
//
// Guarantees: LoadKeyFile reads every key file the node and the CLI write
// (keystore JSON or hex); SaveKeyFile creates the file with mode 0600 and
// never replaces an existing one.
//
// This package must never log, send or write a key in the clear.
package keystore
