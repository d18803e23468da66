package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/httpapi"
	"github.com/meshledger/meshledger/sdk/api"
)

// TestRefusalsCounted checks that transactions refused before admission
// (malformed, oversized) are counted like those admission refuses, by the
// code the client sees, on both submission routes.
func TestRefusalsCounted(t *testing.T) {
	n := start(t, node.Config{API: httpapi.Config{MaxBodyBytes: 4 << 10}})
	id := n.ChainID()
	a := n.NewMember()
	tests := []struct {
		name   string
		path   string
		body   any
		status int
		reason api.Code
	}{
		{"malformed", api.PathTxs, `{"type":"call"}`, http.StatusBadRequest, api.CodeMalformedTx},
		{"not json", api.PathTxs, `nope`, http.StatusBadRequest, api.CodeMalformedTx},
		{"oversized", api.PathTxs, `{"type":"call","x":"` + strings.Repeat("a", 5<<10) + `"}`, http.StatusRequestEntityTooLarge, api.CodeTooLarge},
		{"wrong chain", api.PathTxs, encode(t, call(t, a, id+1, 0, 1000)), http.StatusForbidden, api.CodeWrongChain},
		{"malformed in batch", api.PathTxsBatch, `[{"type":"call"}]`, http.StatusOK, api.CodeMalformedTx},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := rejected(t, n.Registry(), tt.reason)
			r := n.HTTP(http.MethodPost, tt.path, tt.body)
			if r.Status != tt.status {
				t.Fatalf("status %d %s, want %d", r.Status, r.Body, tt.status)
			}
			if got := rejected(t, n.Registry(), tt.reason); got != before+1 {
				t.Fatalf("rejected{admission,%s} = %v, want %v", tt.reason, got, before+1)
			}
		})
	}
	// An admitted transaction is not a refusal.
	total := rejectedTotal(t, n.Registry())
	if r := n.HTTP(http.MethodPost, api.PathTxs, encode(t, call(t, a, id, 0, 1000))); r.Status != http.StatusAccepted {
		t.Fatalf("good tx: %d %s", r.Status, r.Body)
	}
	if got := rejectedTotal(t, n.Registry()); got != total {
		t.Fatalf("admission counted as refusal: %v → %v", total, got)
	}
}

// rejected reads meshledger_txs_rejected_total{stage="admission",reason}.
func rejected(t *testing.T, reg *prometheus.Registry, reason api.Code) float64 {
	t.Helper()
	var v float64
	eachRejected(t, reg, func(stage, r string, x float64) {
		if stage == "admission" && r == string(reason) {
			v = x
		}
	})
	return v
}

func rejectedTotal(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	var v float64
	eachRejected(t, reg, func(_, _ string, x float64) { v += x })
	return v
}

func eachRejected(t *testing.T, reg *prometheus.Registry, f func(stage, reason string, v float64)) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "meshledger_txs_rejected_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			var stage, reason string
			for _, lp := range m.GetLabel() {
				switch lp.GetName() {
				case "stage":
					stage = lp.GetValue()
				case "reason":
					reason = lp.GetValue()
				}
			}
			f(stage, reason, m.GetCounter().GetValue())
		}
	}
}
