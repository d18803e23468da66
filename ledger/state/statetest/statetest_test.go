package statetest

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/meshledger/meshledger/ledger/state"
)

func TestMustOpen(t *testing.T) {
	s := MustOpen(t)
	b := s.KV.NewBatch()
	if _, err := s.State.Commit(common.Hash{}, 0, []state.Change{{Contract: common.Address{1}, Key: []byte("k"), Value: []byte("v")}}, b); err != nil {
		t.Fatal(err)
	}
	if err := b.Write(); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := s.State.Get(common.Address{1}, []byte("k")); err != nil || !ok || string(v) != "v" {
		t.Fatalf("Get: %q %v %v", v, ok, err)
	}
}
