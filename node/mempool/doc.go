// Package mempool holds signed transactions admitted by the node until a
// block includes them or they are dropped.
//
// Guarantees:
//   - bounded: at most Config.MaxTxs transactions and Config.MaxBytes bytes;
//     Add on a full pool fails with ErrFull and changes nothing;
//   - transactions behind a nonce gap (a missing lower nonce of their
//     sender) are at most Config.MaxGapped (a *GapError, ErrFull, beyond
//     it) and stay at most Config.GappedMaxAge; Includable counts the
//     others without reading the ledger, so a producer can wait while it
//     is zero;
//   - one transaction per hash (Add of a pending hash is idempotent) and one
//     per sender and nonce (a different transaction for a taken nonce fails
//     with ErrNonceConflict: there is no replacement);
//   - Ready returns, for every sender, only the contiguous run of nonces
//     starting at the sender's committed next nonce, in nonce order, and
//     interleaves senders by arrival order, so a block never carries n+1
//     before n; a run ends before a transaction the caller holds back;
//   - a dropped transaction's reason is remembered for a bounded count and
//     time, so that clients can learn why.
//
// The pool never decides validity: signatures, chain id and sizes are
// checked by the caller before Add, and it never reads the ledger: the
// committed next nonce of each sender is passed in. It is safe for
// concurrent use.
package mempool
