package node_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/httpapi"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/api"
)

// startSlowBody opens a connection that sends a POST /v1/txs declaring a
// large body and sends only its first bytes.
func startSlowBody(t *testing.T, n *nodetest.Node, length int) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", n.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{\"type\":", api.PathTxs, length)
	return conn
}

func TestLargeBodiesAreBounded(t *testing.T) {
	cfg := node.Config{API: httpapi.Config{MaxLargeBodies: 1, SmallBodyBytes: 1024}}
	n := nodetest.Start(t, cfg)
	slow := startSlowBody(t, n, 100_000)
	// Until the slow body holds the only slot, a large body may still get
	// in; wait for the 429.
	big := `{"pad":"` + strings.Repeat("x", 4096) + `"}`
	deadline := time.Now().Add(5 * time.Second)
	var r nodetest.Response
	for {
		r = n.HTTP(http.MethodPost, api.PathTxs, []byte(big))
		if r.Status == http.StatusTooManyRequests || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" || !strings.Contains(string(r.Body), string(api.CodeTooManyRequests)) {
		t.Fatalf("second large body: %d %s (Retry-After %q)", r.Status, r.Body, r.Header.Get("Retry-After"))
	}
	// A small body does not need a slot: it is read and judged (400 here).
	if r := n.HTTP(http.MethodPost, api.PathTxs, []byte(`{}`)); r.Status != http.StatusBadRequest {
		t.Fatalf("small body: %d %s", r.Status, r.Body)
	}
	// Once the slow body ends, the slot is free again.
	slow.Close()
	deadline = time.Now().Add(5 * time.Second)
	for {
		r = n.HTTP(http.MethodPost, api.PathTxs, []byte(big))
		if r.Status != http.StatusTooManyRequests || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if r.Status != http.StatusBadRequest {
		t.Fatalf("after the slow body: %d %s", r.Status, r.Body)
	}
}

func TestReadTimeoutCutsSlowBodies(t *testing.T) {
	cfg := node.Config{ReadTimeout: 300 * time.Millisecond, API: httpapi.Config{Heartbeat: 50 * time.Millisecond}}
	n := nodetest.Start(t, cfg)

	// An event stream lives on past the read timeout.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, n.URL()+api.PathEvents, nil)
	req.Header.Set("Authorization", nodetest.Session(t, n, n.Key()))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	opened := time.Now()
	pings := make(chan time.Time, 1024)
	go func() {
		defer close(pings)
		br := bufio.NewReader(resp.Body)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			if strings.HasPrefix(line, ": ping") {
				pings <- time.Now()
			}
		}
	}()

	slow := startSlowBody(t, n, 100_000)
	start := time.Now()
	_ = slow.SetReadDeadline(time.Now().Add(10 * time.Second))
	rest, _ := io.ReadAll(slow) // the server answers or closes once the timeout passes
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("slow body held the connection %v", took)
	}
	if len(rest) > 0 && !strings.HasPrefix(string(rest), "HTTP/1.1 4") {
		t.Fatalf("slow body answer: %.100s", rest)
	}

	// The stream still delivers heartbeats well after ReadTimeout.
	after := opened.Add(2 * cfg.ReadTimeout)
	timeout := time.After(5 * time.Second)
	for {
		select {
		case at, ok := <-pings:
			if !ok {
				t.Fatalf("stream ended %v after it opened", time.Since(opened))
			}
			if at.After(after) {
				return
			}
		case <-timeout:
			t.Fatal("no heartbeat after the read timeout")
		}
	}
}
