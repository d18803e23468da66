package tx

import (
	"errors"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/math"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"
)

// sessionNow is the clock of these tests: 2026-01-01T00:00:00Z.
const sessionNow = 1767225600000

func sampleSession(t testing.TB) ReadSession {
	return ReadSession{Reader: addrOf(testKey(t)), IssuedMs: sessionNow - 1000, ExpiresMs: sessionNow + 3600_000}
}

func signedSession(t testing.TB, s ReadSession) *SignedSession {
	t.Helper()
	ss, err := SignSession(s, testChainID, testKey(t))
	if err != nil {
		t.Fatal(err)
	}
	return ss
}

// wantSessionErr checks the sentinel and that the message says reason.
func wantSessionErr(t *testing.T, err, sentinel error, reason string) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("error = %v, want %v", err, sentinel)
	}
	var se *SessionError
	if !errors.As(err, &se) {
		t.Fatalf("error %v is not a *SessionError", err)
	}
	if !strings.Contains(err.Error(), reason) {
		t.Fatalf("error %q does not say %q", err, reason)
	}
	if SessionErrorCode(err) != sentinel.Error() {
		t.Fatalf("SessionErrorCode = %q, want %q", SessionErrorCode(err), sentinel)
	}
}

func TestSessionRoundTrip(t *testing.T) {
	s := sampleSession(t)
	ss := signedSession(t, s)
	h := ss.Header()
	want := "MeshSession 0x" + strings.ToLower(s.Reader.Hex()[2:]) + ".1767225599000.1767229200000.0x"
	if !strings.HasPrefix(h, want) || len(h) != len(want)+130 {
		t.Fatalf("header %q", h)
	}
	got, err := ParseSession(h)
	if err != nil {
		t.Fatal(err)
	}
	if *got != *ss {
		t.Fatalf("parsed %+v, want %+v", got, ss)
	}
	reader, err := got.Verify(testChainID, sessionNow)
	if err != nil || reader != s.Reader {
		t.Fatalf("verify: %s %v", reader, err)
	}
	if got.Header() != h {
		t.Fatal("header not stable")
	}
}

func TestSessionDigestMatchesGoEthereum(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	spec := TypedData(testChainID)
	types := apitypes.Types{}
	for _, name := range []string{domainTypeName, SessionPrimaryType} {
		for _, f := range spec.Types[name] {
			types[name] = append(types[name], apitypes.Type{Name: f.Name, Type: f.Type})
		}
	}
	for i := 0; i < 200; i++ {
		var s ReadSession
		for j := range s.Reader {
			s.Reader[j] = byte(r.UintN(256))
		}
		s.IssuedMs, s.ExpiresMs = r.Uint64()>>r.UintN(64), r.Uint64()>>r.UintN(64)
		chainID := []uint64{0, 1, 1337, ^uint64(0)}[i%4]
		td := apitypes.TypedData{
			Types:       types,
			PrimaryType: SessionPrimaryType,
			Domain: apitypes.TypedDataDomain{
				Name: DomainName, Version: DomainVersion,
				ChainId: (*math.HexOrDecimal256)(new(big.Int).SetUint64(chainID)),
			},
			Message: apitypes.TypedDataMessage{
				"reader":    s.Reader.Hex(),
				"issuedMs":  new(big.Int).SetUint64(s.IssuedMs),
				"expiresMs": new(big.Int).SetUint64(s.ExpiresMs),
			},
		}
		want, _, err := apitypes.TypedDataAndHash(td)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Digest(chainID); got != common.BytesToHash(want) {
			t.Fatalf("session %d: digest %s, go-ethereum %x", i, got, want)
		}
	}
	if got := encodeType(SessionPrimaryType, sessionFields); got != "ReadSession(address reader,uint64 issuedMs,uint64 expiresMs)" {
		t.Fatalf("type string %s", got)
	}
	if _, listed := spec.PrimaryTypes["session"]; listed || len(spec.PrimaryTypes) != len(Standard().Types()) {
		t.Fatal("PrimaryTypes must list transaction types only")
	}
}

func TestParseSessionAccepts(t *testing.T) {
	ss := signedSession(t, sampleSession(t))
	h := ss.Header()
	dot := strings.LastIndexByte(h, '.')
	v0 := h[:len(h)-2] + map[string]string{"1b": "00", "1c": "01"}[h[len(h)-2:]]
	reader := strings.ToLower(ss.Session.Reader.Hex()[2:])
	tests := map[string]string{
		"v as 0/1":         v0,
		"EIP-55 reader":    strings.Replace(h, reader, ss.Session.Reader.Hex()[2:], 1),
		"upper-case hex":   strings.Replace(h, reader, strings.ToUpper(reader), 1),
		"upper-case sig":   h[:dot+3] + strings.ToUpper(h[dot+3:]),
		"zero issued time": "",
	}
	for name, header := range tests {
		t.Run(name, func(t *testing.T) {
			if name == "zero issued time" {
				z := ss.Session
				z.IssuedMs, z.ExpiresMs = 0, 1
				header = signedSession(t, z).Header()
				if !strings.Contains(header, ".0.1.0x") {
					t.Fatalf("header %s", header)
				}
				if _, err := ParseSession(header); err != nil {
					t.Fatal(err)
				}
				return
			}
			got, err := ParseSession(header)
			if err != nil {
				t.Fatalf("%v\n%s", err, header)
			}
			if *got != *ss {
				t.Fatal("parsed another session")
			}
		})
	}
}

func TestParseSessionErrors(t *testing.T) {
	ss := signedSession(t, sampleSession(t))
	h := ss.Header()
	rest := strings.TrimPrefix(h, SessionScheme+" ")
	parts := strings.Split(rest, ".")
	join := func(p0, p1, p2, p3 string) string {
		return SessionScheme + " " + strings.Join([]string{p0, p1, p2, p3}, ".")
	}
	badV := parts[3][:len(parts[3])-2] + "05"
	mixed := "0x2C7536E3605D9C16a7a3D7b1898e529396a65c24" // mixed case, wrong checksum
	tests := []struct{ name, header, reason string }{
		{"empty", "", "want \"MeshSession\""},
		{"too long", h + strings.Repeat("0", MaxSessionHeaderBytes), "longer than 256"},
		{"other scheme", "Bearer " + rest, "want \"MeshSession\""},
		{"lower-case scheme", "meshsession " + rest, "want \"MeshSession\""},
		{"no space", SessionScheme + rest, "want \"MeshSession\""},
		{"two spaces", SessionScheme + "  " + rest, "reader"},
		{"tab", SessionScheme + "\t" + rest, "want \"MeshSession\""},
		{"trailing space", h + " ", "signature"},
		{"leading space", " " + h, "want \"MeshSession\""},
		{"three parts", SessionScheme + " " + strings.Join(parts[:3], "."), "got 3 dot-separated parts"},
		{"five parts", h + ".1", "got 5 dot-separated parts"},
		{"reader without 0x", join(parts[0][2:], parts[1], parts[2], parts[3]), "reader"},
		{"short reader", join(parts[0][:40], parts[1], parts[2], parts[3]), "reader"},
		{"reader bad checksum", join(mixed, parts[1], parts[2], parts[3]), "reader: bad EIP-55 checksum"},
		{"issued empty", join(parts[0], "", parts[2], parts[3]), "issuedMs: empty"},
		{"issued leading zero", join(parts[0], "0"+parts[1], parts[2], parts[3]), "issuedMs: leading zero"},
		{"issued signed", join(parts[0], "+"+parts[1], parts[2], parts[3]), "issuedMs: not a decimal"},
		{"issued negative", join(parts[0], "-1", parts[2], parts[3]), "issuedMs: not a decimal"},
		{"issued hex", join(parts[0], "0x10", parts[2], parts[3]), "issuedMs: not a decimal"},
		{"issued fraction", join(parts[0], "1.5", parts[2], parts[3]), "dot-separated parts"},
		{"expires overflows", join(parts[0], parts[1], "18446744073709551616", parts[3]), "expiresMs: overflows"},
		{"expires with space", join(parts[0], parts[1], parts[2]+" ", parts[3]), "expiresMs: not a decimal"},
		{"expires before issued", join(parts[0], parts[2], parts[1], parts[3]), "is not after issuedMs"},
		{"expires equals issued", join(parts[0], parts[1], parts[1], parts[3]), "is not after issuedMs"},
		{"signature without 0x", join(parts[0], parts[1], parts[2], parts[3][2:]), "signature: want 0x"},
		{"short signature", join(parts[0], parts[1], parts[2], parts[3][:128]), "signature: want 65 bytes"},
		{"signature bad hex", join(parts[0], parts[1], parts[2], parts[3][:10]+"zz"+parts[3][12:]), "signature: bad hex"},
		{"signature bad v", join(parts[0], parts[1], parts[2], badV), "v must be 27, 28, 0 or 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSession(tc.header)
			wantSessionErr(t, err, ErrSessionMalformed, tc.reason)
		})
	}
}

func TestVerifySessionErrors(t *testing.T) {
	n := new(big.Int).SetBytes(secp256k1N)
	sign := func(s ReadSession) *SignedSession { return signedSession(t, s) }
	at := func(issued, expires uint64) ReadSession {
		s := sampleSession(t)
		s.IssuedMs, s.ExpiresMs = issued, expires
		return s
	}
	// Sessions SignSession refuses to make, built by hand.
	unsigned := func(s ReadSession) *SignedSession {
		d := s.Digest(testChainID)
		raw, err := crypto.Sign(d[:], testKey(t))
		if err != nil {
			t.Fatal(err)
		}
		sig, _ := ParseSignature(raw)
		return &SignedSession{Session: s, Signature: sig}
	}
	highS := sign(sampleSession(t))
	sv := new(big.Int).SetBytes(highS.Signature[32:64])
	new(big.Int).Sub(n, sv).FillBytes(highS.Signature[32:64])
	highS.Signature[64] = 27 + 28 - highS.Signature[64] // the malleated twin: valid ECDSA, high s
	zeroR := sign(sampleSession(t))
	clear(zeroR.Signature[0:32])
	otherSigner := unsigned(sampleSession(t))
	{
		d := otherSigner.Session.Digest(testChainID)
		raw, _ := crypto.Sign(d[:], otherKey(t))
		otherSigner.Signature, _ = ParseSignature(raw)
	}
	otherChain, err := SignSession(sampleSession(t), testChainID+1, testKey(t))
	if err != nil {
		t.Fatal(err)
	}
	const day = MaxSessionLifetimeMs
	tests := []struct {
		name     string
		s        *SignedSession
		now      uint64
		sentinel error
		reason   string
	}{
		{"nil", nil, sessionNow, ErrSessionMalformed, "no session"},
		{"expires before issued", unsigned(at(sessionNow, sessionNow-1)), sessionNow, ErrSessionMalformed, "is not after issuedMs"},
		{"too long", unsigned(at(sessionNow, sessionNow+day+1)), sessionNow, ErrSessionTooLong, "lifetime 24h0m0.001s exceeds the maximum of 24h0m0s"},
		{"far too long", unsigned(at(0, ^uint64(0))), sessionNow, ErrSessionTooLong, "exceeds the maximum"},
		{"expired", sign(at(sessionNow-3600_000, sessionNow-180_000)), sessionNow, ErrSessionExpired, "expired 3m0s ago"},
		{"expires now", sign(at(sessionNow-1000, sessionNow)), sessionNow, ErrSessionExpired, "expired 0s ago"},
		{"not yet valid", sign(at(sessionNow+MaxSessionSkewMs+1, sessionNow+3600_000)), sessionNow, ErrSessionNotYetValid, "issued 30.001s in the future"},
		{"far future", sign(at(^uint64(0)-1, ^uint64(0))), sessionNow, ErrSessionNotYetValid, "in the future"},
		{"wrong chain", otherChain, sessionNow, ErrSessionBadSignature, "not the reader's for chain 1337"},
		{"other signer", otherSigner, sessionNow, ErrSessionBadSignature, "recovers to " + addrOf(otherKey(t)).Hex()},
		{"high s", highS, sessionNow, ErrSessionBadSignature, "not low"},
		{"zero r", zeroR, sessionNow, ErrSessionBadSignature, "out of range"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reader, err := tc.s.Verify(testChainID, tc.now)
			wantSessionErr(t, err, tc.sentinel, tc.reason)
			if reader != (common.Address{}) {
				t.Fatal("a refused session must not name a reader")
			}
			// Errors from this package's other sentinels must not match:
			// the HTTP layer maps session errors to 401 by these alone.
			if ErrorCode(err) != "" {
				t.Fatalf("session error also matches transaction code %q", ErrorCode(err))
			}
		})
	}
	// The high-s twin and the zero-r signature survive the header format,
	// so a node parsing them refuses them at Verify, not earlier.
	for _, s := range []*SignedSession{highS, zeroR} {
		p, err := ParseSession(s.Header())
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Verify(testChainID, sessionNow)
		wantSessionErr(t, err, ErrSessionBadSignature, "")
	}
	// Boundaries that are still valid.
	for name, tc := range map[string]struct {
		s   ReadSession
		now uint64
	}{
		"lifetime exactly 24 h":    {at(sessionNow, sessionNow+day), sessionNow},
		"issued exactly at skew":   {at(sessionNow+MaxSessionSkewMs, sessionNow+3600_000), sessionNow},
		"one ms before expiry":     {at(sessionNow-1000, sessionNow+1), sessionNow},
		"issued long ago, current": {at(sessionNow-day+1, sessionNow+1), sessionNow},
	} {
		if _, err := sign(tc.s).Verify(testChainID, tc.now); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestSignSessionErrors(t *testing.T) {
	s := sampleSession(t)
	_, err := SignSession(s, testChainID, otherKey(t))
	wantErr(t, err, ErrSenderMismatch, "")
	long := s
	long.ExpiresMs = long.IssuedMs + MaxSessionLifetimeMs + 1
	_, err = SignSession(long, testChainID, testKey(t))
	wantSessionErr(t, err, ErrSessionTooLong, "exceeds")
	backwards := s
	backwards.ExpiresMs = backwards.IssuedMs
	_, err = SignSession(backwards, testChainID, testKey(t))
	wantSessionErr(t, err, ErrSessionMalformed, "not after")
}

func TestSessionErrorCode(t *testing.T) {
	for _, s := range []error{ErrSessionMalformed, ErrSessionExpired, ErrSessionNotYetValid, ErrSessionTooLong, ErrSessionBadSignature} {
		wrapped := errors.Join(errors.New("context"), &SessionError{Err: s, Reason: "x"})
		if got := SessionErrorCode(wrapped); got != s.Error() || !strings.HasPrefix(got, "session_") {
			t.Errorf("SessionErrorCode(%v) = %q", s, got)
		}
	}
	if SessionErrorCode(ErrBadSignature) != "" || SessionErrorCode(nil) != "" {
		t.Error("non-session errors have no session code")
	}
}

func FuzzParseSession(f *testing.F) {
	ss := signedSession(f, sampleSession(f))
	f.Add(ss.Header())
	f.Add(SessionScheme + " 0x0000000000000000000000000000000000000000.0.1.0x" + strings.Repeat("00", 65))
	f.Add("MeshSession ...")
	f.Fuzz(func(t *testing.T, header string) {
		s, err := ParseSession(header)
		if err != nil {
			if !errors.Is(err, ErrSessionMalformed) {
				t.Fatalf("parse error %v is not malformed", err)
			}
			return
		}
		// Whatever spelling was accepted, the canonical header parses to
		// the same session.
		again, err := ParseSession(s.Header())
		if err != nil || *again != *s {
			t.Fatalf("canonical header %q does not round trip: %v", s.Header(), err)
		}
		if _, err := s.Verify(testChainID, s.Session.IssuedMs); err != nil && SessionErrorCode(err) == "" {
			t.Fatalf("verify error %v has no session code", err)
		}
	})
}
