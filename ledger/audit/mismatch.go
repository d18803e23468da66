package audit

import (
	"bytes"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
)

// What a Mismatch is about. Scripts read them from the CLI's JSON report:
// never rename one.
const (
	MismatchChainID      = "chain_id"
	MismatchHeight       = "height"
	MismatchParent       = "parent"
	MismatchSignature    = "signature"
	MismatchTime         = "time"
	MismatchTxRoot       = "tx_root"
	MismatchRejected     = "rejected" // a transaction of the block is not valid on replay
	MismatchReceiptCount = "receipt_count"
	MismatchReceipt      = "receipt"
	MismatchReceiptRoot  = "receipt_root"
	MismatchStateRoot    = "state_root"
	MismatchLogRoot      = "log_root"    // the header commits another history log of the blocks before it
	MismatchStateValue   = "state_value" // the source's stored state differs from the replayed state
	MismatchHeader       = "header"      // a header field no other check covers
	MismatchWithheld     = "withheld"    // a remote source claimed blocks its stream did not deliver
	MismatchExport       = "export"      // a remote source sent a record that is not a valid block
	MismatchConsensus    = "consensus"   // a BFT chain's validators did not commit the block the stream ends with
)

// Mismatch is the first disagreement found by a replay. Expected is what
// the source holds (its signed header, stored receipt or stored value);
// Got is what re-execution produced.
type Mismatch struct {
	Height   uint64
	TxIndex  int // -1 when the mismatch is not attributable to one transaction
	TxHash   common.Hash
	What     string
	Field    string // the differing field of a receipt ("status", "writes[0].value", ...)
	Contract common.Address
	Key      []byte
	Expected string
	Got      string
}

func (m *Mismatch) Error() string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "replay mismatch at block %d", m.Height)
	if m.TxIndex >= 0 {
		fmt.Fprintf(&b, " tx %d (%s)", m.TxIndex, m.TxHash)
	}
	fmt.Fprintf(&b, ": %s", m.What)
	if m.Field != "" {
		fmt.Fprintf(&b, " %s", m.Field)
	}
	if m.What == MismatchStateValue {
		fmt.Fprintf(&b, " of key %x in %s", m.Key, m.Contract)
	}
	fmt.Fprintf(&b, ": expected %s, got %s", m.Expected, m.Got)
	return b.String()
}
