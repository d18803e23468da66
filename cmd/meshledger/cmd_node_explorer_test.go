package main

import (
	"bytes"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshledger/meshledger/node/nodetest"
)

// TestNextStepsPrintExplorer checks that a started node names the
// explorer's URL, which the node serves, and the key to sign in with.
func TestNextStepsPrintExplorer(t *testing.T) {
	cfg := nodetest.Config(t.TempDir())
	n := nodetest.Start(t, cfg)
	var out bytes.Buffer
	printNextSteps(&out, n.Node, cfg)
	want := "explorer: " + n.URL() + "/ (sign in with the key in " + filepath.Join(cfg.DataDir, "node.key")
	if !strings.Contains(out.String(), want) {
		t.Fatalf("next steps lack %q:\n%s", want, out.String())
	}
	res, err := http.Get(n.URL() + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET the printed URL: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
}
