package poollogic

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/meshledger/meshledger/contracts/loan/loanlogic"
)

// TestIncrementalMatchesRecount drives a pool through random reports and
// checks that the disclosure, maintained by differences, equals one
// recounted from every member record.
func TestIncrementalMatchesRecount(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	s := newPool(t)
	boarded := []string{}
	var cures, payments, paid int64
	for i := range 2000 {
		var kind string
		var sn loanlogic.Snapshot
		if len(boarded) == 0 || rng.IntN(5) == 0 {
			id := "L" + string(rune('A'+len(boarded)%26)) + string(rune('a'+len(boarded)/26))
			boarded = append(boarded, id)
			kind = ReportBoarded
			sn = snap(id, rng.Int64N(loanlogic.MaxPrincipal/1000), rng.Int64N(2000), loanlogic.Buckets[rng.IntN(4)])
		} else {
			kind = []string{ReportPayment, ReportStatus}[rng.IntN(2)]
			sn = snap(boarded[rng.IntN(len(boarded))], rng.Int64N(loanlogic.MaxPrincipal/1000), rng.Int64N(2000), loanlogic.Buckets[rng.IntN(4)])
			sn.InAssistance = rng.IntN(3) == 0
			sn.PaidOff = rng.IntN(20) == 0
			sn.Cured = rng.IntN(4) == 0
			if kind == ReportPayment {
				sn.Payment = rng.Int64N(1_000_00)
			}
		}
		if sn.Cured {
			cures++
		}
		if sn.Payment > 0 {
			payments++
			paid += sn.Payment
		}
		if _, err := Report(s, loanContract, kind, sn); err != nil {
			t.Fatalf("report %d: %v", i, err)
		}
	}
	want := Disclosure{Pool: "P1", Cures: cures, Payments: payments, PaymentsPaid: paid, UpdatedAt: now}
	for k, v := range s {
		if !strings.HasPrefix(k, MemberPrefix) {
			continue
		}
		var m Member
		if err := json.Unmarshal(v, &m); err != nil {
			t.Fatal(err)
		}
		want.add(m, 1)
	}
	want.WACBps = WAC(want.RateBalance, want.Balance)
	got, err := LoadDisclosure(s, "P1")
	if err != nil {
		t.Fatal(err)
	}
	if *got != want {
		t.Fatalf("incremental disclosure\n got %+v\nwant %+v", *got, want)
	}
}
