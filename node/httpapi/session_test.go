package httpapi_test

import (
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/labstack/echo/v4"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/httpapi"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/api"
)

// rawSession signs s for chainID by hand, without SignSession's checks, so
// that tests can send sessions SignSession refuses to make. highS sends
// the malleable twin of the signature (n - s, v flipped), which recovers
// to the same key.
func rawSession(t *testing.T, key *ecdsa.PrivateKey, chainID uint64, s tx.ReadSession, highS bool) string {
	t.Helper()
	d := s.Digest(chainID)
	sig, err := crypto.Sign(d[:], key)
	if err != nil {
		t.Fatal(err)
	}
	if highS {
		n := crypto.S256().Params().N
		sv := new(big.Int).Sub(n, new(big.Int).SetBytes(sig[32:64]))
		sv.FillBytes(sig[32:64])
		sig[64] ^= 1
	}
	sig[64] += 27
	return fmt.Sprintf("%s 0x%x.%d.%d.0x%x", tx.SessionScheme, s.Reader[:], s.IssuedMs, s.ExpiresMs, sig)
}

func wantChallenge(t *testing.T, r nodetest.Response, code api.Code) {
	t.Helper()
	wantError(t, r, http.StatusUnauthorized, code)
	if got := r.Header.Get(api.HeaderWWWAuthenticate); got != api.SessionScheme {
		t.Fatalf("WWW-Authenticate = %q, want %q", got, api.SessionScheme)
	}
}

// TestSessionRefusals sends each kind of bad session to a read route and
// checks the 401 code, and that a good session of a non-member is 403.
func TestSessionRefusals(t *testing.T) {
	n := open(t, nil)
	id := n.ChainID()
	member := n.NewMember()
	now := time.Now()
	ms := func(t time.Time) uint64 { return uint64(t.UnixMilli()) }
	valid := tx.ReadSession{Reader: member.Addr, IssuedMs: ms(now), ExpiresMs: ms(now.Add(time.Hour))}
	outsider := nodetest.NewAccount(t)
	good := rawSession(t, member.Key, id, valid, false)
	tests := []struct {
		name   string
		header string
		code   api.Code
	}{
		{"none", "", api.CodeUnauthenticated},
		{"other scheme", "Bearer abc", api.CodeSessionMalformed},
		{"garbage", tx.SessionScheme + " garbage", api.CodeSessionMalformed},
		{"truncated", good[:len(good)-2], api.CodeSessionMalformed},
		{"expired", sessionHeader(t, member.Key, id, now.Add(-2*time.Hour), time.Hour), api.CodeSessionExpired},
		{"not yet valid", sessionHeader(t, member.Key, id, now.Add(5*time.Minute), time.Hour), api.CodeSessionNotYetValid},
		{"too long", rawSession(t, member.Key, id, tx.ReadSession{Reader: member.Addr, IssuedMs: ms(now), ExpiresMs: ms(now.Add(25 * time.Hour))}, false), api.CodeSessionTooLong},
		{"wrong chain", rawSession(t, member.Key, id+1, valid, false), api.CodeSessionBadSignature},
		{"high s", rawSession(t, member.Key, id, valid, true), api.CodeSessionBadSignature},
		{"signed by another key", rawSession(t, outsider.Key, id, valid, false), api.CodeSessionBadSignature},
		{"tampered expiry", strings.Replace(good, fmt.Sprintf(".%d.", valid.ExpiresMs), fmt.Sprintf(".%d.", valid.ExpiresMs+1), 1), api.CodeSessionBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var headers []string
			if tt.header != "" {
				headers = []string{api.HeaderAuthorization, tt.header}
			}
			wantChallenge(t, n.Anon(http.MethodGet, api.PathBlocks+"latest", nil, headers...), tt.code)
		})
	}

	t.Run("non-member", func(t *testing.T) {
		h := sessionHeader(t, outsider.Key, id, now, time.Hour)
		r := n.Anon(http.MethodGet, api.PathBlocks+"latest", nil, api.HeaderAuthorization, h)
		wantError(t, r, http.StatusForbidden, api.CodeNotAMember)
	})
	t.Run("member", func(t *testing.T) {
		if r := n.Anon(http.MethodGet, api.PathBlocks+"latest", nil, api.HeaderAuthorization, good); r.Status != http.StatusOK {
			t.Fatalf("valid session: %d %s", r.Status, r.Body)
		}
	})
}

// TestAnonymousRoutes checks that exactly the anonymous routes answer
// without a session, and that every other route refuses with 401
// unauthenticated before it reads anything (even its parameters).
func TestAnonymousRoutes(t *testing.T) {
	n := open(t, nil)
	anonymous := map[string]bool{
		"GET " + api.PathChain: true, "GET " + api.PathHealth: true, "GET " + api.PathOpenAPI: true,
		"GET " + api.PathMetrics: true, "POST " + api.PathTxs: true, "POST " + api.PathTxsBatch: true,
	}
	for _, rt := range n.API().Echo().Routes() {
		path := strings.NewReplacer(":address", "0x0000000000000000000000000000000000000001", ":key", "policy",
			":hash", common.Hash{}.Hex(), ":height", "0", ":id", "1").Replace(rt.Path)
		r := n.Anon(rt.Method, path, nil)
		if anonymous[rt.Method+" "+rt.Path] {
			if r.Status == http.StatusUnauthorized {
				t.Errorf("%s %s is anonymous but answered %d %s", rt.Method, rt.Path, r.Status, r.Body)
			}
			continue
		}
		if r.Status != http.StatusUnauthorized || !strings.Contains(string(r.Body), string(api.CodeUnauthenticated)) {
			t.Errorf("%s %s without a session: %d %s, want 401 unauthenticated", rt.Method, rt.Path, r.Status, r.Body)
		}
	}
	for _, p := range []string{api.PathChain, api.PathHealth, api.PathOpenAPI, api.PathMetrics} {
		if r := n.Anon(http.MethodGet, p, nil); r.Status != http.StatusOK {
			t.Errorf("GET %s anonymously: %d %s", p, r.Status, r.Body)
		}
	}
	var chain api.Chain
	n.Anon(http.MethodGet, api.PathChain, nil).JSON(t, &chain)
	if chain.SessionType != api.SessionType || !strings.Contains(string(chain.Types), `"ReadSession"`) {
		t.Fatalf("chain: sessionType %q, types %s", chain.SessionType, chain.Types)
	}
}

// TestSubmitRefusesOutsiders: a signed transaction needs no session, but
// admission refuses senders outside every organisation.
func TestSubmitRefusesOutsiders(t *testing.T) {
	n := open(t, nil)
	outsider := nodetest.NewAccount(t)
	r := n.Anon(http.MethodPost, api.PathTxs, encode(t, call(t, outsider, n.ChainID(), 0, 1000)))
	wantError(t, r, http.StatusForbidden, api.CodeNotAMember)
	var items []api.BatchItem
	n.Anon(http.MethodPost, api.PathTxsBatch, "["+string(encode(t, call(t, outsider, n.ChainID(), 0, 1000)))+"]").JSON(t, &items)
	if len(items) != 1 || items[0].HTTPStatus != http.StatusForbidden || items[0].Error == nil || items[0].Error.Code != api.CodeNotAMember {
		t.Fatalf("batch item: %+v", items)
	}
	// A member's transaction is admitted without a session, and waiting
	// for it returns the receipt to its submitter.
	m := n.NewMember()
	if r := n.Anon(http.MethodPost, api.PathTxs, encode(t, call(t, m, n.ChainID(), 0, 1000))); r.Status != http.StatusAccepted {
		t.Fatalf("member's tx: %d %s", r.Status, r.Body)
	}
}

// TestSessionCache: a session is verified once per node; later requests
// with the same header do no signature recovery.
func TestSessionCache(t *testing.T) {
	var verified atomic.Int32
	n := open(t, func(c *node.Config) {
		c.API.SessionVerifier = func(s *tx.SignedSession, chainID, nowMs uint64) (common.Address, error) {
			verified.Add(1)
			return s.Verify(chainID, nowMs)
		}
	})
	for range 5 {
		if r := n.Do(http.MethodGet, api.PathBlocks+"latest", nil); r.Status != http.StatusOK {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	}
	if got := verified.Load(); got != 1 {
		t.Fatalf("%d verifications for 5 requests with one session, want 1", got)
	}
	metrics := string(n.Anon(http.MethodGet, api.PathMetrics, nil).Body)
	for _, want := range []string{`meshledger_http_session_checks_total{how="cached"} 4`, `meshledger_http_session_checks_total{how="verified"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// A refused session is not kept: each try costs a verification.
	bad := sessionHeader(t, n.NewMember().Key, n.ChainID()+1, time.Now(), time.Hour)
	for range 2 {
		wantChallenge(t, n.Do(http.MethodGet, api.PathBlocks+"latest", nil, api.HeaderAuthorization, bad), api.CodeSessionBadSignature)
	}
	if got := verified.Load(); got != 3 {
		t.Fatalf("%d verifications after two refused sessions, want 3", got)
	}
}

// TestSessionCacheExpiry: a cached session is refused once it expires,
// without another verification, and a member removed since is refused
// although its session is cached (the member record is read per request).
func TestSessionCacheExpiry(t *testing.T) {
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	reader := crypto.PubkeyToAddress(key.PublicKey)
	now := time.UnixMilli(1_700_000_000_000)
	clock := func() time.Time { return now }
	var verified int
	member := true
	mw := httpapi.SessionAuthWithConfig(httpapi.SessionAuthConfig{
		ChainID: 7,
		Now:     clock,
		Verify: func(s *tx.SignedSession, chainID, nowMs uint64) (common.Address, error) {
			verified++
			return s.Verify(chainID, nowMs)
		},
		Viewer: func(a common.Address) (*ledger.Viewer, error) {
			if !member {
				return &ledger.Viewer{Address: a}, nil
			}
			return &ledger.Viewer{Address: a, Member: &registry.Member{Address: a, Org: "x"}}, nil
		},
	})
	s, err := tx.SignSession(tx.ReadSession{Reader: reader, IssuedMs: uint64(now.UnixMilli()), ExpiresMs: uint64(now.Add(time.Minute).UnixMilli())}, 7, key)
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		status, body, _ := httpapi.Classify(err)
		_ = c.JSON(status, api.ErrorResponse{Error: body})
	}
	var seen common.Address
	e.GET("/", mw(func(c echo.Context) error {
		seen = reader
		return c.NoContent(http.StatusNoContent)
	}))
	do := func() (int, string) {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set(api.HeaderAuthorization, s.Header())
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	if code, body := do(); code != http.StatusNoContent || seen != reader {
		t.Fatalf("first: %d %s", code, body)
	}
	now = now.Add(59 * time.Second)
	if code, body := do(); code != http.StatusNoContent {
		t.Fatalf("cached, before expiry: %d %s", code, body)
	}
	member = false
	if code, body := do(); code != http.StatusForbidden || !strings.Contains(body, string(api.CodeNotAMember)) {
		t.Fatalf("removed member: %d %s", code, body)
	}
	member = true
	now = now.Add(time.Second)
	if code, body := do(); code != http.StatusUnauthorized || !strings.Contains(body, string(api.CodeSessionExpired)) {
		t.Fatalf("cached, at expiry: %d %s", code, body)
	}
	if verified != 1 {
		t.Fatalf("%d verifications, want 1", verified)
	}
}

// TestOpenAPIDocumentsSessions: session routes document the scheme and
// their 401 and 403; anonymous routes neither.
func TestOpenAPIDocumentsSessions(t *testing.T) {
	n := open(t, nil)
	var doc struct {
		Paths      map[string]map[string]map[string]any `json:"paths"`
		Components struct {
			SecuritySchemes map[string]map[string]any `json:"securitySchemes"`
		} `json:"components"`
	}
	n.Anon(http.MethodGet, api.PathOpenAPI, nil).JSON(t, &doc)
	if s := doc.Components.SecuritySchemes["meshSession"]; s["name"] != api.HeaderAuthorization || s["in"] != "header" {
		t.Fatalf("security scheme: %+v", doc.Components.SecuritySchemes)
	}
	for _, tc := range []struct {
		path, method string
		session      bool
	}{
		{"/v1/contracts/{address}/state/{key}", "get", true},
		{"/v1/orgs", "get", true},
		{"/v1/events", "get", true},
		{"/v1/chain", "get", false},
		{"/v1/txs", "post", false},
	} {
		op := doc.Paths[tc.path][tc.method]
		responses, _ := op["responses"].(map[string]any)
		_, has401 := responses["401"]
		_, has403 := responses["403"]
		_, secured := op["security"]
		if tc.session && (!has401 || !has403 || !secured) || !tc.session && secured {
			t.Errorf("%s %s: security %v, 401 %v, 403 %v", tc.method, tc.path, secured, has401, has403)
		}
	}
}
