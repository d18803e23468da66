// Package tx defines meshledger's signed transactions: EIP-712 typed data
// over secp256k1, so that any EIP-712 signer (ethers.js signTypedData,
// wallets, cloud KMS/HSM) can produce them. docs/transactions.md is the
// public specification; this package is its reference implementation.
//
// What it provides:
//   - the messages (Deploy, Call, Upgrade) behind a Message interface and a
//     Registry keyed by the wire "type", from which the typed-data
//     description served to clients (TypedData) is generated;
//   - the transaction hash, which is the EIP-712 digest itself;
//   - strict codecs: the JSON wire form (DecodeJSON, Tx.EncodeJSON) and the
//     canonical RLP block form (DecodeRLP, Tx.EncodeRLP);
//   - the checks that need no ledger state (Tx.Verify: chain id, low-s
//     signature recovering the sender, code against its hash; RecoverAll in
//     parallel), and the shared errors for those that do (CheckNonce,
//     CheckGasLimit);
//   - read sessions (ReadSession, SignSession, ParseSession,
//     SignedSession.Verify): an EIP-712 message in the same domain by which
//     a reader proves who it is to any node, carried in the Authorization
//     header.
//
// Guarantees: every *Tx that exists is well formed; each transaction has
// one RLP encoding and one canonical JSON encoding; every error matches one
// exported sentinel (ErrorCode names it on the wire; SessionErrorCode for
// sessions); hashing and recovery are deterministic and safe for concurrent
// use. Verify takes the time as an argument: the package reads no clock.
//
// It must never: accept a high-s signature, a signature by anyone but the
// message's sender, or one made for another chain (nor a session signed
// by anyone but its reader, or for another chain); depend on map order,
// time or randomness for any hash or encoding; change the domain, the type
// definitions or the encodings of existing types, since signatures made
// by outside parties depend on them. New transaction types are added, never
// existing ones altered.
package tx
