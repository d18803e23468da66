package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/meshledger/meshledger/sdk/client"
	"github.com/meshledger/meshledger/sdk/client/keystore"
)

func newKeysCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Create and inspect signing keys",
	}
	cmd.AddCommand(newKeysNewCmd(a), newKeysShowCmd(a))
	return cmd
}

func newKeysNewCmd(a *app) *cobra.Command {
	var encrypt, light bool
	cmd := &cobra.Command{
		Use:   "new FILE",
		Short: "Create a new key file (never overwrites)",
		Long: `Create a secp256k1 key. By default the file holds the private key in hex
(mode 0600), as the node's own key does. With --encrypt it is a go-ethereum
keystore JSON file encrypted with the passphrase from --passphrase-file or
MESHLEDGER_PASSPHRASE.`,
		Example: `  meshledger keys new servicer.key
  MESHLEDGER_PASSPHRASE=… meshledger keys new --encrypt servicer.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := client.GenerateKey()
			if err != nil {
				return err
			}
			if encrypt {
				pass, err := a.passphrase()
				if err != nil {
					return err
				}
				if pass == "" {
					return errors.New("--encrypt needs a passphrase: --passphrase-file or MESHLEDGER_PASSPHRASE")
				}
				err = keystore.SaveKeyFile(args[0], k, pass, light)
				if err != nil {
					return err
				}
			} else if err := client.SaveHexKey(args[0], k); err != nil {
				return err
			}
			return printKey(a, k, args[0])
		},
	}
	cmd.Flags().BoolVar(&encrypt, "encrypt", false, "write an encrypted keystore JSON file")
	cmd.Flags().BoolVar(&light, "light", false, "with --encrypt, use light scrypt parameters (fast, weaker)")
	return cmd
}

func newKeysShowCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "show [FILE]",
		Short:   "Print the address of a key file (default: --key)",
		Example: "  meshledger keys show servicer.key\n  meshledger keys show --key ./data/node.key --json",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				a.keyFile, a.keyFlagSet = args[0], true
			}
			k, err := a.loadKey()
			if err != nil {
				return err
			}
			return printKey(a, k, a.keyFile)
		},
	}
}

func printKey(a *app, k *client.Key, file string) error {
	if a.jsonOut {
		return printJSON(a.stdout, map[string]string{"address": k.Address().Hex(), "file": file})
	}
	_, err := fmt.Fprintf(a.stdout, "address: %s\nfile:    %s\n", k.Address().Hex(), file)
	return err
}
