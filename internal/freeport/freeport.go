package freeport

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
)

// Range is the span of ports Reserve draws from, [Low, High).
type Range struct{ Low, High int }

// defaultEphemeralLow is Linux's default start of the ephemeral range,
// used when /proc does not say (other systems: 49152 for IANA, so the
// range below still avoids it).
const defaultEphemeralLow = 32768

// lowest is the bottom of the drawn range: above the registered ports
// most services use.
const lowest = 20000

// ErrNoPorts means no port of the range could be reserved.
var ErrNoPorts = errors.New("freeport: no free port")

// BelowEphemeral is the range under the machine's ephemeral ports, read
// from /proc/sys/net/ipv4/ip_local_port_range where there is one.
func BelowEphemeral() Range {
	low := defaultEphemeralLow
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if v, err := strconv.Atoi(f[0]); err == nil && v > lowest+1000 {
				low = v
			}
		}
	}
	return Range{Low: lowest, High: low}
}

// Reserve returns n distinct ports of r on host that could all be
// listened on at once: each is held open until all are found, then
// released for the caller to bind. The draw is random so that processes
// reserving at the same time rarely meet; the ports never reach anything
// but the listening sockets.
func Reserve(host string, n int, r Range) ([]int, error) {
	if n <= 0 {
		return nil, nil
	}
	span := r.High - r.Low
	if span < n {
		return nil, fmt.Errorf("%w: %d ports wanted from [%d, %d)", ErrNoPorts, n, r.Low, r.High)
	}
	listeners := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range listeners {
			_ = l.Close()
		}
	}()
	ports := make([]int, 0, n)
	start := rand.IntN(span)
	for i := 0; i < span && len(ports) < n; i++ {
		p := r.Low + (start+i)%span
		l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p)))
		if err != nil {
			continue // taken, or not ours to take: try the next
		}
		listeners = append(listeners, l)
		ports = append(ports, p)
	}
	if len(ports) < n {
		return nil, fmt.Errorf("%w: found %d of %d in [%d, %d) on %s", ErrNoPorts, len(ports), n, r.Low, r.High, host)
	}
	return ports, nil
}
