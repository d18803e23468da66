package proof

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// StateProof is a proof of one contract key under one state root: its
// value, or its absence. Nodes is the root-to-leaf list of RLP-encoded trie
// nodes, as in the storageProof of EIP-1186. Its JSON form uses 0x-hex:
//
//	{"root":"0x…","contract":"0x…","key":"0x…","value":"0x…","exists":true,"nodes":["0x…",…]}
type StateProof struct {
	Root     common.Hash
	Contract common.Address
	Key      []byte
	Value    []byte
	Exists   bool
	Nodes    [][]byte
}

// Verify checks that Nodes prove exactly Value/Exists for Key under Root.
func (p *StateProof) Verify() error {
	v, ok, err := VerifyStateProof(p.Root, p.Contract, p.Key, p.Nodes)
	if err != nil {
		return err
	}
	if ok != p.Exists || (ok && !bytes.Equal(v, p.Value)) {
		return fmt.Errorf("%w: proven exists=%v value=%x, claimed exists=%v value=%x", ErrMismatch, ok, v, p.Exists, p.Value)
	}
	return nil
}

type stateProofJSON struct {
	Root     common.Hash     `json:"root"`
	Contract common.Address  `json:"contract"`
	Key      hexutil.Bytes   `json:"key"`
	Value    hexutil.Bytes   `json:"value"`
	Exists   bool            `json:"exists"`
	Nodes    []hexutil.Bytes `json:"nodes"`
}

// MarshalJSON encodes the proof with 0x-hex byte strings.
func (p StateProof) MarshalJSON() ([]byte, error) {
	j := stateProofJSON{Root: p.Root, Contract: p.Contract, Key: p.Key, Value: p.Value, Exists: p.Exists,
		Nodes: make([]hexutil.Bytes, len(p.Nodes))}
	if j.Key == nil {
		j.Key = hexutil.Bytes{}
	}
	if j.Value == nil {
		j.Value = hexutil.Bytes{}
	}
	for i, n := range p.Nodes {
		j.Nodes[i] = n
	}
	return json.Marshal(j)
}

// UnmarshalJSON decodes the form MarshalJSON writes.
func (p *StateProof) UnmarshalJSON(b []byte) error {
	var j stateProofJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("proof: decode state proof: %w", err)
	}
	*p = StateProof{Root: j.Root, Contract: j.Contract, Key: j.Key, Value: j.Value, Exists: j.Exists,
		Nodes: make([][]byte, len(j.Nodes))}
	if p.Key == nil {
		p.Key = []byte{}
	}
	if !p.Exists {
		p.Value = nil
	} else if p.Value == nil {
		p.Value = []byte{}
	}
	for i, n := range j.Nodes {
		p.Nodes[i] = n
	}
	return nil
}
