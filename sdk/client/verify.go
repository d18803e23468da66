package client

import (
	"bytes"
	"context"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/proof"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/sdk/api"
)

// Verifier checks what a node serves against headers signed by nodes the
// caller trusts, so that a reader needs to trust a node's key, not the
// node's HTTP answers or the network between them. It is immutable and
// safe for concurrent use.
type Verifier struct {
	trusted   map[common.Address]bool
	consensus ConsensusVerifier
}

// ConsensusVerifier vouches for headers that carry no signature: those of
// a CometBFT chain, which its validators' commit signs instead (package
// sdk/client/bft implements it). It lives outside this package so that a
// client of a solo chain links none of CometBFT.
type ConsensusVerifier interface {
	// VerifyConsensus returns nil only if the validators the caller
	// trusts committed a header whose app hash is hash, the hash of h's
	// fields (which VerifyHeader has checked). A check that fails wraps
	// ErrVerify; a node that cannot answer is another error, so that the
	// caller may ask elsewhere.
	VerifyConsensus(ctx context.Context, h *block.Header, hash common.Hash) error
}

// WithConsensus returns a copy of v that passes unsigned headers to cv:
//
//	v := c.Verifier().WithConsensus(bftVerifier)
//
// Signed headers are still checked against the trusted nodes alone.
func (v *Verifier) WithConsensus(cv ConsensusVerifier) *Verifier {
	out := *v
	out.consensus = cv
	return &out
}

// NewVerifier trusts headers signed by any of nodes.
func NewVerifier(nodes ...common.Address) *Verifier {
	v := &Verifier{trusted: make(map[common.Address]bool, len(nodes))}
	for _, n := range nodes {
		v.trusted[n] = true
	}
	return v
}

// Verifier returns a verifier of the nodes given by WithTrustedNodes. It
// is the client's one place for checking answers: headers, transaction
// records, state and query proofs all go through it, so that what "verified"
// means cannot differ between read methods.
func (c *Client) Verifier() *Verifier {
	nodes := make([]common.Address, 0, len(c.trusted))
	for a := range c.trusted {
		nodes = append(nodes, a)
	}
	return NewVerifier(nodes...)
}

func verifyErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrVerify}, args...)...)
}

// VerifyHeader checks that h's hash is the hash of its fields and that its
// signature recovers to its proposer, a trusted node; or, for a header
// without a signature when v has a ConsensusVerifier (WithConsensus), that
// the trusted validators committed it. It returns the header in ledger
// form.
func (v *Verifier) VerifyHeader(h *api.SignedHeader) (*block.SignedHeader, error) {
	if h == nil {
		return nil, verifyErr("no header")
	}
	sh := &block.SignedHeader{
		Header: block.Header{
			ChainID: h.Header.ChainID, Height: h.Header.Height, ParentHash: h.Header.ParentHash,
			TimeMs: h.Header.TimeMs, TxRoot: h.Header.TxRoot, ReceiptRoot: h.Header.ReceiptRoot,
			StateRoot: h.Header.StateRoot, Proposer: h.Header.Proposer,
			LogRoot: h.Header.LogRoot,
		},
		Signature: h.Signature,
	}
	if got := sh.Hash(); got != h.Hash {
		return nil, verifyErr("header %d: hash %s, fields hash to %s", h.Header.Height, h.Hash.Hex(), got.Hex())
	}
	if len(h.Signature) == 0 && v.consensus != nil {
		// The Verify methods take no context; the consensus verifier
		// bounds its own requests.
		if err := v.consensus.VerifyConsensus(context.Background(), &sh.Header, h.Hash); err != nil {
			return nil, err
		}
		return sh, nil
	}
	signer, err := sh.Signer()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrVerify, err)
	}
	if !v.trusted[signer] {
		return nil, fmt.Errorf("%w: %w: header %d signed by %s", ErrVerify, ErrUntrustedSigner, h.Header.Height, signer.Hex())
	}
	if err := sh.VerifySignature(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrVerify, err)
	}
	return sh, nil
}

// VerifyTx checks that a committed transaction record proves itself
// against its signed header: the header is signed by a trusted node; the
// transaction (its hash, and its encoding at the receipt's index) is in the
// header's transaction root; the receipt is in the receipt root; and every
// key the receipt says was written has a valid proof against the state
// root. The proven values are those at the end of the block, so a later
// transaction of the same block may have changed a key again; the proofs
// bind them to the header either way.
func (v *Verifier) VerifyTx(rec *api.Tx) error {
	if rec == nil || rec.Status != api.TxCommitted || rec.Receipt == nil {
		return verifyErr("transaction is not committed")
	}
	sh, err := v.VerifyHeader(rec.Header)
	if err != nil {
		return err
	}
	r := rec.Receipt
	if r.Height != sh.Header.Height {
		return verifyErr("receipt height %d, header height %d", r.Height, sh.Header.Height)
	}
	if r.TxHash != rec.Hash {
		return verifyErr("receipt is for %s, not %s", r.TxHash.Hex(), rec.Hash.Hex())
	}
	t, err := tx.DecodeJSON(rec.Tx, tx.Limits{})
	if err != nil {
		return verifyErr("transaction: %v", err)
	}
	if t.Hash() != rec.Hash {
		return verifyErr("transaction hashes to %s, not %s", t.Hash().Hex(), rec.Hash.Hex())
	}
	enc, err := t.MarshalBinary()
	if err != nil {
		return verifyErr("encode transaction: %v", err)
	}
	key := proof.IndexKey(uint64(r.Index))
	leaf, err := proof.VerifyInclusion(sh.Header.TxRoot, key, toNodes(rec.TxProof))
	if err != nil {
		return verifyErr("transaction proof: %v", err)
	}
	if !bytes.Equal(leaf, enc) {
		return verifyErr("transaction root holds another transaction at index %d", r.Index)
	}
	renc, err := receiptFromAPI(r).Encode()
	if err != nil {
		return verifyErr("encode receipt: %v", err)
	}
	leaf, err = proof.VerifyInclusion(sh.Header.ReceiptRoot, key, toNodes(rec.ReceiptProof))
	if err != nil {
		return verifyErr("receipt proof: %v", err)
	}
	if !bytes.Equal(leaf, renc) {
		return verifyErr("receipt root holds another receipt at index %d", r.Index)
	}
	for i, w := range r.Writes {
		p := findProof(rec.WriteProofs, w.Contract, w.Key)
		if p == nil {
			return verifyErr("write %d (%s %x) has no proof", i, w.Contract.Hex(), []byte(w.Key))
		}
		if err := verifyStateProof(sh.Header.StateRoot, p); err != nil {
			return fmt.Errorf("write %d: %w", i, err)
		}
	}
	return nil
}

// VerifyState checks a state answer: the header is signed by a trusted
// node and the proof shows exactly the answered value (or absence) of the
// key under the header's state root.
func (v *Verifier) VerifyState(s *api.State) error {
	if s == nil {
		return verifyErr("no state")
	}
	sh, err := v.VerifyHeader(&s.Header)
	if err != nil {
		return err
	}
	if s.Height != sh.Header.Height {
		return verifyErr("state at height %d, header height %d", s.Height, sh.Header.Height)
	}
	p := &s.Proof
	if p.Contract != s.Contract || !bytes.Equal(p.Key, s.Key) || p.Exists != s.Exists || !bytes.Equal(p.Value, s.Value) {
		return verifyErr("proof is for another key or value than the answer")
	}
	return verifyStateProof(sh.Header.StateRoot, p)
}

// VerifyQuery checks that every proof of a query's reads is valid under
// its signed header. It proves what the call read, so anyone can re-run
// the (deterministic) method on those values and compare the result.
func (v *Verifier) VerifyQuery(q *api.QueryResponse) error {
	if q == nil {
		return verifyErr("no query response")
	}
	sh, err := v.VerifyHeader(&q.Header)
	if err != nil {
		return err
	}
	for i := range q.Proofs {
		if err := verifyStateProof(sh.Header.StateRoot, &q.Proofs[i]); err != nil {
			return fmt.Errorf("read %d: %w", i, err)
		}
	}
	return nil
}

// verifyStateProof checks p against root, which must be the root p claims.
func verifyStateProof(root common.Hash, p *api.StateProof) error {
	if p.Root != root {
		return verifyErr("proof of %x is against root %s, header has %s", []byte(p.Key), p.Root.Hex(), root.Hex())
	}
	val, exists, err := proof.VerifyStateProof(root, p.Contract, p.Key, toNodes(p.Nodes))
	if err != nil {
		return verifyErr("proof of %x: %v", []byte(p.Key), err)
	}
	if exists != p.Exists || !bytes.Equal(val, p.Value) {
		return verifyErr("proof of %x: proven (exists=%v, %x) differs from claimed (exists=%v, %x)",
			[]byte(p.Key), exists, val, p.Exists, []byte(p.Value))
	}
	return nil
}

func findProof(ps []api.StateProof, contract common.Address, key []byte) *api.StateProof {
	for i := range ps {
		if ps[i].Contract == contract && bytes.Equal(ps[i].Key, key) {
			return &ps[i]
		}
	}
	return nil
}

func toNodes[T ~[]byte](in []T) [][]byte {
	out := make([][]byte, len(in))
	for i, n := range in {
		out[i] = n
	}
	return out
}

func receiptFromAPI(r *api.Receipt) *block.Receipt {
	br := &block.Receipt{
		TxHash: r.TxHash, Status: r.Status, Message: r.Message, GasUsed: r.GasUsed,
		Return: r.Return, Height: r.Height, Index: r.Index,
	}
	if r.ContractAddress != nil {
		br.ContractAddress = *r.ContractAddress
	}
	for _, e := range r.Events {
		br.Events = append(br.Events, block.Event{Contract: e.Contract, Name: e.Name, Data: e.Data, Audience: e.Audience})
	}
	for _, w := range r.Writes {
		br.Writes = append(br.Writes, block.Write{Contract: w.Contract, Key: w.Key, Value: w.Value, Delete: w.Delete})
	}
	return br
}
