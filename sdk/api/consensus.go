package api

import "github.com/ethereum/go-ethereum/common/hexutil"

// Paths of the consensus evidence a client verifies BFT headers with
// (docs/consensus.md, "Verifying as a client").
const (
	PathConsensusCommits     = "/v1/consensus/commits/"      // + ledger height
	PathConsensusLightBlocks = "/v1/consensus/light-blocks/" // + consensus height
)

// CodeNotBFT (404): the chain is solo, so there is no consensus evidence;
// its headers carry the producer's signature instead.
const CodeNotBFT Code = "not_bft"

// ConsensusCommit is GET /v1/consensus/commits/{ledgerHeight}: the
// CometBFT evidence that the validators committed a ledger block.
//
// Nothing here is to be believed as served: a client decodes LightBlock
// with CometBFT's own types, checks its commit against the validator set
// it trusts, and compares the header's app hash with the ledger header's
// hash. The heights only say where the evidence comes from.
type ConsensusCommit struct {
	// LedgerHeight is the ledger block vouched for.
	LedgerHeight uint64 `json:"ledgerHeight"`
	// ConsensusHeight is the CometBFT height whose block made that ledger
	// block (0 for the genesis, whose hash is CometBFT's initial app hash).
	// CometBFT records the app hash after height H in the header of H+1,
	// so LightBlock is of height ConsensusHeight+1.
	ConsensusHeight uint64 `json:"consensusHeight"`
	// LightBlock is CometBFT's tendermint.types.LightBlock in its protobuf
	// encoding: the signed header (header and commit) of ConsensusHeight+1
	// and the validator set that signed it.
	LightBlock hexutil.Bytes `json:"lightBlock"`
}

// ConsensusLightBlock is GET /v1/consensus/light-blocks/{consensusHeight}:
// CometBFT's light block of any height this node holds, which a client
// needs to follow validator-set changes its trusted set cannot vouch for
// in one step.
type ConsensusLightBlock struct {
	// ConsensusHeight is the CometBFT height of LightBlock.
	ConsensusHeight uint64 `json:"consensusHeight"`
	// LightBlock is as in ConsensusCommit.
	LightBlock hexutil.Bytes `json:"lightBlock"`
}
