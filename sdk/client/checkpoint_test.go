package client_test

import (
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/client"
)

func TestCheckpointSignVerify(t *testing.T) {
	key, err := client.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	other, _ := client.GenerateKey()
	signed := func() *api.Checkpoint {
		c := &api.Checkpoint{ChainID: 7, Height: 42, HeaderHash: common.HexToHash("0x01"),
			StateRoot: common.HexToHash("0x02"), LogRoot: common.HexToHash("0x03")}
		if err := client.SignCheckpoint(c, key); err != nil {
			t.Fatal(err)
		}
		return c
	}
	if err := client.VerifyCheckpoint(signed()); err != nil {
		t.Fatalf("fresh checkpoint: %v", err)
	}
	if err := client.VerifyCheckpoint(signed(), key.Address()); err != nil {
		t.Fatalf("trusted auditor: %v", err)
	}
	cases := []struct {
		name    string
		edit    func(c *api.Checkpoint)
		trusted []common.Address
	}{
		{"height changed", func(c *api.Checkpoint) { c.Height++ }, nil},
		{"header changed", func(c *api.Checkpoint) { c.HeaderHash[0] ^= 1 }, nil},
		{"log root changed", func(c *api.Checkpoint) { c.LogRoot[31] ^= 1 }, nil},
		{"auditor swapped", func(c *api.Checkpoint) { c.Auditor = other.Address() }, nil},
		{"version", func(c *api.Checkpoint) { c.Version = 2 }, nil},
		{"short signature", func(c *api.Checkpoint) { c.Signature = c.Signature[:64] }, nil},
		{"untrusted auditor", func(*api.Checkpoint) {}, []common.Address{other.Address()}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := signed()
			tc.edit(c)
			if err := client.VerifyCheckpoint(c, tc.trusted...); !errors.Is(err, client.ErrBadCheckpoint) {
				t.Fatalf("got %v, want ErrBadCheckpoint", err)
			}
		})
	}
}
