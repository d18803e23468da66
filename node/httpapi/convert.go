package httpapi

import (
	"encoding/json"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/proof"
	"github.com/meshledger/meshledger/sdk/api"
)

// Conversions from ledger types to wire types. They copy; nothing here
// decides anything.

func toSignedHeader(sh *block.SignedHeader) api.SignedHeader {
	h := sh.Header
	return api.SignedHeader{
		Hash: sh.Hash(),
		Header: api.Header{
			ChainID: h.ChainID, Height: h.Height, ParentHash: h.ParentHash, TimeMs: h.TimeMs,
			TxRoot: h.TxRoot, ReceiptRoot: h.ReceiptRoot, StateRoot: h.StateRoot, Proposer: h.Proposer,
			LogRoot: h.LogRoot,
		},
		Signature: hexutil.Bytes(sh.Signature),
	}
}

func toBlock(b *ledger.Block) api.Block {
	hashes := b.TxHashes
	if hashes == nil {
		hashes = []common.Hash{}
	}
	return api.Block{Header: toSignedHeader(b.Header), TxCount: len(b.TxHashes), TxHashes: hashes}
}

func toReceipt(r *block.Receipt) *api.Receipt {
	out := &api.Receipt{
		TxHash: r.TxHash, Status: r.Status, Message: r.Message, GasUsed: r.GasUsed,
		Return: nonNilBytes(r.Return), Height: r.Height, Index: r.Index,
		Events: make([]api.Event, len(r.Events)), Writes: make([]api.Write, len(r.Writes)),
	}
	if r.ContractAddress != (common.Address{}) {
		a := r.ContractAddress
		out.ContractAddress = &a
	}
	for i, e := range r.Events {
		out.Events[i] = api.Event{Contract: e.Contract, Name: e.Name, Data: nonNilBytes(e.Data), Audience: e.Audience}
	}
	for i, w := range r.Writes {
		out.Writes[i] = api.Write{Contract: w.Contract, Key: w.Key, Value: w.Value, Delete: w.Delete}
	}
	return out
}

func toStateProof(p *proof.StateProof) api.StateProof {
	out := *p
	out.Key = nonNilBytes(p.Key)
	return out
}

func toStateProofs(ps []*proof.StateProof) []api.StateProof {
	out := make([]api.StateProof, len(ps))
	for i, p := range ps {
		out[i] = toStateProof(p)
	}
	return out
}

func toProofNodes(nodes [][]byte) []hexutil.Bytes {
	out := make([]hexutil.Bytes, len(nodes))
	for i, n := range nodes {
		out[i] = n
	}
	return out
}

func toTxRecord(rec *ledger.TxRecord) (api.Tx, error) {
	raw, err := json.Marshal(rec.Tx)
	if err != nil {
		return api.Tx{}, err
	}
	sender := rec.Tx.Message().Sender()
	h := toSignedHeader(rec.Header)
	return api.Tx{
		Hash:         rec.Tx.Hash(),
		Status:       api.TxCommitted,
		Tx:           raw,
		Sender:       &sender,
		Receipt:      toReceipt(rec.Receipt),
		Header:       &h,
		TxProof:      toProofNodes(rec.TxProof),
		ReceiptProof: toProofNodes(rec.ReceiptProof),
		WriteProofs:  toStateProofs(rec.WriteProofs),
	}, nil
}

func toContract(ci *ledger.ContractInfo) api.Contract {
	methods := ci.Methods
	if methods == nil {
		methods = []string{}
	}
	versions := make([]api.CodeVersion, len(ci.Versions))
	for i, v := range ci.Versions {
		approvers := v.Approvers
		if approvers == nil {
			approvers = []string{}
		}
		versions[i] = api.CodeVersion{CodeHash: v.CodeHash, Height: v.Height, TxHash: v.TxHash, Approvers: approvers}
	}
	out := api.Contract{
		Address: ci.Address, Name: ci.Name, CodeHash: ci.CodeHash, Deployer: ci.Deployer,
		Height: ci.Height, TxHash: ci.TxHash, Methods: methods, Org: ci.Org, Versions: versions,
	}
	if ci.ManifestHash != (common.Hash{}) {
		h := ci.ManifestHash
		out.ManifestHash = &h
	}
	return out
}

func toHistoryEntry(e ledger.HistoryEntry) api.HistoryEntry {
	return api.HistoryEntry{
		Height: e.Height, TimeMs: e.TimeMs, Index: e.Index, TxHash: e.TxHash,
		Signer: e.Signer, Value: e.Value, Deleted: e.Deleted,
	}
}

// nonNilBytes makes empty byte strings encode as "0x" rather than null.
func nonNilBytes(b []byte) hexutil.Bytes {
	if b == nil {
		return hexutil.Bytes{}
	}
	return b
}
