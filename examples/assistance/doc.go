// Command assistance plays the homeowner payment-assistance scenario
// against a running node, as four partner organisations would, each with
// its own keys:
//
//	go run ./examples/assistance [--node http://127.0.0.1:8080] [--key data/node.key]
//
// The key is an admin of an organisation already on the network (the
// development network's node key, which `make run` writes to
// data/node.key); the program proposes the loan owner's, the servicer's,
// the securitizer's and the home owners' organisations, approves each with
// the admins it creates, gives their members roles, deploys the loan, pool
// and portfolio contracts (approving the deploys when the network's policy
// asks for it), boards loans into a pool — one of them behind on a
// payment — and follows each party's event stream while the servicer
// assesses the loan and offers assistance, the home owner accepts an
// option with its own key, and the pool's disclosure and the owner's
// portfolio follow in the same transactions. It then shows what each party
// may and may not read, and ends by re-reading every figure it printed
// with a Merkle proof checked against a header signed by a trusted node.
//
// Contract code comes from build/contracts (make contracts); when a module
// is missing there, the program builds it with sdk/build's command.
//
// The story is Run, so that a test plays it against an in-process node.
// The program writes only to the network it is pointed at and to
// standard output; it keeps no key it creates.
package main
