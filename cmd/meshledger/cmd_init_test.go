package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cometbft/cometbft/p2p"

	"github.com/meshledger/meshledger/node/cometbft"
)

func TestInitCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "acme")
	res := runCLI(t, nil, "init", "--org", "acme", "--name", "Acme Bank", "--host", "node.acme.example", "--p2p-port", "26660", "--out", dir)
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	card, err := parseCard([]byte(res.stdout))
	if err != nil {
		t.Fatalf("printed card: %v\n%s", err, res.stdout)
	}
	if saved := readFile(t, filepath.Join(dir, CardFile)); !bytes.Equal(bytes.TrimSpace(saved), bytes.TrimSpace([]byte(res.stdout))) {
		t.Fatalf("saved card differs from the printed one:\n%s\n%s", saved, res.stdout)
	}

	// Every field is the keys' own.
	home := filepath.Join(dir, "cometbft")
	nodeKey := mustKey(t, filepath.Join(dir, "node.key"))
	pub, err := validatorPubKey(home)
	if err != nil {
		t.Fatal(err)
	}
	nk, err := p2p.LoadNodeKey(filepath.Join(home, "config", "node_key.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := orgCard{
		Org: "acme", Name: "Acme Bank", NodeAddress: addressOf(nodeKey),
		ValidatorPubKey: base64.StdEncoding.EncodeToString(pub), ValidatorAddress: pub.Address().String(),
		Peer: string(nk.ID()) + "@node.acme.example:26660",
	}
	if card.orgCard != want {
		t.Fatalf("card\n%+v\nwant\n%+v", card.orgCard, want)
	}
	// Settings for validators on separate machines: listening on every
	// interface, refusing private addresses and duplicate IPs.
	conf, err := cometbft.LoadConfig(home)
	if err != nil {
		t.Fatal(err)
	}
	if conf.P2P.ListenAddress != "tcp://0.0.0.0:26660" || conf.P2P.ExternalAddress != "tcp://node.acme.example:26660" || !conf.P2P.AddrBookStrict || conf.P2P.AllowDuplicateIP || conf.Moniker != "acme" {
		t.Fatalf("config: listen %s, strict %v, duplicate IP %v, moniker %s", conf.P2P.ListenAddress, conf.P2P.AddrBookStrict, conf.P2P.AllowDuplicateIP, conf.Moniker)
	}
	if !strings.Contains(res.stderr, "meshledger genesis install --from GENESIS_DIR --data-dir "+dir) {
		t.Fatalf("next steps missing:\n%s", res.stderr)
	}

	// A second init keeps the keys and says where the card is.
	keyBefore := readFile(t, filepath.Join(home, "config", "priv_validator_key.json"))
	runCLI(t, nil, "init", "--org", "acme", "--host", "other.example", "--out", dir).wantErr(t, 1, "is already initialised")
	if !bytes.Equal(readFile(t, filepath.Join(home, "config", "priv_validator_key.json")), keyBefore) {
		t.Fatal("a refused init replaced the validator key")
	}
}

func TestInitCommandBadArgs(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--host", "h"}, `required flag(s) "org" not set`},
		{[]string{"--org", "Acme", "--host", "h"}, `--org: `},
		{[]string{"--org", "acme"}, "--host is required"},
		{[]string{"--org", "acme", "--host", "h", "--p2p-port", "0"}, `port "0" is not in 1..65535`},
		{[]string{"--org", "acme", "--host", "h", "--p2p-port", "70000"}, `port "70000" is not in 1..65535`},
		{[]string{"--org", "acme", "--host", "h", "--name", strings.Repeat("n", 200)}, "--name: "},
	}
	for _, tt := range tests {
		dir := filepath.Join(t.TempDir(), "org")
		runCLI(t, nil, append([]string{"init", "--out", dir}, tt.args...)...).wantErr(t, 1, tt.want)
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Fatalf("%v: a refused init left %s behind", tt.args, dir)
		}
	}
}

func TestParseCard(t *testing.T) {
	good := orgCard{
		Org: "acme", Name: "Acme", NodeAddress: addressOf(mustKey(t, filepath.Join(t.TempDir(), "k"))),
		ValidatorPubKey:  "qF3XfEPQ4dsVt5fQhCv8v4cDtEVxbT04s+PixWJlOzg=",
		ValidatorAddress: "", Peer: strings.Repeat("ab", 20) + "@10.0.0.1:26656",
	}
	key, _ := base64.StdEncoding.DecodeString(good.ValidatorPubKey)
	good.ValidatorAddress = addressOfPub(key)
	encode := func(c orgCard) string {
		b, _ := json.Marshal(c)
		return string(b)
	}
	if _, err := parseCard([]byte(encode(good))); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(c *orgCard)
		raw  string
		want string
	}{
		{name: "not json", raw: "{", want: "unexpected EOF"},
		{name: "unknown field", raw: `{"org":"acme","pubkey":"x"}`, want: `unknown field "pubkey"`},
		{name: "org id", edit: func(c *orgCard) { c.Org = "Acme!" }, want: `organisation id "Acme!"`},
		{name: "no name", edit: func(c *orgCard) { c.Name = "" }, want: "name is empty"},
		{name: "no node address", edit: func(c *orgCard) { c.NodeAddress = [20]byte{} }, want: "nodeAddress is missing"},
		{name: "key not base64", edit: func(c *orgCard) { c.ValidatorPubKey = "%%%" }, want: "validatorPubKey is not a base64 32-byte ed25519 key"},
		{name: "key too short", edit: func(c *orgCard) { c.ValidatorPubKey = "AAAA" }, want: "validatorPubKey is not a base64 32-byte ed25519 key"},
		{name: "altered key", edit: func(c *orgCard) { c.ValidatorAddress = strings.Repeat("0", 40) }, want: "the card was altered or damaged"},
		{name: "peer without id", edit: func(c *orgCard) { c.Peer = "10.0.0.1:26656" }, want: "want node-id@host:port"},
		{name: "peer bad id", edit: func(c *orgCard) { c.Peer = "abc@10.0.0.1:26656" }, want: `node id "abc" is not 20 hex bytes`},
		{name: "peer no port", edit: func(c *orgCard) { c.Peer = strings.Repeat("ab", 20) + "@10.0.0.1" }, want: "want node-id@host:port"},
		{name: "peer bad port", edit: func(c *orgCard) { c.Peer = strings.Repeat("ab", 20) + "@10.0.0.1:99999" }, want: `port "99999"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := tt.raw
			if tt.edit != nil {
				c := good
				tt.edit(&c)
				raw = encode(c)
			}
			_, err := parseCard([]byte(raw))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errorsIsBadCard(err) {
				t.Fatalf("err %v, want ErrBadCard with %q", err, tt.want)
			}
		})
	}
}
