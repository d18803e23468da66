package block

import (
	"fmt"

	"github.com/ethereum/go-ethereum/rlp"
)

// OK reports whether the transaction succeeded.
func (r *Receipt) OK() bool { return r.Status == StatusOK }

// Encode returns the canonical RLP of the receipt: the list of its fields in
// declaration order (events and writes as nested lists in emission and
// ascending-key order). The receipt root commits these bytes.
func (r *Receipt) Encode() ([]byte, error) {
	b, err := rlp.EncodeToBytes(r)
	if err != nil {
		return nil, fmt.Errorf("block: encode receipt: %w", err)
	}
	return b, nil
}

// DecodeReceipt parses the output of Receipt.Encode.
func DecodeReceipt(b []byte) (*Receipt, error) {
	var r Receipt
	if err := rlp.DecodeBytes(b, &r); err != nil {
		return nil, fmt.Errorf("%w: receipt: %v", ErrMalformedBlock, err)
	}
	return &r, nil
}

// EncodeReceipts encodes each receipt (what ledger/internal/roots derives
// the receipt root from).
func EncodeReceipts(rs []*Receipt) ([][]byte, error) {
	out := make([][]byte, len(rs))
	for i, r := range rs {
		b, err := r.Encode()
		if err != nil {
			return nil, fmt.Errorf("receipt %d: %w", i, err)
		}
		out[i] = b
	}
	return out, nil
}
