package tx

import (
	"bytes"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
)

// Signature is a secp256k1 signature r ‖ s ‖ v over the transaction hash,
// 65 bytes, with v ∈ {27, 28} (the form ethers.js and wallets return).
type Signature [65]byte

// ParseSignature accepts 65 bytes r ‖ s ‖ v with v ∈ {27, 28} or {0, 1} and
// returns the signature with v normalised to {27, 28}. Range checks on r and
// s are made when the signature is recovered.
func ParseSignature(b []byte) (Signature, error) {
	var sig Signature
	if len(b) != len(sig) {
		return sig, malformed("signature", "want 65 bytes, got %d", len(b))
	}
	copy(sig[:], b)
	switch sig[64] {
	case 0, 1:
		sig[64] += 27
	case 27, 28:
	default:
		return sig, malformed("signature", "v must be 27, 28, 0 or 1, got %d", sig[64])
	}
	return sig, nil
}

// String returns the 0x-hex form.
func (s Signature) String() string { return hexutil.Encode(s[:]) }

// secp256k1 group order n and n/2, big-endian, for range checks by byte
// comparison (no big.Int on the hot path).
var (
	secp256k1N     = common.FromHex("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")
	secp256k1HalfN = common.FromHex("0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0")
	zeroWord       = make([]byte, 32)
)

// recoverAddress returns the address whose key made sig over digest.
func recoverAddress(digest common.Hash, sig Signature) (common.Address, error) {
	r, s, v := sig[0:32], sig[32:64], sig[64]
	if v != 27 && v != 28 {
		return common.Address{}, fmt.Errorf("%w: v = %d", ErrBadSignature, v)
	}
	if bytes.Equal(r, zeroWord) || bytes.Compare(r, secp256k1N) >= 0 ||
		bytes.Equal(s, zeroWord) || bytes.Compare(s, secp256k1N) >= 0 {
		return common.Address{}, fmt.Errorf("%w: r or s out of range", ErrBadSignature)
	}
	if bytes.Compare(s, secp256k1HalfN) > 0 {
		return common.Address{}, ErrHighS
	}
	var raw [65]byte
	copy(raw[:], sig[:])
	raw[64] -= 27
	pub, err := crypto.Ecrecover(digest[:], raw[:])
	if err != nil {
		return common.Address{}, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	h := getHasher()
	defer putHasher(h)
	pubHash := h.sum(pub[1:])
	return common.BytesToAddress(pubHash[12:]), nil
}
