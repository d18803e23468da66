package nodetest_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/meshledger/meshledger/node/nodetest"
)

func TestTamperProxyRewritesOnlyWhatItIsTold(t *testing.T) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "value of "+r.URL.Path)
	}))
	defer origin.Close()
	proxy := nodetest.TamperProxy(t, origin.URL, func(r *http.Request, _ int, body []byte) []byte {
		if r.URL.Path == "/lie" {
			return []byte(strings.ReplaceAll(string(body), "value", "forged"))
		}
		return body
	})
	for path, want := range map[string]string{"/truth": "value of /truth", "/lie": "forged of /lie"} {
		resp, err := http.Get(proxy + path)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(got) != want {
			t.Errorf("%s: got %q, want %q", path, got, want)
		}
	}
}
