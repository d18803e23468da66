package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshledger/meshledger/sdk/client/keystore"
)

func TestKeys(t *testing.T) {
	dir := t.TempDir()
	hexFile := filepath.Join(dir, "a.key")
	r := runCLI(t, nil, "keys", "new", hexFile)
	r.want(t, 0, "address:", "0x", "file:", hexFile)
	k, err := keystore.LoadKeyFile(hexFile, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.stdout, k.Address().Hex()) {
		t.Fatalf("printed address is not the key's:\n%s", r.stdout)
	}
	runCLI(t, nil, "keys", "show", hexFile).want(t, 0, k.Address().Hex())
	runCLI(t, nil, "--key", hexFile, "keys", "show", "--json").want(t, 0, `"address": "`+k.Address().Hex()+`"`)
	runCLI(t, map[string]string{"MESHLEDGER_KEY": hexFile}, "keys", "show").want(t, 0, k.Address().Hex())
	runCLI(t, nil, "keys", "new", hexFile).wantErr(t, 1, "already exists")

	encFile := filepath.Join(dir, "b.json")
	pass := map[string]string{"MESHLEDGER_PASSPHRASE": "pw"}
	r = runCLI(t, pass, "keys", "new", "--encrypt", "--light", encFile)
	r.want(t, 0, "address:")
	runCLI(t, pass, "keys", "show", encFile).want(t, 0, strings.TrimSpace(strings.TrimPrefix(strings.SplitN(r.stdout, "\n", 2)[0], "address:")))
	runCLI(t, nil, "keys", "show", encFile).wantErr(t, 1, "passphrase is required")
	passFile := writeTemp(t, "pass", "wrong\n")
	runCLI(t, nil, "--passphrase-file", passFile, "keys", "show", encFile).wantErr(t, 1, "could not decrypt")
	runCLI(t, nil, "keys", "new", "--encrypt", filepath.Join(dir, "c.json")).wantErr(t, 1, "--encrypt needs a passphrase")
	runCLI(t, nil, "keys", "show", filepath.Join(dir, "none")).wantErr(t, 1, "no such file")
}
