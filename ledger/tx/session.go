package tx

import (
	"crypto/ecdsa"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// ReadSession lets a reader prove who it is to any node of a chain without
// shared server state. EIP-712, in the transactions' domain (so bound to
// the chain id):
//
//	ReadSession(address reader,uint64 issuedMs,uint64 expiresMs)
//
// It travels in the HTTP Authorization header (SignedSession.Header).
// It is not a transaction: it changes nothing, has no nonce, and a node
// never stores it.
type ReadSession struct {
	Reader    common.Address
	IssuedMs  uint64 // Unix milliseconds; not valid before (with MaxSessionSkewMs)
	ExpiresMs uint64 // Unix milliseconds; not valid from then on
}

// Session bounds.
const (
	MaxSessionLifetimeMs = 24 * 3600 * 1000 // ExpiresMs - IssuedMs at most
	MaxSessionSkewMs     = 30 * 1000        // clock difference tolerated on IssuedMs
	SessionScheme        = "MeshSession"    // the Authorization scheme
	// SessionPrimaryType is the EIP-712 primary type of a session, served
	// in TypedData's Types beside the transaction types.
	SessionPrimaryType = "ReadSession"
	// MaxSessionHeaderBytes bounds the Authorization value ParseSession
	// looks at. The longest well-formed header is 229 bytes; anything
	// longer is refused before it is split or decoded.
	MaxSessionHeaderBytes = 256
)

// Session errors (HTTP 401, each with its own code: the sentinel's text).
// Every error from ParseSession and Verify is a *SessionError matching
// exactly one of them under errors.Is.
var (
	ErrSessionMalformed    = errors.New("session_malformed")
	ErrSessionExpired      = errors.New("session_expired")
	ErrSessionNotYetValid  = errors.New("session_not_yet_valid")
	ErrSessionTooLong      = errors.New("session_too_long")
	ErrSessionBadSignature = errors.New("session_bad_signature")
)

// SessionError is why a session was refused: Err is one of the
// ErrSession* sentinels, Reason says what was wrong in words a client's
// developer can act on ("expired 3m0s ago").
type SessionError struct {
	Err    error
	Reason string
}

func (e *SessionError) Error() string { return "read session: " + e.Reason }

// Unwrap makes errors.Is(err, e.Err) hold.
func (e *SessionError) Unwrap() error { return e.Err }

func sessionErr(sentinel error, format string, args ...any) error {
	return &SessionError{Err: sentinel, Reason: fmt.Sprintf(format, args...)}
}

// SessionErrorCode returns the wire code of a session error
// ("session_expired", ...), or "" when err is not one.
func SessionErrorCode(err error) string {
	for _, s := range []error{ErrSessionMalformed, ErrSessionExpired, ErrSessionNotYetValid, ErrSessionTooLong, ErrSessionBadSignature} {
		if errors.Is(err, s) {
			return s.Error()
		}
	}
	return ""
}

// sessionFields is the EIP-712 definition of ReadSession, in this order.
var sessionFields = []FieldType{
	{Name: "reader", Type: TypeAddress},
	{Name: "issuedMs", Type: TypeUint64},
	{Name: "expiresMs", Type: TypeUint64},
}

var sessionTypeHash = crypto.Keccak256Hash([]byte(encodeType(SessionPrimaryType, sessionFields)))

// StructHash is EIP-712 hashStruct(session).
func (s ReadSession) StructHash() common.Hash {
	h := getHasher()
	defer putHasher(h)
	return s.structHash(h)
}

func (s ReadSession) structHash(h *hasher) common.Hash {
	buf := h.words(4)
	copy(buf[0:32], sessionTypeHash[:])
	putAddressWord(buf[32:64], s.Reader)
	putUint64Word(buf[64:96], s.IssuedMs)
	putUint64Word(buf[96:128], s.ExpiresMs)
	return h.sum(buf)
}

// Digest is the EIP-712 signing hash of the session on chain chainID, in
// the same domain as transactions: a session signed for one chain recovers
// to another address on any other chain.
func (s ReadSession) Digest(chainID uint64) common.Hash {
	h := getHasher()
	defer putHasher(h)
	structHash := s.structHash(h)
	sep := domainSeparator(h, chainID)
	buf := h.buf[:2+64]
	buf[0], buf[1] = 0x19, 0x01
	copy(buf[2:], sep[:])
	copy(buf[34:], structHash[:])
	return h.sum(buf)
}

// checkShape makes the checks that need neither a clock nor a signature:
// a session must end after it starts and last at most 24 hours.
func (s ReadSession) checkShape() error {
	if s.ExpiresMs <= s.IssuedMs {
		return sessionErr(ErrSessionMalformed, "expiresMs %d is not after issuedMs %d", s.ExpiresMs, s.IssuedMs)
	}
	if life := s.ExpiresMs - s.IssuedMs; life > MaxSessionLifetimeMs {
		return sessionErr(ErrSessionTooLong, "lifetime %v exceeds the maximum of %v", msDuration(life), msDuration(MaxSessionLifetimeMs))
	}
	return nil
}

// msDuration renders a span of milliseconds for messages, saturating
// instead of overflowing time.Duration (about 292 years).
func msDuration(ms uint64) time.Duration {
	const maxMs = uint64(1<<63-1) / uint64(time.Millisecond)
	if ms > maxMs {
		ms = maxMs
	}
	return time.Duration(ms) * time.Millisecond
}

// SignedSession is a ReadSession with its signature.
type SignedSession struct {
	Session   ReadSession
	Signature Signature
}

// SignSession signs s for chainID with key (the key of s.Reader). A
// session that could never verify (it ends before it starts, or lasts
// longer than MaxSessionLifetimeMs) is refused with the error Verify would
// give; a key other than the reader's with ErrSenderMismatch.
func SignSession(s ReadSession, chainID uint64, key *ecdsa.PrivateKey) (*SignedSession, error) {
	if signer := crypto.PubkeyToAddress(key.PublicKey); signer != s.Reader {
		return nil, fmt.Errorf("tx: sign session: %w: key is %s, reader is %s", ErrSenderMismatch, signer, s.Reader)
	}
	if err := s.checkShape(); err != nil {
		return nil, fmt.Errorf("tx: sign session: %w", err)
	}
	d := s.Digest(chainID)
	raw, err := crypto.Sign(d[:], key)
	if err != nil {
		return nil, fmt.Errorf("tx: sign session: %w", err)
	}
	sig, err := ParseSignature(raw)
	if err != nil {
		return nil, fmt.Errorf("tx: sign session: %w", err)
	}
	return &SignedSession{Session: s, Signature: sig}, nil
}

// Header is the Authorization header value of the session:
//
//	MeshSession 0x<reader>.<issuedMs>.<expiresMs>.0x<signature>
//
// with the reader as 40 lower-case hex digits, the times in decimal and
// the signature as 130 lower-case hex digits (r ‖ s ‖ v, v 27 or 28).
func (s *SignedSession) Header() string {
	b := make([]byte, 0, MaxSessionHeaderBytes)
	b = append(b, SessionScheme...)
	b = append(b, ' ', '0', 'x')
	b = hex.AppendEncode(b, s.Session.Reader[:])
	b = append(b, '.')
	b = strconv.AppendUint(b, s.Session.IssuedMs, 10)
	b = append(b, '.')
	b = strconv.AppendUint(b, s.Session.ExpiresMs, 10)
	b = append(b, '.', '0', 'x')
	b = hex.AppendEncode(b, s.Signature[:])
	return string(b)
}

// ParseSession parses an Authorization header value (scheme included),
// strictly: exactly "MeshSession", one space, then four parts separated by
// dots — the reader (0x + 40 hex digits; mixed case must be a valid EIP-55
// checksum), issuedMs and expiresMs (decimal, no sign, no leading zero),
// and the signature (0x + 130 hex digits, v 27, 28, 0 or 1). expiresMs
// must be after issuedMs. Every failure is ErrSessionMalformed; nothing is
// verified here (see Verify).
func ParseSession(header string) (*SignedSession, error) {
	if len(header) > MaxSessionHeaderBytes {
		return nil, sessionErr(ErrSessionMalformed, "authorization value is %d bytes, longer than %d", len(header), MaxSessionHeaderBytes)
	}
	rest, ok := strings.CutPrefix(header, SessionScheme+" ")
	if !ok {
		return nil, sessionErr(ErrSessionMalformed, "want %q followed by one space", SessionScheme)
	}
	parts := strings.Split(rest, ".")
	if len(parts) != 4 {
		return nil, sessionErr(ErrSessionMalformed, "want 0x<reader>.<issuedMs>.<expiresMs>.0x<signature>, got %d dot-separated parts", len(parts))
	}
	reader, err := parseAddress(parts[0])
	if err != nil {
		return nil, sessionErr(ErrSessionMalformed, "reader: %v", err)
	}
	issued, err := parseSessionTime(parts[1])
	if err != nil {
		return nil, sessionErr(ErrSessionMalformed, "issuedMs: %v", err)
	}
	expires, err := parseSessionTime(parts[2])
	if err != nil {
		return nil, sessionErr(ErrSessionMalformed, "expiresMs: %v", err)
	}
	rawSig, err := parseHex(parts[3], len(Signature{}))
	if err != nil {
		return nil, sessionErr(ErrSessionMalformed, "signature: %v", err)
	}
	sig, err := ParseSignature(rawSig)
	if err != nil {
		var fe *FieldError
		if errors.As(err, &fe) {
			return nil, sessionErr(ErrSessionMalformed, "signature: %s", fe.Reason)
		}
		return nil, sessionErr(ErrSessionMalformed, "signature: %v", err)
	}
	s := &SignedSession{Session: ReadSession{Reader: reader, IssuedMs: issued, ExpiresMs: expires}, Signature: sig}
	if s.Session.ExpiresMs <= s.Session.IssuedMs {
		return nil, s.Session.checkShape()
	}
	return s, nil
}

// parseSessionTime accepts a canonical decimal uint64: digits only, no
// leading zero (but "0"), at most 2^64-1. One spelling per value keeps
// equal sessions byte-identical, which the nodes' session caches rely on.
func parseSessionTime(s string) (uint64, error) {
	if s == "" {
		return 0, errors.New("empty")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, errors.New("not a decimal integer")
		}
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, errors.New("leading zero")
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, errors.New("overflows uint64")
	}
	return n, nil
}

// Verify checks the session for chainID at nowMs and returns the reader:
// the signature recovers to Reader (low-s), IssuedMs <= now+skew,
// ExpiresMs > now, lifetime <= MaxSessionLifetimeMs. The checks that need
// no signature recovery come first, so a flood of stale or absurd
// sessions costs a node almost nothing. Errors are *SessionError.
func (s *SignedSession) Verify(chainID uint64, nowMs uint64) (common.Address, error) {
	if s == nil {
		return common.Address{}, sessionErr(ErrSessionMalformed, "no session")
	}
	rs := s.Session
	if err := rs.checkShape(); err != nil {
		return common.Address{}, err
	}
	// issued > now+skew, written so that it cannot overflow.
	if rs.IssuedMs > nowMs && rs.IssuedMs-nowMs > MaxSessionSkewMs {
		return common.Address{}, sessionErr(ErrSessionNotYetValid, "issued %v in the future (clocks may differ by at most %v)",
			msDuration(rs.IssuedMs-nowMs), msDuration(MaxSessionSkewMs))
	}
	if rs.ExpiresMs <= nowMs {
		return common.Address{}, sessionErr(ErrSessionExpired, "expired %v ago", msDuration(nowMs-rs.ExpiresMs))
	}
	signer, err := recoverAddress(rs.Digest(chainID), s.Signature)
	if err != nil {
		if errors.Is(err, ErrHighS) {
			return common.Address{}, sessionErr(ErrSessionBadSignature, "signature s value is not low (s > secp256k1n/2)")
		}
		return common.Address{}, sessionErr(ErrSessionBadSignature, "%v", err)
	}
	if signer != rs.Reader {
		return common.Address{}, sessionErr(ErrSessionBadSignature,
			"signature is not the reader's for chain %d (it recovers to %s, the reader is %s)", chainID, signer, rs.Reader)
	}
	return signer, nil
}
