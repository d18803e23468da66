package tx

import (
	"crypto/ecdsa"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// Tx is a signed transaction: a Message, the chain id it was signed for,
// the signature, and for a deploy or an upgrade optionally the Wasm code.
//
// A Tx is well formed by construction (NewTx, the decoders and the Sign
// helpers all validate) and must be treated as immutable: its hash and
// recovered sender are cached. Do not modify the Message after handing it
// to NewTx or Sign. A Tx is safe for concurrent use. The zero Tx is only
// a target for json.Unmarshal or rlp.Decode.
type Tx struct {
	chainID uint64
	msg     Message
	sig     Signature
	code    []byte

	hash   atomic.Pointer[common.Hash]
	sender atomic.Pointer[common.Address]
}

// NewTx assembles a signed transaction and checks that it is well formed
// (sizes are not limited here; decoders apply Limits). Code may be given
// only with a CodeCarrier (*Deploy, *Upgrade).
func NewTx(chainID uint64, msg Message, sig Signature, code []byte) (*Tx, error) {
	t := &Tx{chainID: chainID, msg: msg, sig: sig, code: code}
	if err := t.validate(noLimits); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *Tx) validate(lim Limits) error {
	if t.msg == nil {
		return malformed("message", "missing")
	}
	if err := t.msg.Validate(lim); err != nil {
		return err
	}
	// Empty bytes get one form, whichever way the transaction was made
	// (JSON gives nil, RLP an empty slice, a client either): executors
	// write such fields into state (a deploy's initArgs in its approval
	// proposal), where nil and empty would differ, while the signature
	// cannot tell them apart.
	for _, f := range t.msg.Fields() {
		if p, ok := f.Ptr.(*[]byte); ok && len(*p) == 0 {
			*p = nil
		}
	}
	if t.code != nil {
		if _, ok := t.msg.(CodeCarrier); !ok {
			return malformed("code", "only a deploy or an upgrade carries code")
		}
		if err := checkLimit("code", len(t.code), lim.withDefaults().MaxCodeBytes); err != nil {
			return err
		}
		if len(t.code) == 0 {
			return malformed("code", "empty; omit the field instead")
		}
	}
	return nil
}

// ChainID is the chain the transaction was signed for.
func (t *Tx) ChainID() uint64 { return t.chainID }

// Message is the signed message (*Deploy, *Call, ...). Do not modify it.
func (t *Tx) Message() Message { return t.msg }

// Type is the message's wire type name.
func (t *Tx) Type() string { return t.msg.Type() }

// Signature is r ‖ s ‖ v with v ∈ {27, 28}.
func (t *Tx) Signature() Signature { return t.sig }

// Code is the Wasm code carried by a deploy or an upgrade, or nil. It is not part of the
// signed message (the message holds its hash) nor of the RLP encoding.
func (t *Tx) Code() []byte { return t.code }

// WithCode returns a copy of t carrying code instead (nil to drop it). The
// copy keeps the cached hash and sender, which code does not affect.
func (t *Tx) WithCode(code []byte) (*Tx, error) {
	c := &Tx{chainID: t.chainID, msg: t.msg, sig: t.sig, code: code}
	if code != nil {
		if err := c.validate(noLimits); err != nil {
			return nil, err
		}
	}
	c.hash.Store(t.hash.Load())
	c.sender.Store(t.sender.Load())
	return c, nil
}

// Hash is the transaction hash: the EIP-712 digest that was signed. A
// client knows it before sending, and the same intent always has the same
// hash, so the ledger can refuse to run it twice.
func (t *Tx) Hash() common.Hash {
	if h := t.hash.Load(); h != nil {
		return *h
	}
	h := Digest(t.msg, t.chainID)
	t.hash.Store(&h)
	return h
}

// Recover checks the signature and returns the sender (it does not check
// the chain id: see Verify). It fails with
// ErrBadSignature, ErrHighS, or ErrSenderMismatch when the signer is not
// the message's "from". A successful result is cached.
func (t *Tx) Recover() (common.Address, error) {
	if a := t.sender.Load(); a != nil {
		return *a, nil
	}
	addr, err := recoverAddress(t.Hash(), t.sig)
	if err != nil {
		return common.Address{}, err
	}
	if from := t.msg.Sender(); addr != from {
		return common.Address{}, fmt.Errorf("%w: signed by %s, from is %s", ErrSenderMismatch, addr, from)
	}
	t.sender.Store(&addr)
	return addr, nil
}

// AdoptSender gives t the sender already recovered for other, the same
// signed transaction held in another object (another decoding of the same
// bytes, or the object they were encoded from), sparing t a second
// secp256k1 recovery. The recovered sender is a function of the chain id,
// the hash and the signature alone, so it adopts nothing, and reports
// false, unless those agree and other's sender has been recovered.
func (t *Tx) AdoptSender(other *Tx) bool {
	a := other.sender.Load()
	if a == nil || t.chainID != other.chainID || t.sig != other.sig || t.Hash() != other.Hash() {
		return false
	}
	t.sender.Store(a)
	return true
}

// Verify makes every check that needs no ledger state: the chain id
// (ErrWrongChain), the code against the signed codeHash
// (ErrCodeHashMismatch), and the signature (see Recover). It returns the
// sender. Nonce and gas limit need state: see CheckNonce, CheckGasLimit.
func (t *Tx) Verify(chainID uint64) (common.Address, error) {
	if t.chainID != chainID {
		return common.Address{}, fmt.Errorf("%w: signed for %d, this chain is %d", ErrWrongChain, t.chainID, chainID)
	}
	if t.code != nil {
		want := t.msg.(CodeCarrier).CodeHashOf() // validate guarantees it
		if h := crypto.Keccak256Hash(t.code); h != want {
			return common.Address{}, fmt.Errorf("%w: code hashes to %s, codeHash is %s", ErrCodeHashMismatch, h, want)
		}
	}
	return t.Recover()
}

// RecoverAll runs Verify(chainID) on every transaction using up to workers
// goroutines (GOMAXPROCS if workers <= 0). errs[i] is the result for
// txs[i], nil when valid; senders are then cached in each Tx. The result
// does not depend on scheduling.
func RecoverAll(txs []*Tx, chainID uint64, workers int) []error {
	errs := make([]error, len(txs))
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if workers > len(txs) {
		workers = len(txs)
	}
	// Work is handed out in small chunks from a shared counter so that a
	// slow transaction (large args to hash) does not idle other workers.
	const chunk = 16
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				start := int(next.Add(chunk)) - chunk
				if start >= len(txs) {
					return
				}
				end := min(start+chunk, len(txs))
				for i := start; i < end; i++ {
					_, errs[i] = txs[i].Verify(chainID)
				}
			}
		}()
	}
	wg.Wait()
	return errs
}

// Sign signs msg for chain chainID with key and returns the transaction.
// key must be the key of msg.Sender() (else ErrSenderMismatch).
func Sign(msg Message, chainID uint64, key *ecdsa.PrivateKey) (*Tx, error) {
	return sign(msg, chainID, key, nil)
}

// SignDeploy signs a deploy carrying code. A zero d.CodeHash is filled in
// as keccak256(code); a non-zero one must match it (ErrCodeHashMismatch).
// With nil code, d.CodeHash must name code the ledger already stores.
func SignDeploy(d Deploy, code []byte, chainID uint64, key *ecdsa.PrivateKey) (*Tx, error) {
	if err := bindCode(&d.CodeHash, code); err != nil {
		return nil, fmt.Errorf("tx: sign deploy: %w", err)
	}
	return sign(&d, chainID, key, code)
}

// bindCode fills a zero *codeHash with code's keccak256, or checks that a
// set one names code. Nil code (signing by hash alone) binds nothing.
func bindCode(codeHash *common.Hash, code []byte) error {
	if code == nil {
		return nil
	}
	h := crypto.Keccak256Hash(code)
	if *codeHash == (common.Hash{}) {
		*codeHash = h
	} else if *codeHash != h {
		return ErrCodeHashMismatch
	}
	return nil
}

// SignCall signs a call.
func SignCall(c Call, chainID uint64, key *ecdsa.PrivateKey) (*Tx, error) {
	return sign(&c, chainID, key, nil)
}

func sign(msg Message, chainID uint64, key *ecdsa.PrivateKey, code []byte) (*Tx, error) {
	signer := crypto.PubkeyToAddress(key.PublicKey)
	if signer != msg.Sender() {
		return nil, fmt.Errorf("tx: sign: %w: key is %s, from is %s", ErrSenderMismatch, signer, msg.Sender())
	}
	t := &Tx{chainID: chainID, msg: msg, code: code}
	if err := t.validate(noLimits); err != nil {
		return nil, fmt.Errorf("tx: sign: %w", err)
	}
	h := t.Hash()
	raw, err := crypto.Sign(h[:], key)
	if err != nil {
		return nil, fmt.Errorf("tx: sign: %w", err)
	}
	sig, err := ParseSignature(raw)
	if err != nil {
		return nil, fmt.Errorf("tx: sign: %w", err)
	}
	t.sig = sig
	t.sender.Store(&signer)
	return t, nil
}
