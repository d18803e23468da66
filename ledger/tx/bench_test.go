package tx

import (
	"testing"
)

func BenchmarkHashCall(b *testing.B) {
	c := sampleCall(addrOf(testKey(b)))
	b.ReportAllocs()
	for b.Loop() {
		_ = Digest(&c, testChainID)
	}
}

func BenchmarkRecover(b *testing.B) {
	tx := signedCall(b)
	b.ReportAllocs()
	for b.Loop() {
		tx.hash.Store(nil)
		tx.sender.Store(nil)
		if _, err := tx.Recover(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecoverAll1000 measures stateless verification of a block of
// 1,000 calls (hash + recovery, nothing cached) on all cores.
func BenchmarkRecoverAll1000(b *testing.B) {
	k := testKey(b)
	txs := make([]*Tx, 1000)
	for i := range txs {
		c := sampleCall(addrOf(k))
		c.Nonce = uint64(i)
		tx, err := SignCall(c, testChainID, k)
		if err != nil {
			b.Fatal(err)
		}
		txs[i] = tx
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, tx := range txs {
			tx.hash.Store(nil)
			tx.sender.Store(nil)
		}
		for _, err := range RecoverAll(txs, testChainID, 0) {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(txs)*b.N)/b.Elapsed().Seconds(), "tx/s")
}

func BenchmarkDecodeJSONCall(b *testing.B) {
	data := signedCall(b).EncodeJSON()
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := DecodeJSON(data, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeRLPCall(b *testing.B) {
	data, _ := signedCall(b).MarshalBinary()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeRLP(data, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSessionVerify measures what a node pays for a session it has
// not seen before: parsing the Authorization header and verifying it (one
// signature recovery). Nodes cache verified sessions, so a client reusing
// its session pays this once per node.
func BenchmarkSessionVerify(b *testing.B) {
	ss, err := SignSession(sampleSession(b), testChainID, testKey(b))
	if err != nil {
		b.Fatal(err)
	}
	header := ss.Header()
	b.ReportAllocs()
	for b.Loop() {
		s, err := ParseSession(header)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Verify(testChainID, sessionNow); err != nil {
			b.Fatal(err)
		}
	}
}
