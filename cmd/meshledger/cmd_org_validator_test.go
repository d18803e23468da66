package main

import (
	"context"
	"encoding/base64"
	"path/filepath"
	"testing"
	"time"

	"github.com/meshledger/meshledger/sdk/client"
)

// On a one-organisation network assembled from its card, a second
// organisation and its validator are added by proposals, and the
// validator removed again: the validator set the node reports grows to
// two and shrinks to one. org2's validator has so little power that org1
// alone still commits.
func TestOrgProposeValidator(t *testing.T) {
	orgs := initOrgs(t, 26740, "org1", "org2")
	founder, joining := orgs[0], orgs[1]
	gdir := filepath.Join(t.TempDir(), "genesis")
	runCLI(t, nil, "genesis", "assemble", "--cards", founder.card, "--chain-id", "5", "--time", "2026-01-01T00:00:00Z", "--out", gdir).want(t, 0)
	runCLI(t, nil, "genesis", "install", "--from", gdir, "--data-dir", founder.dir).want(t, 0)
	url, stop := startCLINode(t, "node", "--data-dir", founder.dir, "--consensus", "cometbft",
		"--listen", "127.0.0.1:0", "--comet-metrics-namespace", metricsNamespace())
	defer stop()
	card, err := parseCard(readFile(t, joining.card))
	if err != nil {
		t.Fatal(err)
	}
	as := func(dir string, args ...string) cliResult {
		return runCLI(t, nil, append([]string{"--node", url, "--key", filepath.Join(dir, "node.key")}, args...)...)
	}
	as(founder.dir, "org", "propose-add", "org2", "--name", "Two", "--admin", card.NodeAddress.Hex(), "--node-address", card.NodeAddress.Hex()).want(t, 0, "executed")
	// Two organisations now: org2's admin (its node key) approves too.
	as(founder.dir, "org", "propose-validator", "org2", "--card", joining.card, "--power", "1").want(t, 0, "proposal 2 (setValidator) is open")
	as(joining.dir, "proposal", "approve", "2").want(t, 0, "executed")
	c, err := client.New(url, client.WithKey(client.NewKey(mustKey(t, filepath.Join(founder.dir, "node.key")))))
	if err != nil {
		t.Fatal(err)
	}
	waitValidators(t, c, 2)

	as(founder.dir, "org", "propose-validator", "org2", "--pubkey", card.ValidatorPubKey, "--power", "0").want(t, 0, "proposal 3 (setValidator) is open")
	as(joining.dir, "proposal", "approve", "3").want(t, 0, "executed")
	waitValidators(t, c, 1)
}

// waitValidators waits until the node reports n validators: a new set
// takes effect two heights after the block that changed it.
func waitValidators(t *testing.T, c *client.Client, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ch, err := c.Chain(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(ch.Validators) == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("validators %+v, want %d", ch.Validators, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestOrgProposeValidatorBadArgs(t *testing.T) {
	orgs := initOrgs(t, 26750, "acme")
	key := base64.StdEncoding.EncodeToString(make([]byte, 32))
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"acme"}, "give the validator's key with --card or --pubkey (one of them)"},
		{[]string{"acme", "--card", orgs[0].card, "--pubkey", key}, "(one of them)"},
		{[]string{"acme", "--pubkey", "AAAA"}, "--pubkey: want a base64 32-byte ed25519 key"},
		{[]string{"beta", "--card", orgs[0].card}, "is organisation acme's, not beta's"},
		{[]string{"acme", "--card", writeTemp(t, "c.json", "{}")}, "bad organisation card"},
		{[]string{"acme", "--pubkey", key, "--power", "-1"}, "--power -1"},
	}
	for _, tt := range tests {
		runCLI(t, nil, append([]string{"org", "propose-validator"}, tt.args...)...).wantErr(t, 1, tt.want)
	}
}
