package node

// ProduceAttempts is how many times the node has looked for ready
// transactions.
func ProduceAttempts(n *Node) uint64 { return n.attempts.Load() }
