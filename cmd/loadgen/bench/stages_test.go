package bench

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"runtime/pprof"
	"strings"
	"testing"
	"time"
)

// pb builds protocol buffer messages for the profile reader's tests.
type pb struct{ b []byte }

func (m *pb) varint(num int, v uint64) *pb {
	m.b = binary.AppendUvarint(m.b, uint64(num)<<3)
	m.b = binary.AppendUvarint(m.b, v)
	return m
}

func (m *pb) bytes(num int, v []byte) *pb {
	m.b = binary.AppendUvarint(m.b, uint64(num)<<3|2)
	m.b = binary.AppendUvarint(m.b, uint64(len(v)))
	m.b = append(m.b, v...)
	return m
}

func packed(vs ...uint64) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.AppendUvarint(b, v)
	}
	return b
}

// testProfile is a CPU profile of three stacks: recovery under the HTTP
// handler (10 ms, location 1 inlined into 2), a trie commit (20 ms,
// unpacked location ids) and one unknown function (5 ms).
func testProfile() []byte {
	p := &pb{}
	strs := []string{"", "samples", "count", "cpu", "nanoseconds",
		"github.com/meshledger/meshledger/ledger/tx.recoverAddress", "github.com/meshledger/meshledger/node/httpapi.(*Server).submitOne",
		"github.com/ethereum/go-ethereum/trie.(*hasher).hash", "main.elsewhere"}
	p.bytes(1, (&pb{}).varint(1, 1).varint(2, 2).b) // samples/count
	p.bytes(1, (&pb{}).varint(1, 3).varint(2, 4).b) // cpu/nanoseconds
	p.bytes(2, (&pb{}).bytes(1, packed(1, 2)).bytes(2, packed(1, 10_000_000)).b)
	p.bytes(2, (&pb{}).varint(1, 3).varint(1, 2).bytes(2, packed(2, 20_000_000)).b)
	p.bytes(2, (&pb{}).bytes(1, packed(4)).bytes(2, packed(1, 5_000_000)).b)
	// Location 1 holds an inlined frame and its caller.
	p.bytes(4, (&pb{}).varint(1, 1).bytes(4, (&pb{}).varint(1, 1).varint(2, 10).b).bytes(4, (&pb{}).varint(1, 2).varint(2, 20).b).b)
	p.bytes(4, (&pb{}).varint(1, 2).bytes(4, (&pb{}).varint(1, 2).b).b)
	p.bytes(4, (&pb{}).varint(1, 3).bytes(4, (&pb{}).varint(1, 3).b).b)
	p.bytes(4, (&pb{}).varint(1, 4).bytes(4, (&pb{}).varint(1, 4).b).b)
	for id, name := range []uint64{5, 6, 7, 8} {
		p.bytes(5, (&pb{}).varint(1, uint64(id+1)).varint(2, name).b)
	}
	for _, s := range strs {
		p.bytes(6, []byte(s))
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(p.b)
	zw.Close()
	return z.Bytes()
}

func TestReadCPUProfile(t *testing.T) {
	samples, err := readCPUProfile(testProfile())
	if err != nil {
		t.Fatal(err)
	}
	if len(samples) != 3 || samples[0].cpu != 10_000_000 || samples[1].cpu != 20_000_000 || samples[2].cpu != 5_000_000 {
		t.Fatalf("samples %+v", samples)
	}
	if got := strings.Join(samples[0].funcs, " < "); !strings.Contains(got, "tx.recoverAddress < ") || !strings.HasSuffix(got, "submitOne < github.com/meshledger/meshledger/node/httpapi.(*Server).submitOne") {
		t.Fatalf("first stack %q", got)
	}
	r := splitStages(samples, 5)
	want := map[string]time.Duration{StageSignature: 2 * time.Millisecond, StageCommit: 4 * time.Millisecond, StageOther: time.Millisecond}
	for _, s := range r.Stages {
		if s.PerTx != want[s.Name] {
			t.Errorf("%s: %s per tx, want %s", s.Name, s.PerTx, want[s.Name])
		}
	}
	if r.Profiled != 35*time.Millisecond || r.Committed != 5 {
		t.Fatalf("profiled %s over %d", r.Profiled, r.Committed)
	}
}

// A real profile from runtime/pprof reads, and the CPU burnt in a
// function of this package shows on its stacks.
func TestReadRuntimeProfile(t *testing.T) {
	var buf bytes.Buffer
	if err := pprof.StartCPUProfile(&buf); err != nil {
		t.Skipf("a CPU profile is already running: %v", err)
	}
	burnCPU(300 * time.Millisecond)
	pprof.StopCPUProfile()
	samples, err := readCPUProfile(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	var burnt int64
	for _, s := range samples {
		for _, f := range s.funcs {
			if strings.HasSuffix(f, "bench.burnCPU") {
				burnt += s.cpu
				break
			}
		}
	}
	if burnt == 0 {
		t.Fatalf("no CPU in burnCPU among %d samples", len(samples))
	}
	if stageOf([]string{"github.com/meshledger/meshledger/cmd/loadgen/bench.burnCPU"}) != StageLoadgen {
		t.Fatal("this package's own functions are not the load generator's")
	}
}

//go:noinline
func burnCPU(d time.Duration) {
	x := uint64(1)
	for end := time.Now().Add(d); time.Now().Before(end); {
		for range 10_000 {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	if x == 0 {
		panic("unreachable")
	}
}

func TestReadCPUProfileErrors(t *testing.T) {
	good := testProfile()
	zr, _ := gzip.NewReader(bytes.NewReader(good))
	var raw bytes.Buffer
	raw.ReadFrom(zr)
	noCPU := (&pb{}).bytes(1, (&pb{}).varint(1, 1).b).bytes(6, nil).bytes(6, []byte("samples")).b
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"truncated gzip", good[:len(good)/2]},
		{"truncated message", raw.Bytes()[:raw.Len()-3]},
		{"bad wire type", []byte{0x0f}},
		{"bad length", []byte{0x0a, 0xff, 0x01}},
		{"no cpu sample type", noCPU},
		{"empty", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := readCPUProfile(tc.data); !errors.Is(err, ErrBadProfile) {
				t.Fatalf("error %v, want ErrBadProfile", err)
			}
		})
	}
	// The uncompressed form reads too.
	if s, err := readCPUProfile(raw.Bytes()); err != nil || len(s) != 3 {
		t.Fatalf("uncompressed: %d samples, %v", len(s), err)
	}
}

func TestStageOf(t *testing.T) {
	for _, tc := range []struct {
		stack []string
		want  string
	}{
		{[]string{"runtime.cgocall", "github.com/ethereum/go-ethereum/crypto/secp256k1.RecoverPubkey", "github.com/meshledger/meshledger/node/httpapi.(*Server).submitOne", "net/http.(*conn).serve"}, StageSignature},
		{[]string{"encoding/json.(*decodeState).object", "github.com/meshledger/meshledger/node/httpapi.(*Server).decodeAndSubmit", "net/http.(*conn).serve"}, StageHTTP},
		{[]string{"github.com/meshledger/meshledger/node/mempool.(*Pool).Add", "github.com/meshledger/meshledger/node.(*Node).submit", "net/http.(*conn).serve"}, StageMempool},
		{[]string{"github.com/meshledger/meshledger/ledger/state.(*DB).Get", "github.com/meshledger/meshledger/ledger.(*Ledger).execute", "github.com/meshledger/meshledger/ledger.(*Ledger).ApplyBlock"}, StageExecution},
		{[]string{"runtime._ExternalCode", "runtime._System"}, StageExecution},
		{[]string{"github.com/ethereum/go-ethereum/trie.(*hasher).hash", "github.com/meshledger/meshledger/ledger/state.(*DB).Commit", "github.com/meshledger/meshledger/ledger.(*Ledger).seal"}, StageCommit},
		{[]string{"github.com/syndtr/goleveldb/leveldb.(*DB).mCompaction"}, StageCommit},
		{[]string{"github.com/meshledger/meshledger/ledger.(*blockEncoder).run", "github.com/meshledger/meshledger/ledger.(*Ledger).ApplyBlock"}, StageExecution},
		{[]string{"net/http.(*persistConn).readLoop"}, StageLoadgen},
		{[]string{"runtime.gcBgMarkWorker"}, StageGC},
		{[]string{"runtime.futex", "runtime._System"}, StageOther},
		{nil, StageOther},
	} {
		if got := stageOf(tc.stack); got != tc.want {
			t.Errorf("stageOf(%v) = %q, want %q", tc.stack, got, tc.want)
		}
	}
}

// FuzzReadCPUProfile: no input makes the reader panic or hang.
func FuzzReadCPUProfile(f *testing.F) {
	f.Add(testProfile())
	zr, _ := gzip.NewReader(bytes.NewReader(testProfile()))
	var raw bytes.Buffer
	raw.ReadFrom(zr)
	f.Add(raw.Bytes())
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := readCPUProfile(data); err != nil && !errors.Is(err, ErrBadProfile) {
			t.Fatalf("error %v does not wrap ErrBadProfile", err)
		}
	})
}
