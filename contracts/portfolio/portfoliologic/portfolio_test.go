package portfoliologic

import (
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/meshledger/meshledger/contracts/loan/loanlogic"
	"github.com/meshledger/meshledger/sdk/contract"
)

var (
	owner        = contract.Address{0x0e}
	loanContract = contract.Address{0x10}
	stranger     = contract.Address{0x99}
)

func utc(y int, m time.Month, d int) int64 { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() }

var now = utc(2024, 6, 15)

func opened(t *testing.T) loanlogic.MapStore {
	t.Helper()
	s := loanlogic.MapStore{}
	if _, err := Open(s, owner, now, OpenRequest{LoanContract: loanContract}); err != nil {
		t.Fatal(err)
	}
	return s
}

func snap(id string, balance int64, bucket string, at int64) loanlogic.Snapshot {
	return loanlogic.Snapshot{ID: id, Owner: owner, Balance: balance, RateBps: 600, Bucket: bucket, At: at}
}

func report(t *testing.T, s loanlogic.MapStore, kind string, sn loanlogic.Snapshot) *Portfolio {
	t.Helper()
	p, err := Report(s, loanContract, kind, sn)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func sameState(a, b loanlogic.MapStore) bool {
	return maps.EqualFunc(a, b, func(x, y []byte) bool { return string(x) == string(y) })
}

func TestOpen(t *testing.T) {
	s := opened(t)
	p, err := Load(s, owner)
	if err != nil || p.Owner != owner || p.LoanContract != loanContract || p.OpenedAt != now {
		t.Fatalf("portfolio %+v %v", p, err)
	}
	before := maps.Clone(s)
	if _, err := Open(s, owner, now, OpenRequest{LoanContract: loanContract}); !errors.Is(err, ErrExists) {
		t.Fatalf("open twice: %v", err)
	}
	if _, err := Open(s, stranger, now, OpenRequest{}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("open without loan contract: %v", err)
	}
	if !sameState(s, before) {
		t.Fatal("refused open changed state")
	}
	if _, err := Load(s, stranger); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Load of a stranger: %v", err)
	}
}

// TestRates follows four loans: every count, rate and roll is checked.
func TestRates(t *testing.T) {
	s := opened(t)
	may, jun, jul := utc(2024, 5, 10), utc(2024, 6, 10), utc(2024, 7, 10)
	report(t, s, ReportBoarded, snap("A", 100_000_00, loanlogic.BucketCurrent, may))
	report(t, s, ReportBoarded, snap("B", 50_000_00, loanlogic.BucketCurrent, may))
	report(t, s, ReportBoarded, snap("C", 25_000_00, loanlogic.Bucket30, may)) // boarded delinquent
	report(t, s, ReportBoarded, snap("D", 10_000_00, loanlogic.BucketCurrent, may))
	// June: B becomes 30 days late, C rolls to 60, A pays.
	report(t, s, ReportStatus, snap("B", 50_000_00, loanlogic.Bucket30, jun))
	report(t, s, ReportStatus, snap("C", 25_000_00, loanlogic.Bucket60, jun))
	pa := snap("A", 99_800_00, loanlogic.BucketCurrent, jun)
	pa.Payment = 1_199_11
	report(t, s, ReportPayment, pa)
	// July: B pays its arrears and is cured; D pays off.
	pb := snap("B", 49_000_00, loanlogic.BucketCurrent, jul)
	pb.Payment, pb.Cured = 2_000_00, true
	report(t, s, ReportPayment, pb)
	pd := snap("D", 0, loanlogic.BucketCurrent, jul)
	pd.Payment, pd.PaidOff = 10_050_00, true
	p := report(t, s, ReportPayment, pd)

	want := Portfolio{
		Owner: owner, LoanContract: loanContract, OpenedAt: now,
		Loans: 3, Balance: 99_800_00 + 49_000_00 + 25_000_00,
		Delinquent: 1, DelinquentBalance: 25_000_00,
		Delinquencies: 2, Cures: 1, PaidOff: 1,
		// Entered: current A, B, D on boarding and B on its cure; 30: C
		// on boarding and B; 60: C.
		Entered: [4]int64{4, 2, 1, 0},
		Rolls: [4][4]int64{
			{0, 1, 0, 0}, // B current → 30
			{1, 0, 1, 0}, // B 30 → current, C 30 → 60
		},
		DelinquencyRateBps: 3333,                    // 1/3
		CureRateBps:        5000,                    // 1/2
		RollForwardBps:     [3]int64{2500, 5000, 0}, // 1/4, 1/2, 0/1
		Payments:           3, PaymentsPaid: 1_199_11 + 2_000_00 + 10_050_00,
		UpdatedAt: jul,
	}
	if *p != want {
		t.Fatalf("portfolio\n got %+v\nwant %+v", *p, want)
	}
	for _, tc := range []struct {
		month string
		want  Trend
	}{
		{"2024-05", Trend{Month: "2024-05", Delinquencies: 1}},
		{"2024-06", Trend{Month: "2024-06", Payments: 1, Amount: 1_199_11, Delinquencies: 1}},
		{"2024-07", Trend{Month: "2024-07", Payments: 2, Amount: 12_050_00, Cures: 1}},
		{"2024-08", Trend{Month: "2024-08"}},
	} {
		tr, err := LoadTrend(s, owner, tc.month)
		if err != nil || *tr != tc.want {
			t.Errorf("trend %s: %+v %v; want %+v", tc.month, tr, err, tc.want)
		}
	}
}

func TestRateBpsRoundsHalfUp(t *testing.T) {
	tests := []struct{ n, d, want int64 }{
		{0, 0, 0}, {5, 0, 0}, {1, 3, 3333}, {2, 3, 6667}, {1, 20000, 1}, {1, 20001, 0}, {7, 7, 10000},
	}
	for _, tc := range tests {
		if got := RateBps(tc.n, tc.d); got != tc.want {
			t.Errorf("RateBps(%d, %d) = %d, want %d", tc.n, tc.d, got, tc.want)
		}
	}
}

func TestMonth(t *testing.T) {
	tests := []struct {
		at   int64
		want string
	}{
		{utc(2024, 2, 29), "2024-02"},
		{utc(2024, 3, 1) - 1, "2024-02"},
		{utc(2024, 12, 31) + 86399, "2024-12"},
		{0, "1970-01"},
	}
	for _, tc := range tests {
		if got := Month(tc.at); got != tc.want {
			t.Errorf("Month(%d) = %q, want %q", tc.at, got, tc.want)
		}
	}
}

func TestReportRejects(t *testing.T) {
	other := contract.Address{0x0f}
	tests := []struct {
		name   string
		caller contract.Address
		kind   string
		snap   loanlogic.Snapshot
		want   error
	}{
		{"not the loan contract", stranger, ReportBoarded, snap("N", 1, loanlogic.BucketCurrent, now), ErrUnauthorized},
		{"the owner itself", owner, ReportBoarded, snap("N", 1, loanlogic.BucketCurrent, now), ErrUnauthorized},
		{"boarded twice", loanContract, ReportBoarded, snap("A", 1, loanlogic.BucketCurrent, now), ErrExists},
		{"payment on unknown loan", loanContract, ReportPayment, snap("N", 1, loanlogic.BucketCurrent, now), ErrNotFound},
		{"unknown kind", loanContract, "onWhatever", snap("A", 1, loanlogic.BucketCurrent, now), ErrInvalid},
		{"owner without portfolio", loanContract, ReportBoarded, loanlogic.Snapshot{ID: "N", Owner: other, Bucket: loanlogic.BucketCurrent}, ErrNotFound},
		{"no owner", loanContract, ReportBoarded, loanlogic.Snapshot{ID: "N", Bucket: loanlogic.BucketCurrent}, ErrInvalid},
		{"bad id", loanContract, ReportBoarded, snap("N/1", 1, loanlogic.BucketCurrent, now), ErrInvalid},
		{"empty id", loanContract, ReportBoarded, snap("", 1, loanlogic.BucketCurrent, now), ErrInvalid},
		{"negative balance", loanContract, ReportBoarded, snap("N", -1, loanlogic.BucketCurrent, now), ErrInvalid},
		{"bad bucket", loanContract, ReportBoarded, snap("N", 1, "15", now), ErrInvalid},
		{"negative time", loanContract, ReportBoarded, snap("N", 1, loanlogic.BucketCurrent, -1), ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := opened(t)
			report(t, s, ReportBoarded, snap("A", 10_00, loanlogic.BucketCurrent, now))
			before := maps.Clone(s)
			if _, err := Report(s, tc.caller, tc.kind, tc.snap); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !sameState(s, before) {
				t.Fatal("refused report changed state")
			}
		})
	}
}

func TestLoadTrendRejects(t *testing.T) {
	s := opened(t)
	for _, m := range []string{"2024-13", "2024-6", "24-06", "2024-06-01", ""} {
		if _, err := LoadTrend(s, owner, m); !errors.Is(err, ErrInvalid) {
			t.Errorf("LoadTrend(%q) = %v, want ErrInvalid", m, err)
		}
	}
	s[string(TrendKey(owner, "2024-06"))] = []byte("{")
	if _, err := LoadTrend(s, owner, "2024-06"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("corrupt trend: %v", err)
	}
}

func TestOwnerOfKey(t *testing.T) {
	hex := owner.Hex()
	tests := []struct {
		key string
		ok  bool
	}{
		{"portfolio/" + hex, true},
		{"holding/" + hex + "/L-1", true},
		{"trend/" + hex + "/2024-06", true},
		{"portfolio/" + hex + "/x", false},
		{"holding/" + hex, false},
		{"holding/" + hex + "/", false},
		{"portfolio/0x0E00000000000000000000000000000000000000", false}, // not canonical
		{"portfolio/0x0e", false},
		{"other/" + hex, false},
	}
	for _, tc := range tests {
		a, ok := OwnerOfKey(tc.key)
		if ok != tc.ok || ok && a != owner {
			t.Errorf("OwnerOfKey(%q) = %s, %v; want ok %v", tc.key, a, ok, tc.ok)
		}
	}
}

// malformedIDs are loan ids the loan and pool contracts refuse
// (loanlogic.CheckID), each with what the refusal says.
var malformedIDs = []struct{ name, id, want string }{
	{"empty", "", "id must be 1 to 64 characters"},
	{"too long", strings.Repeat("L", loanlogic.MaxIDLength+1), "id must be 1 to 64 characters"},
	{"slash", "N/1", "may hold only letters, digits"},
	{"space", "L 1", "may hold only letters, digits"},
	{"colon", "L:1", "may hold only letters, digits"},
	{"newline", "L1\n", "may hold only letters, digits"},
	{"NUL", "L\x001", "may hold only letters, digits"},
	{"non-ASCII letter", "Lé", "may hold only letters, digits"},
	{"invalid UTF-8", "L\xff", "may hold only letters, digits"},
}

// TestReportRefusesMalformedIDs: a report naming a loan id the loan and
// pool contracts would refuse is refused here too (ErrInvalid), stating
// why, with nothing written; ids they accept are accepted.
func TestReportRefusesMalformedIDs(t *testing.T) {
	for _, tc := range malformedIDs {
		t.Run(tc.name, func(t *testing.T) {
			if loanlogic.CheckID(tc.id, ErrInvalid) == nil {
				t.Fatalf("CheckID accepts %q: the case is wrong", tc.id)
			}
			s := opened(t)
			before := maps.Clone(s)
			_, err := Report(s, loanContract, ReportBoarded, snap(tc.id, 1, loanlogic.BucketCurrent, now))
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "loan: ") {
				t.Fatalf("err = %v, want ErrInvalid saying %q", err, tc.want)
			}
			if !sameState(s, before) {
				t.Fatal("refused report changed state")
			}
		})
	}
	for _, id := range []string{"A", "loan-2024_06.1", strings.Repeat("9", loanlogic.MaxIDLength)} {
		s := opened(t)
		if _, err := Report(s, loanContract, ReportBoarded, snap(id, 1, loanlogic.BucketCurrent, now)); err != nil {
			t.Errorf("id %q: %v", id, err)
		}
		if _, ok := s.Get(HoldingKey(owner, id)); !ok {
			t.Errorf("id %q: no holding written", id)
		}
	}
}
