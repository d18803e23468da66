package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/types"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/node/cometbft"
	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/client"
)

func addressOf(k *ecdsa.PrivateKey) common.Address { return crypto.PubkeyToAddress(k.PublicKey) }

func addressOfPub(key []byte) string { return ed25519.PubKey(key).Address().String() }

func errorsIsBadCard(err error) bool { return errors.Is(err, ErrBadCard) }

// ceremonyOrg is one organisation prepared by init.
type ceremonyOrg struct {
	id, dir, card string
}

// initOrgs prepares one data directory per organisation id, with P2P
// ports from port upward on 127.0.0.1.
func initOrgs(t *testing.T, port int, ids ...string) []ceremonyOrg {
	t.Helper()
	root := t.TempDir()
	out := make([]ceremonyOrg, len(ids))
	for i, id := range ids {
		dir := filepath.Join(root, id)
		if _, err := initOrg(dir, id, "Organisation "+id, "127.0.0.1", "127.0.0.1", port+i); err != nil {
			t.Fatal(err)
		}
		out[i] = ceremonyOrg{id: id, dir: dir, card: filepath.Join(dir, CardFile)}
	}
	return out
}

func cardFiles(orgs []ceremonyOrg) string {
	files := make([]string, len(orgs))
	for i, o := range orgs {
		files[i] = o.card
	}
	return strings.Join(files, ",")
}

// The genesis depends on the cards' contents, the chain id and the time
// alone: the cards in another order, or concatenated in one file, give
// the same bytes; the hashes printed are those of the files.
func TestGenesisAssemble(t *testing.T) {
	orgs := initOrgs(t, 26700, "delta", "acme", "gamma", "beta")
	const at = "2026-12-07T09:00:00Z"
	assemble := func(cards string) (string, cliResult) {
		out := filepath.Join(t.TempDir(), "genesis")
		return out, runCLI(t, nil, "genesis", "assemble", "--cards", cards, "--chain-id", "7", "--time", at, "--out", out)
	}
	out1, res1 := assemble(cardFiles(orgs))
	if res1.code != 0 {
		t.Fatalf("exit %d: %s", res1.code, res1.stderr)
	}
	rev := slices.Clone(orgs)
	slices.Reverse(rev)
	out2, res2 := assemble(cardFiles(rev))
	var all []byte
	for _, o := range orgs {
		all = append(all, readFile(t, o.card)...)
	}
	out3, res3 := assemble(writeTemp(t, "all.json", string(all)))
	for _, f := range []string{"genesis.json", "cometbft/config/genesis.json", PeersFile} {
		a := readFile(t, filepath.Join(out1, f))
		if !bytes.Equal(a, readFile(t, filepath.Join(out2, f))) || !bytes.Equal(a, readFile(t, filepath.Join(out3, f))) {
			t.Fatalf("%s differs with the cards in another order", f)
		}
	}
	if res1.stdout != strings.ReplaceAll(res2.stdout, out2, out1) || res1.stdout != strings.ReplaceAll(res3.stdout, out3, out1) {
		t.Fatalf("outputs differ:\n%s\n%s", res1.stdout, res2.stdout)
	}

	g, err := block.LoadGenesis(filepath.Join(out1, "genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	header, err := ledger.GenesisHeader(g)
	if err != nil {
		t.Fatal(err)
	}
	cometRaw := readFile(t, filepath.Join(out1, "cometbft/config/genesis.json"))
	sum := sha256.Sum256(cometRaw)
	res1.want(t, 0, "acme, beta, delta, gamma", "7 (CometBFT meshledger-7)", "2026-12-07T09:00:00Z",
		header.Hash().Hex(), "sha256:"+hex.EncodeToString(sum[:]), "--chain-id 7 --time 2026-12-07T09:00:00Z")

	// The ledger genesis: every organisation founding, its node key its
	// admin and deployer, a BFT chain under the approval policy.
	if !g.BFT() || g.ChainID != 7 || g.TimeMs != time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC).UnixMilli() || !g.EffectivePolicy().RequireManifest || g.EffectivePolicy().DeployPolicy != registry.DeployApproval {
		t.Fatalf("ledger genesis %+v", g)
	}
	doc, err := types.GenesisDocFromJSON(cometRaw)
	if err != nil {
		t.Fatal(err)
	}
	if doc.ChainID != "meshledger-7" || doc.GenesisTime.UnixMilli() != g.TimeMs || len(doc.Validators) != 4 {
		t.Fatalf("cometbft genesis: %s %s %d validators", doc.ChainID, doc.GenesisTime, len(doc.Validators))
	}
	peers := strings.Fields(string(readFile(t, filepath.Join(out1, PeersFile))))
	for i, id := range []string{"acme", "beta", "delta", "gamma"} {
		o := orgs[slices.IndexFunc(orgs, func(o ceremonyOrg) bool { return o.id == id })]
		addr := addressOf(mustKey(t, filepath.Join(o.dir, "node.key")))
		gotOrg := g.Orgs[i]
		if gotOrg.ID != id || !slices.Equal(gotOrg.Nodes, []common.Address{addr}) || len(gotOrg.Members) != 1 ||
			gotOrg.Members[0].Address != addr || !slices.Equal(gotOrg.Members[0].Roles, []string{registry.RoleAdmin, registry.RoleDeployer}) {
			t.Fatalf("org %d: %+v", i, gotOrg)
		}
		pub, err := validatorPubKey(filepath.Join(o.dir, "cometbft"))
		if err != nil {
			t.Fatal(err)
		}
		if v := gotOrg.Validator; v == nil || !bytes.Equal(v.PubKey, pub) || v.Power != cometbft.DefaultValidatorPower {
			t.Fatalf("org %s's validator in the ledger genesis: %+v", id, v)
		}
		if v := doc.Validators[i]; !v.PubKey.Equals(pub) || v.Name != id || v.Power != cometbft.DefaultValidatorPower {
			t.Fatalf("validator %d: %+v", i, v)
		}
		nk, err := p2p.LoadNodeKey(filepath.Join(o.dir, "cometbft", "config", "node_key.json"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(peers[i], string(nk.ID())+"@127.0.0.1:") {
			t.Fatalf("peer %d: %s", i, peers[i])
		}
	}

	// Another time is another network.
	out4 := filepath.Join(t.TempDir(), "genesis")
	runCLI(t, nil, "genesis", "assemble", "--cards", cardFiles(orgs), "--chain-id", "7", "--time", "2026-12-07T09:00:01Z", "--out", out4).want(t, 0)
	if bytes.Equal(readFile(t, filepath.Join(out4, "genesis.json")), readFile(t, filepath.Join(out1, "genesis.json"))) {
		t.Fatal("another genesis time gave the same genesis")
	}
	// Without --time the current second is taken and printed, so that
	// the others can repeat it.
	out5 := filepath.Join(t.TempDir(), "genesis")
	runCLI(t, nil, "genesis", "assemble", "--cards", cardFiles(orgs), "--chain-id", "7", "--out", out5).want(t, 0, "--chain-id 7 --time 20")
}

func TestGenesisAssembleRefusals(t *testing.T) {
	orgs := initOrgs(t, 26710, "acme", "beta", "gamma")
	acme := string(readFile(t, orgs[0].card))
	beta := string(readFile(t, orgs[1].card))
	edit := func(raw string, change func(c *orgCard)) string {
		c, err := parseCard([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		change(&c.orgCard)
		b, _ := json.Marshal(c.orgCard)
		return string(b)
	}
	// Another organisation's card under acme's id; acme's keys under
	// another id; a new organisation with its own keys at beta's address.
	sameID := edit(beta, func(c *orgCard) { c.Org = "acme" })
	sameKey := edit(acme, func(c *orgCard) {
		c.Org, c.NodeAddress, c.Peer = "zeta", common.HexToAddress("0x0A"), strings.Repeat("cd", 20)+"@10.0.0.9:26656"
	})
	sameAddr := edit(beta, func(c *orgCard) {
		c.Org, c.NodeAddress = "zeta", common.HexToAddress("0x0B")
		c.ValidatorPubKey = "qF3XfEPQ4dsVt5fQhCv8v4cDtEVxbT04s+PixWJlOzg="
		key, _ := base64.StdEncoding.DecodeString(c.ValidatorPubKey)
		c.ValidatorAddress = addressOfPub(key)
		c.Peer = strings.Repeat("cd", 20) + "@127.0.0.1:26711"
	})

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no cards", []string{"--chain-id", "7"}, "--cards: name every founding organisation's card file"},
		{"no chain id", []string{"--cards", orgs[0].card}, "--chain-id is required"},
		{"bad time", []string{"--cards", orgs[0].card, "--chain-id", "7", "--time", "tomorrow"}, `--time "tomorrow": want RFC 3339`},
		{"missing card", []string{"--cards", filepath.Join(t.TempDir(), "none.json"), "--chain-id", "7"}, "no such file"},
		{"empty card", []string{"--cards", writeTemp(t, "e.json", ""), "--chain-id", "7"}, "the file is empty"},
		{"bad card", []string{"--cards", writeTemp(t, "b.json", `{"org":"acme","extra":1}`), "--chain-id", "7"}, `b.json: bad organisation card: json: unknown field "extra"`},
		{"same card twice", []string{"--cards", orgs[0].card + "," + orgs[0].card, "--chain-id", "7"}, "organisations acme and acme have the same organisation id acme"},
		{"same org id", []string{"--cards", orgs[0].card + "," + writeTemp(t, "s.json", sameID), "--chain-id", "7"}, "have the same organisation id acme"},
		{"same validator key", []string{"--cards", orgs[0].card + "," + writeTemp(t, "k.json", sameKey), "--chain-id", "7"}, "organisations acme and zeta have the same validator key"},
		{"same p2p address", []string{"--cards", orgs[1].card + "," + writeTemp(t, "a.json", sameAddr), "--chain-id", "7"}, "organisations beta and zeta have the same P2P address 127.0.0.1:26711"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "genesis")
			runCLI(t, nil, append([]string{"genesis", "assemble", "--out", out}, tt.args...)...).wantErr(t, 1, tt.want)
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Fatalf("a refused assemble left %s", out)
			}
		})
	}
	notEmpty := t.TempDir()
	writeFileIn(t, notEmpty, "x", "x")
	runCLI(t, nil, "genesis", "assemble", "--cards", cardFiles(orgs), "--chain-id", "7", "--out", notEmpty).wantErr(t, 1, "is not empty")
}

// Install puts the genesis where the node reads it and wires the other
// nodes as peers; the node then starts on it as a validator of the
// network. A genesis that does not name the node, or a directory holding
// another, is refused.
func TestGenesisInstall(t *testing.T) {
	orgs := initOrgs(t, 26720, "acme", "beta", "gamma", "delta", "omega")
	founders := orgs[:4]
	gdir := filepath.Join(t.TempDir(), "genesis")
	// A genesis time in the past: CometBFT waits for a later one before
	// it starts.
	res := runCLI(t, nil, "genesis", "assemble", "--cards", cardFiles(founders), "--chain-id", "7", "--time", "2026-01-01T00:00:00Z", "--out", gdir)
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	beta := founders[1]
	install := func(dir string, extra ...string) cliResult {
		return runCLI(t, nil, append([]string{"genesis", "install", "--from", gdir, "--data-dir", dir}, extra...)...)
	}
	install(beta.dir).want(t, 0, "Installed the genesis of chain 7", "for organisation beta (3 peers)",
		"meshledger node --data-dir "+beta.dir+" --consensus cometbft --comet-home "+filepath.Join(beta.dir, "cometbft"))
	if !bytes.Equal(readFile(t, filepath.Join(beta.dir, "genesis.json")), readFile(t, filepath.Join(gdir, "genesis.json"))) ||
		!bytes.Equal(readFile(t, filepath.Join(beta.dir, "cometbft/config/genesis.json")), readFile(t, filepath.Join(gdir, "cometbft/config/genesis.json"))) {
		t.Fatal("installed genesis files differ from the assembled ones")
	}
	conf, err := cometbft.LoadConfig(filepath.Join(beta.dir, "cometbft"))
	if err != nil {
		t.Fatal(err)
	}
	allPeers := strings.Fields(string(readFile(t, filepath.Join(gdir, PeersFile))))
	want := slices.DeleteFunc(slices.Clone(allPeers), func(p string) bool { return strings.HasSuffix(p, ":26721") })
	if got := strings.Split(conf.P2P.PersistentPeers, ","); !slices.Equal(got, want) {
		t.Fatalf("persistent peers %v, want %v", got, want)
	}
	// Again: nothing changes.
	before := readFile(t, filepath.Join(beta.dir, "cometbft/config/config.toml"))
	install(beta.dir).want(t, 0, "for organisation beta (3 peers)")
	if !bytes.Equal(before, readFile(t, filepath.Join(beta.dir, "cometbft/config/config.toml"))) {
		t.Fatal("a second install changed config.toml")
	}

	// The node starts on what was installed: the ledger and CometBFT
	// genesis agree, and the network's validators are the four founders.
	url, stop := startCLINode(t, "node", "--data-dir", beta.dir, "--consensus", "cometbft", "--listen", "127.0.0.1:0",
		"--comet-metrics-namespace", metricsNamespace())
	c, err := client.New(url, client.WithKey(client.NewKey(mustKey(t, filepath.Join(beta.dir, "node.key")))))
	if err != nil {
		t.Fatal(err)
	}
	ch, err := c.Chain(context.Background())
	stop()
	if err != nil {
		t.Fatal(err)
	}
	if ch.Consensus != api.ConsensusCometBFT || len(ch.Validators) != 4 || !strings.Contains(res.stdout, ch.GenesisHash.Hex()) {
		t.Fatalf("chain %s, %d validators, genesis %s; assemble printed:\n%s", ch.Consensus, len(ch.Validators), ch.GenesisHash.Hex(), res.stdout)
	}

	// Refusals.
	omega := orgs[4]
	delta := founders[3]
	// delta's validator key replaced by omega's: its node key is named,
	// its validator key is not.
	copyFile(t, filepath.Join(omega.dir, "cometbft/config/priv_validator_key.json"), filepath.Join(delta.dir, "cometbft/config/priv_validator_key.json"))
	tests := []struct {
		name string
		dir  string
		args []string
		want string
	}{
		{"not a founder", omega.dir, nil, "is no organisation's node in the genesis"},
		{"not initialised", t.TempDir(), nil, "prepare the directory with 'meshledger init'"},
		{"validator key not in genesis", delta.dir, nil, "is not a validator in the genesis"},
		{"no genesis dir", beta.dir, []string{"--from", filepath.Join(t.TempDir(), "none")}, "--from: open"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"genesis", "install", "--from", gdir, "--data-dir", tt.dir}, tt.args...)
			runCLI(t, nil, args...).wantErr(t, 1, tt.want)
		})
	}
	// An organisation joining later installs the same genesis and dials
	// every founder.
	install(omega.dir, "--join").want(t, 0, "joining the network (4 peers)")

	// A founder's directory holding another network's genesis.
	gamma := founders[2]
	writeFileIn(t, gamma.dir, "genesis.json", `{"chain_id": 1}`)
	install(gamma.dir).wantErr(t, 1, "holds another genesis")
	if _, err := os.Stat(filepath.Join(gamma.dir, "cometbft/config/genesis.json")); !os.IsNotExist(err) {
		t.Fatal("a refused install wrote the CometBFT genesis")
	}
}

func writeFileIn(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	writeFileIn(t, filepath.Dir(to), filepath.Base(to), string(readFile(t, from)))
}
