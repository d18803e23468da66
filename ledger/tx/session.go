package tx

import (
	"crypto/ecdsa"
	"errors"

	"github.com/ethereum/go-ethereum/common"
)

// ReadSession lets a reader prove who it is to any node of a chain without
// shared server state. EIP-712, in the transactions' domain (so bound to
// the chain id):
//
//	ReadSession(address reader,uint64 issuedMs,uint64 expiresMs)
//
// It travels in the HTTP Authorization header (FormatSession).
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
)

// Session errors (HTTP 401, each with its own code).
var (
	ErrSessionMalformed    = errors.New("session_malformed")
	ErrSessionExpired      = errors.New("session_expired")
	ErrSessionNotYetValid  = errors.New("session_not_yet_valid")
	ErrSessionTooLong      = errors.New("session_too_long")
	ErrSessionBadSignature = errors.New("session_bad_signature")
)

// SignedSession is a ReadSession with its signature.
type SignedSession struct {
	Session   ReadSession
	Signature Signature
}

var errSessionTODO = errors.New("tx: sessions not implemented")

// SignSession signs s for chainID with key (the key of s.Reader).
func SignSession(s ReadSession, chainID uint64, key *ecdsa.PrivateKey) (*SignedSession, error) {
	return nil, errSessionTODO
}

// Header is the Authorization header value of the session.
func (s *SignedSession) Header() string { return "" }

// ParseSession parses an Authorization header value.
func ParseSession(header string) (*SignedSession, error) { return nil, errSessionTODO }

// Verify checks the session for chainID at nowMs and returns the reader:
// the signature recovers to Reader (low-s), IssuedMs <= now+skew,
// ExpiresMs > now, lifetime <= MaxSessionLifetimeMs.
func (s *SignedSession) Verify(chainID uint64, nowMs uint64) (common.Address, error) {
	return common.Address{}, errSessionTODO
}
