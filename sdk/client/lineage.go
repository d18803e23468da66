package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/proof"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/sdk/api"
)

// Lineage failures. A *LineageError wraps one of them and ErrVerify, and
// names the version at fault.
var (
	// ErrLineageMissing: a version is absent from the served lineage (an
	// entry dropped, or the list cut short of the latest leaf).
	ErrLineageMissing = errors.New("client: lineage entry missing")
	// ErrLineageOrder: versions come out of order or repeated.
	ErrLineageOrder = errors.New("client: lineage entries out of order")
	// ErrLineageAltered: an entry differs from what its successor's prev
	// hash, its receipt's write or the latest state leaf commits to.
	ErrLineageAltered = errors.New("client: lineage entry altered")
	// ErrLineageProof: an entry's header, transaction or receipt proof, or
	// the latest state proof, does not verify.
	ErrLineageProof = errors.New("client: lineage proof invalid")
)

// LineageError is a lineage verification failure at one version.
type LineageError struct {
	Version uint64
	Kind    error // one of the ErrLineage… sentinels
	Detail  string
}

func (e *LineageError) Error() string {
	return fmt.Sprintf("%v: version %d: %s", e.Kind, e.Version, e.Detail)
}

// Is matches the kind and ErrVerify.
func (e *LineageError) Is(target error) bool { return target == e.Kind || target == ErrVerify }

// Unwrap returns the underlying proof error, if any.
func (e *LineageError) Unwrap() error { return e.Kind }

func lineageErr(version uint64, kind error, format string, args ...any) error {
	return &LineageError{Version: version, Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// LineageVerifier checks a key's lineage page by page, oldest first,
// keeping only the last verified entry: memory stays bounded however many
// versions the key has. Feed every page to Page in order, then call Done.
type LineageVerifier struct {
	v        *Verifier
	contract common.Address
	key      []byte
	last     *proof.Entry // the newest entry verified so far
	lastHash common.Hash
	done     bool
	// headers caches the last few verified headers: consecutive versions
	// often share a block, and a signature check costs two public-key
	// recoveries, most of a lineage's verification time.
	headers []verifiedHeader
}

type verifiedHeader struct {
	api api.SignedHeader
	sh  *block.SignedHeader
}

const headerCacheSize = 8

// header verifies h as VerifyHeader does, reusing an identical header
// (fields, hash and signature) verified before.
func (lv *LineageVerifier) header(h *api.SignedHeader) (*block.SignedHeader, error) {
	for _, c := range lv.headers {
		if c.api.Header == h.Header && c.api.Hash == h.Hash && bytes.Equal(c.api.Signature, h.Signature) {
			return c.sh, nil
		}
	}
	sh, err := lv.v.VerifyHeader(h)
	if err != nil {
		return nil, err
	}
	if len(lv.headers) == headerCacheSize {
		lv.headers = lv.headers[1:]
	}
	lv.headers = append(lv.headers, verifiedHeader{api: api.SignedHeader{Header: h.Header, Hash: h.Hash, Signature: bytes.Clone(h.Signature)}, sh: sh})
	return sh, nil
}

// NewLineageVerifier starts the verification of contract's key.
func (v *Verifier) NewLineageVerifier(contract common.Address, key []byte) *LineageVerifier {
	return &LineageVerifier{v: v, contract: contract, key: bytes.Clone(key)}
}

// Versions is the number of versions verified so far.
func (lv *LineageVerifier) Versions() uint64 {
	if lv.last == nil {
		return 0
	}
	return lv.last.Version
}

// Page verifies one page: each entry's proofs against its authenticated
// header, its version following the previous one, and its Prev equal to
// the hash of the previous entry. On the last page (no NextCursor) it
// checks that the latest state leaf is the newest entry.
func (lv *LineageVerifier) Page(p *api.Lineage) error {
	if lv.done {
		return verifyErr("lineage: page after the last page")
	}
	if p.Contract != lv.contract || !bytes.Equal(p.Key, lv.key) {
		return verifyErr("lineage page is for %s %x, not %s %x", p.Contract.Hex(), []byte(p.Key), lv.contract.Hex(), lv.key)
	}
	// An entry that comes back later in the page was reordered, not lost.
	for i := 1; i < len(p.Entries); i++ {
		if p.Entries[i].Version <= p.Entries[i-1].Version {
			return lineageErr(p.Entries[i].Version, ErrLineageOrder, "served after version %d", p.Entries[i-1].Version)
		}
	}
	for i := range p.Entries {
		if err := lv.entry(&p.Entries[i]); err != nil {
			return err
		}
	}
	if p.NextCursor == "" {
		lv.done = true
		return lv.head(p.Latest)
	}
	if p.Latest != nil {
		return verifyErr("lineage: a page with a next cursor carries the latest state")
	}
	return nil
}

func (lv *LineageVerifier) entry(le *api.LineageEntry) error {
	want := uint64(1)
	if lv.last != nil {
		want = lv.last.Version + 1
	}
	switch {
	case le.Version > want:
		return lineageErr(want, ErrLineageMissing, "next entry served is version %d", le.Version)
	case le.Version < want:
		return lineageErr(le.Version, ErrLineageOrder, "served after version %d", want-1)
	}
	e := &proof.Entry{Version: le.Version, Height: le.Height, TxIndex: le.TxIndex, Prev: le.Prev, Deleted: le.Deleted, Value: le.Value}
	if le.Deleted {
		if len(le.Value) != 0 {
			return lineageErr(le.Version, ErrLineageAltered, "deletion carries a value")
		}
		e.Value = nil
	} else if e.Value == nil {
		e.Value = []byte{}
	}
	if err := lv.proveEntry(le, e); err != nil {
		return err
	}
	// Version e-1's value, height and index are bound by its own proofs,
	// so a prev that does not match names this entry's prev as altered.
	if e.Prev != lv.lastHash {
		return lineageErr(e.Version, ErrLineageAltered, "prev %s is not the hash %s of version %d", e.Prev.Hex(), lv.lastHash.Hex(), e.Version-1)
	}
	if lv.last != nil && (e.Height < lv.last.Height || (e.Height == lv.last.Height && e.TxIndex <= lv.last.TxIndex)) {
		return lineageErr(e.Version, ErrLineageOrder, "at %d/%d, not after version %d at %d/%d", e.Height, e.TxIndex, lv.last.Version, lv.last.Height, lv.last.TxIndex)
	}
	lv.last, lv.lastHash = e, e.Hash()
	return nil
}

// proveEntry checks an entry against its block: the header authenticated
// as VerifyHeader does, the transaction and receipt in its roots, and the
// receipt's last write of the key equal to the entry.
func (lv *LineageVerifier) proveEntry(le *api.LineageEntry, e *proof.Entry) error {
	sh, err := lv.header(&le.Header)
	if err != nil {
		return &LineageError{Version: e.Version, Kind: ErrLineageProof, Detail: "header: " + err.Error()}
	}
	if sh.Header.Height != e.Height {
		return lineageErr(e.Version, ErrLineageProof, "header is of block %d, entry of block %d", sh.Header.Height, e.Height)
	}
	if e.Height == 0 { // a genesis record: the genesis header is its proof
		if le.TxHash != (common.Hash{}) || e.TxIndex != 0 {
			return lineageErr(e.Version, ErrLineageProof, "genesis record names a transaction")
		}
		return nil
	}
	key := proof.IndexKey(uint64(e.TxIndex))
	leaf, err := proof.VerifyInclusion(sh.Header.TxRoot, key, toNodes(le.TxProof))
	if err != nil {
		return lineageErr(e.Version, ErrLineageProof, "transaction proof: %v", err)
	}
	if !bytes.Equal(leaf, le.Tx) {
		return lineageErr(e.Version, ErrLineageProof, "transaction root holds another transaction at index %d", e.TxIndex)
	}
	t, err := tx.DecodeRLP(leaf, tx.Limits{})
	if err != nil {
		return lineageErr(e.Version, ErrLineageProof, "transaction: %v", err)
	}
	if h := t.Hash(); h != le.TxHash {
		return lineageErr(e.Version, ErrLineageProof, "transaction hashes to %s, entry names %s", h.Hex(), le.TxHash.Hex())
	}
	r := le.Receipt
	if r == nil {
		return lineageErr(e.Version, ErrLineageProof, "no receipt")
	}
	renc, err := receiptFromAPI(r).Encode()
	if err != nil {
		return lineageErr(e.Version, ErrLineageProof, "encode receipt: %v", err)
	}
	leaf, err = proof.VerifyInclusion(sh.Header.ReceiptRoot, key, toNodes(le.ReceiptProof))
	if err != nil {
		return lineageErr(e.Version, ErrLineageProof, "receipt proof: %v", err)
	}
	if !bytes.Equal(leaf, renc) {
		return lineageErr(e.Version, ErrLineageProof, "receipt root holds another receipt at index %d", e.TxIndex)
	}
	if r.TxHash != le.TxHash || r.Index != e.TxIndex || r.Height != e.Height {
		return lineageErr(e.Version, ErrLineageProof, "receipt is of %s at %d/%d", r.TxHash.Hex(), r.Height, r.Index)
	}
	// A transaction writing the key twice makes one version: its last write.
	var w *api.Write
	for i := range r.Writes {
		if r.Writes[i].Contract == lv.contract && bytes.Equal(r.Writes[i].Key, lv.key) {
			w = &r.Writes[i]
		}
	}
	switch {
	case w == nil:
		return lineageErr(e.Version, ErrLineageAltered, "transaction %s does not write the key", le.TxHash.Hex())
	case w.Delete != e.Deleted || (!w.Delete && !bytes.Equal(w.Value, e.Value)):
		return lineageErr(e.Version, ErrLineageAltered, "entry says deleted=%v value %x, the receipt's write deleted=%v value %x",
			e.Deleted, e.Value, w.Delete, []byte(w.Value))
	}
	return nil
}

// head checks the latest state proof: authenticated header, valid proof,
// and a leaf that is exactly the newest entry (or no leaf, for a key never
// written).
func (lv *LineageVerifier) head(s *api.State) error {
	next := lv.Versions() + 1
	if s == nil {
		return lineageErr(next, ErrLineageProof, "last page carries no latest state proof")
	}
	sh, err := lv.header(&s.Header)
	if err != nil {
		return &LineageError{Version: next, Kind: ErrLineageProof, Detail: "latest header: " + err.Error()}
	}
	p := &s.Proof
	if p.Root != sh.Header.StateRoot || p.Contract != lv.contract || !bytes.Equal(p.Key, lv.key) {
		return lineageErr(next, ErrLineageProof, "latest state proof is for another root or key")
	}
	head, err := proof.VerifyStateEntry(p.Root, p.Contract, p.Key, toNodes(p.Nodes))
	if err != nil {
		return lineageErr(next, ErrLineageProof, "latest state proof: %v", err)
	}
	switch {
	case head == nil && lv.last == nil:
		return nil
	case head == nil:
		return lineageErr(lv.last.Version, ErrLineageAltered, "the latest state holds no leaf for the key")
	case lv.last == nil || head.Version > lv.last.Version:
		return lineageErr(next, ErrLineageMissing, "latest state leaf is version %d", head.Version)
	case head.Version < lv.last.Version:
		return lineageErr(head.Version+1, ErrLineageOrder, "served beyond the latest state leaf (version %d)", head.Version)
	case head.Hash() != lv.lastHash:
		return lineageErr(head.Version, ErrLineageAltered, "differs from the latest state leaf")
	}
	return nil
}

// Lineage fetches and verifies the whole lineage of contract's key,
// oldest first, page by page with bounded memory, and returns its
// entries. A failure is a *LineageError naming the version.
func (c *Client) Lineage(ctx context.Context, contract common.Address, key []byte, opts ...PageOption) ([]api.LineageEntry, error) {
	var out []api.LineageEntry
	err := c.VerifyLineage(ctx, c.Verifier(), contract, key, func(e *api.LineageEntry) error {
		out = append(out, *e)
		return nil
	}, opts...)
	return out, err
}

// VerifyLineage walks contract's key's lineage with v, calling fn with
// each verified entry, oldest first. Only the entries of a verified page
// reach fn, and the lineage is complete only when it returns nil.
func (c *Client) VerifyLineage(ctx context.Context, v *Verifier, contract common.Address, key []byte, fn func(*api.LineageEntry) error, opts ...PageOption) error {
	size := pageSize(api.MaxHistoryLimit, opts)
	lv := v.NewLineageVerifier(contract, key)
	cursor := ""
	for {
		q := keyQuery(key, pageQuery(cursor, size))
		q.Set(api.ParamProofs, "true")
		var page api.Lineage
		if err := c.get(ctx, api.HistoryPath(contract.Hex(), "_"), q, &page); err != nil {
			return err
		}
		if err := lv.Page(&page); err != nil {
			return err
		}
		for i := range page.Entries {
			if err := fn(&page.Entries[i]); err != nil {
				return err
			}
		}
		if page.NextCursor == "" {
			return nil
		}
		if page.NextCursor == cursor {
			return verifyErr("lineage: the node repeats cursor %q", cursor)
		}
		cursor = page.NextCursor
	}
}
