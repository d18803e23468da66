package tx

import (
	"bytes"
	"errors"
	"io"
	"unicode/utf8"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
)

// The block encoding of a signed transaction is the RLP list
//
//	[type, chainId, [message fields in EIP-712 order...], signature]
//
// type is the wire name as a byte string, chainId an RLP integer, addresses
// 20 bytes, bytes32 32 bytes, strings their UTF-8 bytes, uint64s RLP
// integers, and the signature 65 bytes with v ∈ {27, 28}. Code is not
// included: the ledger stores code separately under its hash. RLP is
// canonical, so each transaction has exactly one encoding.

// EncodeRLP implements rlp.Encoder.
func (t *Tx) EncodeRLP(w io.Writer) error {
	buf := rlp.NewEncoderBuffer(w)
	outer := buf.List()
	buf.WriteString(t.msg.Type())
	buf.WriteUint64(t.chainID)
	inner := buf.List()
	for _, f := range t.msg.Fields() {
		switch p := f.Ptr.(type) {
		case *uint64:
			buf.WriteUint64(*p)
		case *string:
			buf.WriteString(*p)
		case *common.Address:
			buf.WriteBytes(p[:])
		case *common.Hash:
			buf.WriteBytes(p[:])
		case *[]byte:
			buf.WriteBytes(*p)
		}
	}
	buf.ListEnd(inner)
	buf.WriteBytes(t.sig[:])
	buf.ListEnd(outer)
	return buf.Flush()
}

// MarshalBinary returns the RLP block encoding.
func (t *Tx) MarshalBinary() ([]byte, error) {
	var b bytes.Buffer
	if err := t.EncodeRLP(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// DecodeRLP implements rlp.Decoder for the standard types with default
// limits. Use Registry.DecodeRLP for other limits or types.
func (t *Tx) DecodeRLP(s *rlp.Stream) error {
	d, err := standard.decodeStream(s, DefaultLimits())
	if err != nil {
		return err
	}
	t.adopt(d)
	return nil
}

// DecodeRLP decodes the block encoding of a standard transaction and checks
// it is well formed and within lim. Errors are *FieldError or *LimitError.
func DecodeRLP(data []byte, lim Limits) (*Tx, error) { return standard.DecodeRLP(data, lim) }

// DecodeRLP decodes the block encoding of any of the registry's types.
func (r *Registry) DecodeRLP(data []byte, lim Limits) (*Tx, error) {
	lim = lim.withDefaults()
	if err := checkLimit("envelope", len(data), lim.MaxEnvelopeBytes); err != nil {
		return nil, err
	}
	s := rlp.NewStream(bytes.NewReader(data), uint64(len(data)))
	t, err := r.decodeStream(s, lim)
	if err != nil {
		return nil, err
	}
	if _, _, err := s.Kind(); !errors.Is(err, io.EOF) {
		return nil, malformed("envelope", "data after the transaction")
	}
	return t, nil
}

func (r *Registry) decodeStream(s *rlp.Stream, lim Limits) (*Tx, error) {
	if _, err := s.List(); err != nil {
		return nil, malformed("envelope", "%v", err)
	}
	typ, err := s.Bytes()
	if err != nil {
		return nil, malformed("type", "%v", err)
	}
	chainID, err := s.Uint64()
	if err != nil {
		return nil, malformed("chainId", "%v", err)
	}
	msg, ok := r.New(string(typ))
	if !ok {
		return nil, malformed("type", "unknown transaction type %q", typ)
	}
	if _, err := s.List(); err != nil {
		return nil, malformed("message", "%v", err)
	}
	for _, f := range msg.Fields() {
		if err := decodeFieldRLP(s, f); err != nil {
			return nil, malformed("message."+f.Name, "%v", err)
		}
	}
	if err := s.ListEnd(); err != nil {
		return nil, malformed("message", "too many fields")
	}
	rawSig, err := s.Bytes()
	if err != nil {
		return nil, malformed("signature", "%v", err)
	}
	sig, err := ParseSignature(rawSig)
	if err != nil {
		return nil, err
	}
	// The block form is canonical: v is stored as 27 or 28 only.
	if rawSig[64] != sig[64] {
		return nil, malformed("signature", "v must be 27 or 28 in the block encoding")
	}
	if err := s.ListEnd(); err != nil {
		return nil, malformed("envelope", "too many elements")
	}
	t := &Tx{chainID: chainID, msg: msg, sig: sig}
	if err := t.validate(lim); err != nil {
		return nil, err
	}
	return t, nil
}

func decodeFieldRLP(s *rlp.Stream, f Field) error {
	switch p := f.Ptr.(type) {
	case *uint64:
		n, err := s.Uint64()
		*p = n
		return err
	case *string:
		b, err := s.Bytes()
		if err != nil {
			return err
		}
		if !utf8.Valid(b) {
			return lexError("not valid UTF-8")
		}
		*p = string(b)
	case *common.Address:
		return s.ReadBytes(p[:])
	case *common.Hash:
		return s.ReadBytes(p[:])
	case *[]byte:
		b, err := s.Bytes()
		*p = b
		return err
	}
	return nil
}
