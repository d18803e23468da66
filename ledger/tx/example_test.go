package tx_test

import (
	"fmt"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/meshledger/meshledger/ledger/tx"
)

// A reader signs a session once and sends its header with every read; a
// node parses and verifies it against its own clock.
func ExampleSignSession() {
	key, _ := crypto.HexToECDSA("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
	const chainID = 1337
	issued := uint64(1767225600000) // 2026-01-01T00:00:00Z
	s, err := tx.SignSession(tx.ReadSession{
		Reader:    crypto.PubkeyToAddress(key.PublicKey),
		IssuedMs:  issued,
		ExpiresMs: issued + 3600_000, // one hour
	}, chainID, key)
	if err != nil {
		panic(err)
	}
	header := s.Header() // Authorization: <header>

	// On the node:
	parsed, err := tx.ParseSession(header)
	if err != nil {
		panic(err)
	}
	reader, err := parsed.Verify(chainID, issued+60_000)
	fmt.Println(reader, err)

	// Two hours later the same header is refused.
	_, err = parsed.Verify(chainID, issued+2*3600_000)
	fmt.Println(tx.SessionErrorCode(err), "-", err)
	// Output:
	// 0x2c7536E3605D9C16a7a3D7b1898e529396a65c23 <nil>
	// session_expired - read session: expired 1h0m0s ago
}
