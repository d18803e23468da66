package main

import (
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/spf13/cobra"
)

// parseKey reads a state key argument: text, or 0x-hex with --hex.
func parseKey(s string, isHex bool) ([]byte, error) {
	if !isHex {
		return []byte(s), nil
	}
	if !strings.HasPrefix(s, "0x") {
		s = "0x" + s
	}
	b, err := hexutil.Decode(s)
	if err != nil {
		return nil, fmt.Errorf("key %q: %w", s, err)
	}
	return b, nil
}

func newStateCmd(a *app) *cobra.Command {
	var height uint64
	var verify, isHex bool
	cmd := &cobra.Command{
		Use:   "state CONTRACT KEY",
		Short: "Read one state key, with its Merkle proof",
		Long: `Read the value of a contract's state key at the latest block (or --height).
With --verify the Merkle-Patricia proof is checked against the block header,
whose signature must recover a trusted node address (--trust, else the
node's own reported address).`,
		Example: `  meshledger state 0xC0nTrAcT loan/L1
  meshledger state 0xC0nTrAcT loan/L1 --height 12 --verify --trust 0xNodeAddress
  meshledger state 0xC0nTrAcT 0x6c6f616e2f4c31 --hex`,
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: a.completeContract,
		RunE: func(cmd *cobra.Command, args []string) error {
			contract, key, err := parseContractKey(args, isHex)
			if err != nil {
				return err
			}
			c, err := a.client(false)
			if err != nil {
				return err
			}
			h := heightFlag(cmd, &height)
			st, err := c.State(cmd.Context(), contract, key, h)
			if err != nil {
				return err
			}
			verified := ""
			if verify {
				v, err := a.verifier(cmd.Context(), c)
				if err != nil {
					return err
				}
				if err := v.VerifyState(st); err != nil {
					return err
				}
				verified = fmt.Sprintf("proof checked against header %d signed by %s", st.Height, st.Header.Header.Proposer.Hex())
			}
			if a.jsonOut {
				return printJSON(a.stdout, st)
			}
			var k kv
			k.add("contract", st.Contract.Hex())
			k.add("key", showBytes(st.Key))
			k.add("height", fmt.Sprint(st.Height))
			if st.Exists {
				k.add("value", showBytes(st.Value))
			} else {
				k.add("value", "(absent)")
			}
			k.add("state root", st.Header.Header.StateRoot.Hex())
			k.add("proof nodes", fmt.Sprint(len(st.Proof.Nodes)))
			if verified != "" {
				k.add("verified", verified)
			}
			return k.print(a.stdout)
		},
	}
	cmd.Flags().Uint64Var(&height, "height", 0, "read at this block height (default: latest)")
	cmd.Flags().BoolVar(&verify, "verify", false, "check the proof against the signed header")
	cmd.Flags().BoolVar(&isHex, "hex", false, "KEY is 0x-hex bytes rather than text")
	return cmd
}
