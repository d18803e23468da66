package node

import (
	"net"
	"net/http"
	"sync"
)

// silentConns tracks the server's connections that have not read a byte
// of a request yet (http.StateNew). http.Server.Shutdown counts such a
// connection as busy for its first 5 seconds, so a client that merely
// opened one (HTTP clients dial ahead) would hold Close up that long.
// They carry no request to finish, so shutdown closes them.
type silentConns struct {
	mu      sync.Mutex
	conns   map[net.Conn]struct{}
	closing bool
}

func newSilentConns() *silentConns { return &silentConns{conns: make(map[net.Conn]struct{})} }

// track is the server's ConnState hook.
func (s *silentConns) track(c net.Conn, state http.ConnState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if state != http.StateNew {
		delete(s.conns, c)
		return
	}
	if s.closing {
		_ = c.Close()
		return
	}
	s.conns[c] = struct{}{}
}

// closeAll closes every silent connection, and any accepted from now on.
func (s *silentConns) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closing = true
	for c := range s.conns {
		_ = c.Close()
	}
	clear(s.conns)
}
