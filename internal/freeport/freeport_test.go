package freeport

import (
	"errors"
	"net"
	"strconv"
	"testing"
)

func TestReserve(t *testing.T) {
	r := BelowEphemeral()
	ports, err := Reserve("127.0.0.1", 8, r)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, p := range ports {
		if p < r.Low || p >= r.High || seen[p] {
			t.Fatalf("port %d outside [%d, %d) or repeated: %v", p, r.Low, r.High, ports)
		}
		seen[p] = true
		// Released: the caller can bind it.
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			t.Fatalf("reserved port %d cannot be bound: %v", p, err)
		}
		_ = l.Close()
	}
}

func TestReserveSkipsTakenPorts(t *testing.T) {
	// A range of three ports, one of them held by someone else.
	held, err := Reserve("127.0.0.1", 1, BelowEphemeral())
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(held[0])))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	r := Range{Low: held[0] - 1, High: held[0] + 2}
	if _, err := Reserve("127.0.0.1", 3, r); !errors.Is(err, ErrNoPorts) {
		t.Fatalf("three of a range with one taken: %v, want ErrNoPorts", err)
	}
	if _, err := Reserve("127.0.0.1", 4, r); !errors.Is(err, ErrNoPorts) {
		t.Fatalf("more than the range: %v, want ErrNoPorts", err)
	}
}

func TestBelowEphemeral(t *testing.T) {
	r := BelowEphemeral()
	if r.Low != lowest || r.High <= r.Low+1000 {
		t.Fatalf("range [%d, %d)", r.Low, r.High)
	}
}
