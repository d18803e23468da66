// Package bench drives a meshledger node with signed loan payments and
// measures what a partner system would see: committed transactions per
// second and the latency from submitting a transaction to seeing it in a
// committed block (observed on the event stream).
//
// It deploys the loan contract, books one loan per worker (each worker is
// the servicer of its own loan and signs with its own key, so workers never
// share a nonce sequence), pre-signs and pre-encodes every payment before
// the timed phase so that client CPU is not what is measured, then sends
// them in batches (POST /v1/txs/batch) or one by one (POST /v1/txs), at
// full speed or at a target rate.
//
// Against a BFT network (a testnet it starts in process, or the nodes it
// is given) the workers send to the nodes in turn, and each payment's
// latency runs to its commit on the node it was sent to. Deploys that the
// network's policy turns into proposals are approved with the other
// organisations' keys.
//
// With --loans N (the create scenario) it first books a loan book of N
// loans, each worker creating and servicing its share in batch requests
// within its window, and then pays loans drawn at random from the book
// with a seeded PRNG: state at a real servicer's scale, where the default
// pays one loan per worker over and over. With --book-dir the booked book
// (the spawned node's data and the workers' keys) is kept, and later runs
// asking for the same book reopen it instead of booking again (bookdir.go). With --stages it profiles the
// timed phase and splits the process's CPU per committed transaction by
// stage of the node's work (stages.go says how a sample is attributed).
//
// With the pool scenario it also deploys the pool and portfolio contracts
// and has the workers board many loans into one pool, so that every
// payment runs the loan's rules and cross-calls the pool and the
// portfolio in the same transaction: the path the assistance scenario's
// partners use.
//
// Guarantees: a worker never has more transactions in flight than the
// node's nonce window, so the node never refuses one as too far ahead;
// every latency sample is one committed transaction; what the node
// admitted is counted item by item of each batch answer, and after a
// bounded drain the result says exactly what happened to it: committed,
// still pending (stuck), or dropped by the node; and, since a failed
// payment commits too, the run reads back what the contracts recorded and
// fails unless every committed payment was recorded. It must never be
// pointed at a production chain: it books loans and records payments.
package bench
