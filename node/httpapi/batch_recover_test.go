package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/meshledger/meshledger/sdk/api"
)

// A batch's senders are recovered in parallel before its items are
// admitted in order: a forged item among good ones is refused with its
// own code, and the sender's next nonce after it is still admitted.
func TestBatchRefusesForgedItemAmongGoodOnes(t *testing.T) {
	n := open(t, nil)
	id := n.ChainID()
	a, other := n.NewMember(), n.NewMember()
	forged := mutateJSON(t, call(t, a, id, 1, 1000), func(m map[string]any) {
		m["signature"] = encodeSig(t, call(t, other, id, 1, 1000))
	})
	batch := "[" + string(encode(t, call(t, a, id, 0, 1000))) + "," + string(forged) + "," +
		string(encode(t, call(t, a, id, 1, 1000))) + "," + string(encode(t, call(t, a, id, 2, 1000))) + "]"
	var items []api.BatchItem
	r := n.Do(http.MethodPost, api.PathTxsBatch, batch)
	r.JSON(t, &items)
	if r.Status != http.StatusOK || len(items) != 4 {
		t.Fatalf("batch: %d %s", r.Status, r.Body)
	}
	want := []struct {
		status int
		code   api.Code
	}{{202, ""}, {401, api.CodeSenderMismatch}, {202, ""}, {202, ""}}
	for i, w := range want {
		code := api.Code("")
		if items[i].Error != nil {
			code = items[i].Error.Code
		}
		if items[i].HTTPStatus != w.status || code != w.code {
			t.Errorf("item %d = %+v, want %d %s", i, items[i], w.status, w.code)
		}
	}
}
