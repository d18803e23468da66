package client_test

import (
	"errors"
	"fmt"
	"log"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/client"
)

// ExampleVerifyEvidence checks, offline, evidence that a node signed two
// different blocks at one height, then the same evidence with one header
// edited after signing.
func ExampleVerifyEvidence() {
	producer, err := client.KeyFromHex("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
	if err != nil {
		log.Fatal(err)
	}
	sign := func(h block.Header) api.SignedHeader {
		sh, err := block.SignHeader(h, func(d common.Hash) ([]byte, error) { return crypto.Sign(d[:], producer.PrivateKey()) })
		if err != nil {
			log.Fatal(err)
		}
		return api.SignedHeader{Hash: sh.Hash(), Signature: sh.Signature, Header: api.Header{
			ChainID: h.ChainID, Height: h.Height, TimeMs: h.TimeMs, StateRoot: h.StateRoot, Proposer: h.Proposer}}
	}
	first := sign(block.Header{ChainID: 7, Height: 12, TimeMs: 1000, Proposer: producer.Address()})
	second := sign(block.Header{ChainID: 7, Height: 12, TimeMs: 1000, Proposer: producer.Address(),
		StateRoot: common.HexToHash("0x01")})
	ev := &api.Evidence{Version: api.EvidenceVersion, Kind: api.EvidenceConflictingHeaders, ChainID: 7,
		Headers: []api.SignedHeader{first, second}}

	// The verifier pins the producer's address; nothing else is trusted.
	trust := client.EvidenceTrust{Signers: []common.Address{producer.Address()}}
	f, err := client.VerifyEvidence(ev, trust)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(f.Kind, "at", f.Height, "strong:", f.Strong)

	ev.Headers[1].Header.StateRoot = common.HexToHash("0x02") // edited after signing
	_, err = client.VerifyEvidence(ev, trust)
	fmt.Println("edited:", errors.Is(err, client.ErrForgedEvidence))
	// Output:
	// conflicting-headers at 12 strong: true
	// edited: true
}
