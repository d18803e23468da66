package portfoliologic

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/meshledger/meshledger/contracts/loan/loanlogic"
)

// TestIncrementalMatchesRecount drives a portfolio through random reports
// and checks that its counts, maintained by differences, equal those
// recounted from every holding, and that the rolls out of each bucket and
// the loans still in it add up to the entries into it.
func TestIncrementalMatchesRecount(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	s := opened(t)
	var ids []string
	for i := range 2000 {
		var kind string
		var sn loanlogic.Snapshot
		if len(ids) == 0 || rng.IntN(5) == 0 {
			id := "L" + string(rune('A'+len(ids)%26)) + string(rune('a'+len(ids)/26))
			ids = append(ids, id)
			kind = ReportBoarded
			sn = snap(id, rng.Int64N(1_000_000_00), loanlogic.Buckets[rng.IntN(4)], now)
		} else {
			kind = []string{ReportPayment, ReportStatus}[rng.IntN(2)]
			sn = snap(ids[rng.IntN(len(ids))], rng.Int64N(1_000_000_00), loanlogic.Buckets[rng.IntN(4)], now+int64(i)*86_400)
		}
		if _, err := Report(s, loanContract, kind, sn); err != nil {
			t.Fatalf("report %d: %v", i, err)
		}
	}
	var want Portfolio
	var inBucket [nBuckets]int64
	for k, v := range s {
		if !strings.HasPrefix(k, HoldingPrefix) {
			continue
		}
		var h Holding
		if err := json.Unmarshal(v, &h); err != nil {
			t.Fatal(err)
		}
		want.add(h, 1)
		inBucket[loanlogic.BucketRank(h.Bucket)]++
	}
	p, err := Load(s, owner)
	if err != nil {
		t.Fatal(err)
	}
	if p.Loans != want.Loans || p.Balance != want.Balance || p.Delinquent != want.Delinquent || p.DelinquentBalance != want.DelinquentBalance {
		t.Fatalf("incremental %+v\nrecount %+v", p, want)
	}
	for i := range nBuckets {
		var out int64
		for j := range nBuckets {
			out += p.Rolls[i][j]
		}
		if p.Entered[i] != out+inBucket[i] {
			t.Errorf("bucket %d: entered %d, rolled out %d, still there %d", i, p.Entered[i], out, inBucket[i])
		}
	}
	if p.DelinquencyRateBps != RateBps(p.Delinquent, p.Loans) {
		t.Errorf("delinquency rate %d", p.DelinquencyRateBps)
	}
}
