package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/node/cometbft"
	"github.com/meshledger/meshledger/sdk/client"
)

func newOrgProposeValidatorCmd(a *app) *cobra.Command {
	var (
		card, pubKey string
		power        int64
	)
	cmd := &cobra.Command{
		Use:   "propose-validator ID (--card CARD.json | --pubkey BASE64) [--power N]",
		Short: "Propose giving an organisation a consensus validator, re-weighting it, or removing it (--power 0)",
		Long: `Propose setting an organisation's CometBFT validator (a setValidator
proposal): its ed25519 key, from the card 'meshledger init' printed for the
organisation's node or given with --pubkey, and its voting power. Once the
organisations approve it, the validator set changes two heights after the
block that executed it: from then on the node with that key votes. A new key replaces the organisation's
old one; --power 0 removes its validator (never the network's last).
--key must be an admin of an existing organisation, which approves at once.`,
		Example: `  meshledger org propose-validator epsilon --card epsilon.json
  meshledger org propose-validator acme --pubkey qF3XfEPQ4dsVt5fQhCv8v4cDtEVxbT04s+PixWJlOzg= --power 20
  meshledger org propose-validator acme --pubkey qF3XfEPQ4dsVt5fQhCv8v4cDtEVxbT04s+PixWJlOzg= --power 0`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeOrg,
		RunE: func(cmd *cobra.Command, args []string) error {
			key, err := validatorKeyArg(args[0], card, pubKey)
			if err != nil {
				return err
			}
			if power < 0 {
				return fmt.Errorf("--power %d: want 0 (remove) or more", power)
			}
			c, err := a.client(true)
			if err != nil {
				return err
			}
			p := registry.SetValidatorParams{Org: args[0], PubKey: key, Power: power}
			return a.submitGoverned(cmd, c, client.ProposeOp(registry.KindSetValidator, p), nil)
		},
	}
	f := cmd.Flags()
	f.StringVar(&card, "card", "", "the organisation's card, as 'meshledger init' printed it")
	f.StringVar(&pubKey, "pubkey", "", "the validator's ed25519 public key, base64")
	f.Int64Var(&power, "power", cometbft.DefaultValidatorPower, "voting power (0 removes the validator)")
	return cmd
}

// validatorKeyArg is the key of --card or --pubkey, exactly one of them.
func validatorKeyArg(org, card, pubKey string) ([]byte, error) {
	switch {
	case (card == "") == (pubKey == ""):
		return nil, errors.New("give the validator's key with --card or --pubkey (one of them)")
	case pubKey != "":
		key, err := base64.StdEncoding.DecodeString(pubKey)
		if err != nil || len(key) != registry.ValidatorKeySize {
			return nil, fmt.Errorf("--pubkey: want a base64 %d-byte ed25519 key", registry.ValidatorKeySize)
		}
		return key, nil
	}
	raw, err := os.ReadFile(card)
	if err != nil {
		return nil, fmt.Errorf("--card: %w", err)
	}
	c, err := parseCard(raw)
	if err != nil {
		return nil, fmt.Errorf("--card %s: %w", card, err)
	}
	if c.Org != org {
		return nil, fmt.Errorf("--card %s is organisation %s's, not %s's", card, c.Org, org)
	}
	return c.pubKey, nil
}
