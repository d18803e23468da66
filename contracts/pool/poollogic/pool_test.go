package poollogic

import (
	"errors"
	"maps"
	"testing"

	"github.com/meshledger/meshledger/contracts/loan/loanlogic"
	"github.com/meshledger/meshledger/sdk/contract"
)

var (
	securitizer  = contract.Address{0x5c}
	loanContract = contract.Address{0x10}
	stranger     = contract.Address{0x99}
)

const now = 1_718_409_600 // 2024-06-15

func newPool(t *testing.T) loanlogic.MapStore {
	t.Helper()
	s := loanlogic.MapStore{}
	if _, _, err := Create(s, securitizer, now, CreateRequest{ID: "P1", LoanContract: loanContract}); err != nil {
		t.Fatal(err)
	}
	return s
}

func snap(id string, balance, rate int64, bucket string) loanlogic.Snapshot {
	return loanlogic.Snapshot{ID: id, Securitizer: securitizer, Pool: "P1", Balance: balance, RateBps: rate, Bucket: bucket, At: now}
}

func report(t *testing.T, s loanlogic.MapStore, kind string, sn loanlogic.Snapshot) *Disclosure {
	t.Helper()
	d, err := Report(s, loanContract, kind, sn)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestCreate(t *testing.T) {
	s := newPool(t)
	p, err := LoadPool(s, "P1")
	if err != nil || *p != (Pool{ID: "P1", Securitizer: securitizer, LoanContract: loanContract, CreatedAt: now}) {
		t.Fatalf("pool %+v %v", p, err)
	}
	if d, err := LoadDisclosure(s, "P1"); err != nil || *d != (Disclosure{Pool: "P1", UpdatedAt: now}) {
		t.Fatalf("disclosure %+v %v", d, err)
	}
	for _, tc := range []struct {
		name string
		req  CreateRequest
		want error
	}{
		{"again", CreateRequest{ID: "P1", LoanContract: loanContract}, ErrExists},
		{"no loan contract", CreateRequest{ID: "P2"}, ErrInvalid},
		{"bad id", CreateRequest{ID: "P/2", LoanContract: loanContract}, ErrInvalid},
		{"empty id", CreateRequest{LoanContract: loanContract}, ErrInvalid},
	} {
		before := maps.Clone(s)
		if _, _, err := Create(s, securitizer, now, tc.req); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
		if !maps.EqualFunc(s, before, func(a, b []byte) bool { return string(a) == string(b) }) {
			t.Errorf("%s: refused create changed state", tc.name)
		}
	}
}

// TestDisclosure follows three loans through boarding, payments,
// delinquency, assistance, cure and payoff, checking every figure.
func TestDisclosure(t *testing.T) {
	s := newPool(t)
	report(t, s, ReportBoarded, snap("A", 200_000_00, 600, loanlogic.BucketCurrent))
	report(t, s, ReportBoarded, snap("B", 100_000_00, 450, loanlogic.Bucket30))
	d := report(t, s, ReportBoarded, snap("C", 50_000_01, 725, loanlogic.BucketCurrent))
	// WAC = (20,000,000×600 + 10,000,000×450 + 5,000,001×725) / 35,000,001
	//     = 20,125,000,725 / 35,000,001 = 575.0000043 → 575 bps.
	want := Disclosure{
		Pool: "P1", Loans: 3, Balance: 350_000_01,
		RateBalance: 200_000_00*600 + 100_000_00*450 + 50_000_01*725, WACBps: 575,
		Buckets: Buckets{
			Current: BucketTotal{2, 250_000_01},
			D30:     BucketTotal{1, 100_000_00},
		},
		UpdatedAt: now,
	}
	if *d != want {
		t.Fatalf("after boarding\n got %+v\nwant %+v", *d, want)
	}
	// B rolls to 60, then accepts a plan (cured), A pays.
	report(t, s, ReportStatus, snap("B", 100_000_00, 450, loanlogic.Bucket60))
	plan := snap("B", 100_000_00, 450, loanlogic.BucketCurrent)
	plan.InAssistance, plan.Cured = true, true
	report(t, s, ReportStatus, plan)
	pay := snap("A", 199_800_89, 600, loanlogic.BucketCurrent)
	pay.Payment = 1199_11
	d = report(t, s, ReportPayment, pay)
	want = Disclosure{
		Pool: "P1", Loans: 3, Balance: 349_800_90,
		RateBalance:  199_800_89*600 + 100_000_00*450 + 50_000_01*725,
		Buckets:      Buckets{Current: BucketTotal{3, 349_800_90}},
		InAssistance: BucketTotal{1, 100_000_00}, Cures: 1, Payments: 1, PaymentsPaid: 1199_11, UpdatedAt: now,
	}
	want.WACBps = (want.RateBalance + want.Balance/2) / want.Balance
	if want.WACBps != 575 {
		t.Fatalf("hand WAC %d", want.WACBps)
	}
	if *d != want {
		t.Fatalf("after plan and payment\n got %+v\nwant %+v", *d, want)
	}
	// C pays off: it leaves the balance, counts and WAC.
	off := snap("C", 0, 725, loanlogic.BucketCurrent)
	off.PaidOff, off.Payment = true, 50_000_01
	d = report(t, s, ReportPayment, off)
	if d.Loans != 2 || d.Balance != 299_800_89 || d.PaidOff != 1 || d.WACBps != 550 || d.Buckets.Current != (BucketTotal{2, 299_800_89}) {
		// (199,800.89×600 + 100,000×450) / 299,800.89 = 549.97 → 550
		t.Fatalf("after payoff %+v", d)
	}
	if m, err := LoadMember(s, "P1", "B"); err != nil || *m != (Member{ID: "B", Balance: 100_000_00, RateBps: 450, Bucket: loanlogic.BucketCurrent, InAssistance: true}) {
		t.Fatalf("member B %+v %v", m, err)
	}
}

func TestWACRoundsHalfUp(t *testing.T) {
	tests := []struct{ rateBalance, balance, want int64 }{
		{0, 0, 0},
		{1000, 0, 0},
		{600 * 100, 100, 600},
		{1001, 2, 501},       // 500.5 → 501
		{1000 + 999, 4, 500}, // 499.75 → 500
		{1997, 4, 499},       // 499.25 → 499
		{MaxPoolBalance * loanlogic.MaxRateBps, MaxPoolBalance, loanlogic.MaxRateBps},
	}
	for _, tc := range tests {
		if got := WAC(tc.rateBalance, tc.balance); got != tc.want {
			t.Errorf("WAC(%d, %d) = %d, want %d", tc.rateBalance, tc.balance, got, tc.want)
		}
	}
}

func TestReportRejects(t *testing.T) {
	tests := []struct {
		name   string
		caller contract.Address
		kind   string
		snap   loanlogic.Snapshot
		want   error
	}{
		{"not the loan contract", stranger, ReportBoarded, snap("N", 1, 1, loanlogic.BucketCurrent), ErrUnauthorized},
		{"securitizer itself", securitizer, ReportBoarded, snap("N", 1, 1, loanlogic.BucketCurrent), ErrUnauthorized},
		{"other securitizer", loanContract, ReportBoarded, loanlogic.Snapshot{ID: "N", Securitizer: stranger, Pool: "P1", Bucket: loanlogic.BucketCurrent}, ErrInvalid},
		{"no securitizer", loanContract, ReportBoarded, loanlogic.Snapshot{ID: "N", Pool: "P1", Bucket: loanlogic.BucketCurrent}, ErrInvalid},
		{"boarded twice", loanContract, ReportBoarded, snap("A", 1, 1, loanlogic.BucketCurrent), ErrExists},
		{"payment on unknown loan", loanContract, ReportPayment, snap("N", 1, 1, loanlogic.BucketCurrent), ErrNotFound},
		{"status of unknown loan", loanContract, ReportStatus, snap("N", 1, 1, loanlogic.BucketCurrent), ErrNotFound},
		{"unknown kind", loanContract, "onWhatever", snap("A", 1, 1, loanlogic.BucketCurrent), ErrInvalid},
		{"unknown pool", loanContract, ReportBoarded, loanlogic.Snapshot{ID: "N", Pool: "P9", Bucket: loanlogic.BucketCurrent}, ErrNotFound},
		{"bad loan id", loanContract, ReportBoarded, snap("N/1", 1, 1, loanlogic.BucketCurrent), ErrInvalid},
		{"negative balance", loanContract, ReportBoarded, snap("N", -1, 1, loanlogic.BucketCurrent), ErrInvalid},
		{"huge balance", loanContract, ReportBoarded, snap("N", loanlogic.MaxPrincipal+1, 1, loanlogic.BucketCurrent), ErrInvalid},
		{"bad rate", loanContract, ReportBoarded, snap("N", 1, loanlogic.MaxRateBps+1, loanlogic.BucketCurrent), ErrInvalid},
		{"bad bucket", loanContract, ReportBoarded, snap("N", 1, 1, "120"), ErrInvalid},
		{"negative payment", loanContract, ReportPayment, loanlogic.Snapshot{ID: "A", Pool: "P1", Bucket: loanlogic.BucketCurrent, Payment: -1}, ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newPool(t)
			report(t, s, ReportBoarded, snap("A", 10_00, 500, loanlogic.BucketCurrent))
			before := maps.Clone(s)
			if _, err := Report(s, tc.caller, tc.kind, tc.snap); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !maps.EqualFunc(s, before, func(a, b []byte) bool { return string(a) == string(b) }) {
				t.Fatal("refused report changed state")
			}
		})
	}
}

func TestPoolBalanceLimit(t *testing.T) {
	s := newPool(t)
	var i int
	for ; i < MaxPoolBalance/loanlogic.MaxPrincipal; i++ {
		report(t, s, ReportBoarded, snap(string(rune('a'+i)), loanlogic.MaxPrincipal, loanlogic.MaxRateBps, loanlogic.BucketCurrent))
	}
	before := maps.Clone(s)
	if _, err := Report(s, loanContract, ReportBoarded, snap("z", 1, 1, loanlogic.BucketCurrent)); !errors.Is(err, ErrPoolFull) {
		t.Fatalf("err = %v, want ErrPoolFull", err)
	}
	if !maps.EqualFunc(s, before, func(a, b []byte) bool { return string(a) == string(b) }) {
		t.Fatal("refused report changed state")
	}
	if d, _ := LoadDisclosure(s, "P1"); d.WACBps != loanlogic.MaxRateBps || d.Balance != MaxPoolBalance {
		t.Fatalf("full pool %+v", d)
	}
}

func TestCorruptRecords(t *testing.T) {
	s := newPool(t)
	s["pool/bad"] = []byte("{")
	if _, err := LoadPool(s, "bad"); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("LoadPool: %v", err)
	}
	s["disclosure/P1"] = []byte("[")
	if _, err := Report(s, loanContract, ReportBoarded, snap("A", 1, 1, loanlogic.BucketCurrent)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Report: %v", err)
	}
	if _, err := LoadMember(s, "P1", "none"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("LoadMember: %v", err)
	}
	if _, err := LoadDisclosure(s, "P9"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("LoadDisclosure: %v", err)
	}
}

func TestPoolOfKey(t *testing.T) {
	tests := []struct {
		key  string
		pool string
		ok   bool
	}{
		{"pool/P1", "P1", true},
		{"disclosure/P1", "P1", true},
		{"member/P1/L-1", "P1", true},
		{"member/P1", "", false},
		{"pool/P1/x", "", false},
		{"pool/", "", false},
		{"other/P1", "", false},
	}
	for _, tc := range tests {
		pool, ok := PoolOfKey(tc.key)
		if ok != tc.ok || ok && pool != tc.pool {
			t.Errorf("PoolOfKey(%q) = %q, %v; want %q, %v", tc.key, pool, ok, tc.pool, tc.ok)
		}
	}
}
