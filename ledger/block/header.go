package block

import (
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
)

// Errors of header signatures and encodings.
var (
	ErrBadSignature   = errors.New("block: bad proposer signature")
	ErrWrongProposer  = errors.New("block: signature is not the proposer's")
	ErrNegativeTime   = errors.New("block: negative time")
	ErrMalformedBlock = errors.New("block: malformed encoding")
)

// EmptyRoot is the root of an empty list (and of an empty state trie): the
// tx and receipt roots of a block without transactions. It is written out
// rather than derived so that this package need not link a trie;
// ledger/internal/roots derives the same value from an empty list.
var EmptyRoot = common.HexToHash("56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421")

// headerRLP is the wire form of Header: RLP has no signed integers, so the
// time travels as uint64 and negative times are refused rather than wrapped.
type headerRLP struct {
	ChainID     uint64
	Height      uint64
	ParentHash  common.Hash
	TimeMs      uint64
	TxRoot      common.Hash
	ReceiptRoot common.Hash
	StateRoot   common.Hash
	Proposer    common.Address
	LogRoot     common.Hash
}

// EncodeRLP writes the header as the RLP list of its fields in order.
func (h *Header) EncodeRLP(w io.Writer) error {
	if h.TimeMs < 0 {
		return ErrNegativeTime
	}
	return rlp.Encode(w, &headerRLP{
		ChainID: h.ChainID, Height: h.Height, ParentHash: h.ParentHash,
		TimeMs: uint64(h.TimeMs), TxRoot: h.TxRoot, ReceiptRoot: h.ReceiptRoot,
		StateRoot: h.StateRoot, Proposer: h.Proposer, LogRoot: h.LogRoot,
	})
}

// DecodeRLP reads a header written by EncodeRLP.
func (h *Header) DecodeRLP(s *rlp.Stream) error {
	var r headerRLP
	if err := s.Decode(&r); err != nil {
		return err
	}
	if r.TimeMs > 1<<63-1 {
		return ErrNegativeTime
	}
	*h = Header{
		ChainID: r.ChainID, Height: r.Height, ParentHash: r.ParentHash,
		TimeMs: int64(r.TimeMs), TxRoot: r.TxRoot, ReceiptRoot: r.ReceiptRoot,
		StateRoot: r.StateRoot, Proposer: r.Proposer, LogRoot: r.LogRoot,
	}
	return nil
}

// Hash is keccak256(RLP(header)). A header with a negative time has no
// valid encoding; it hashes to the zero hash, which no signature verifies.
func (h *Header) Hash() common.Hash {
	enc, err := rlp.EncodeToBytes(h)
	if err != nil {
		return common.Hash{}
	}
	return crypto.Keccak256Hash(enc)
}

// Hash is the hash of the header (the signature is not part of it).
func (sh *SignedHeader) Hash() common.Hash { return sh.Header.Hash() }

// SignHeader signs h's hash with sign (r ‖ s ‖ v, v ∈ {0,1}) and checks
// the signature recovers to h.Proposer, so a misconfigured key never
// produces a block that other nodes would refuse.
func SignHeader(h Header, sign func(common.Hash) ([]byte, error)) (*SignedHeader, error) {
	if h.TimeMs < 0 {
		return nil, ErrNegativeTime
	}
	sig, err := sign(h.Hash())
	if err != nil {
		return nil, fmt.Errorf("block: sign header %d: %w", h.Height, err)
	}
	sh := &SignedHeader{Header: h, Signature: sig}
	if err := sh.VerifySignature(); err != nil {
		return nil, err
	}
	return sh, nil
}

// Signer returns the address that produced the signature, refusing
// malleable (high-s) and malformed signatures.
func (sh *SignedHeader) Signer() (common.Address, error) {
	sig := sh.Signature
	if len(sig) != crypto.SignatureLength {
		return common.Address{}, fmt.Errorf("%w: length %d", ErrBadSignature, len(sig))
	}
	r, s, v := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:64]), sig[64]
	if !crypto.ValidateSignatureValues(v, r, s, true) {
		return common.Address{}, fmt.Errorf("%w: invalid r, s or v", ErrBadSignature)
	}
	pub, err := crypto.SigToPub(sh.Hash().Bytes(), sig)
	if err != nil {
		return common.Address{}, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	return crypto.PubkeyToAddress(*pub), nil
}

// VerifySignature checks that the header is signed by its Proposer.
func (sh *SignedHeader) VerifySignature() error {
	signer, err := sh.Signer()
	if err != nil {
		return fmt.Errorf("header %d: %w", sh.Header.Height, err)
	}
	if signer != sh.Header.Proposer {
		return fmt.Errorf("header %d: %w: signed by %s, proposer %s", sh.Header.Height,
			ErrWrongProposer, signer, sh.Header.Proposer)
	}
	return nil
}

// Encode returns RLP([header, signature]).
func (sh *SignedHeader) Encode() ([]byte, error) {
	return rlp.EncodeToBytes(sh)
}

// DecodeSignedHeader parses the output of SignedHeader.Encode.
func DecodeSignedHeader(b []byte) (*SignedHeader, error) {
	var sh SignedHeader
	if err := rlp.DecodeBytes(b, &sh); err != nil {
		return nil, fmt.Errorf("%w: signed header: %v", ErrMalformedBlock, err)
	}
	return &sh, nil
}
