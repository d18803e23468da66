package block

import (
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

func TestGenesisConsensus(t *testing.T) {
	solo := DevGenesis(7, 1_700_000_000_000, common.HexToAddress("0x01"))
	soloHash := solo.Hash()

	bft := solo.Clone()
	bft.Consensus = ConsensusCometBFT
	if err := bft.Validate(); err != nil || !bft.BFT() || solo.BFT() {
		t.Fatalf("cometbft genesis: %v, BFT %v / solo %v", err, bft.BFT(), solo.BFT())
	}
	if bft.Hash() == soloHash {
		t.Fatal("the consensus engine is not committed in the genesis hash")
	}
	if solo.Hash() != soloHash {
		t.Fatal("a solo genesis hash moved")
	}

	raw := []byte(`{"chain_id":7,"time_ms":1,"orgs":[{"id":"a","name":"A","members":[{"address":"0x0000000000000000000000000000000000000001","roles":["admin"]}]}],"consensus":"cometbft"}`)
	g, err := ParseGenesis(raw)
	if err != nil || !g.BFT() {
		t.Fatalf("parse: %v, %+v", err, g)
	}
	bad := *bft
	bad.Consensus = "raft"
	if err := bad.Validate(); !errors.Is(err, ErrBadGenesis) {
		t.Fatalf("unknown engine: %v, want ErrBadGenesis", err)
	}
}
