package main

import (
	"slices"
	"testing"

	"github.com/meshledger/meshledger/contracts/loan/loanlogic"
	"github.com/meshledger/meshledger/contracts/pool/poollogic"
	"github.com/meshledger/meshledger/sdk/contract"
	"github.com/meshledger/meshledger/sdk/contract/contracttest"
)

var (
	securitizer  = contract.Address{0x5c}
	other        = contract.Address{0x5d} // a second securitizer
	loanContract = contract.Address{0x10}
	stranger     = contract.Address{0x99}
	auditor      = contract.Address{0xad}
)

func newHost(t *testing.T) *contracttest.Host {
	t.Helper()
	h := contracttest.New()
	h.SetParticipant(securitizer, "securities", poollogic.RoleSecuritizer)
	h.SetParticipant(other, "other-securities", poollogic.RoleSecuritizer)
	h.SetParticipant(stranger, "homes", "borrower")
	h.SetParticipant(auditor, "audit", loanlogic.RoleAuditor)
	h.SetCaller(securitizer)
	if res := h.Call("createPool", poollogic.CreateRequest{ID: "P1", LoanContract: loanContract}); !res.OK {
		t.Fatalf("createPool: %s %s", res.Code, res.Message)
	}
	return h
}

func snap(id string, balance int64, bucket string) loanlogic.Snapshot {
	return loanlogic.Snapshot{ID: id, Securitizer: securitizer, Pool: "P1", Balance: balance, RateBps: 500, Bucket: bucket, At: 1}
}

func TestCreatePool(t *testing.T) {
	h := newHost(t)
	var p poollogic.Pool
	if err := h.Query("pool", PoolRequest{Pool: "P1"}).Decode(&p); err != nil || p.Securitizer != securitizer || p.LoanContract != loanContract {
		t.Fatalf("pool %+v %v", p, err)
	}
	for _, tc := range []struct {
		caller contract.Address
		msg    string
	}{
		{stranger, "not authorized: creating a pool needs the role securitizer"},
		{auditor, "not authorized: creating a pool needs the role securitizer"},
		{securitizer, `already exists: pool "P1"`},
	} {
		h.SetCaller(tc.caller)
		if res := h.Call("createPool", poollogic.CreateRequest{ID: "P1", LoanContract: loanContract}); res.OK || res.Message != tc.msg || len(res.Writes) != 0 {
			t.Errorf("createPool by %s: %s %q, want %q", tc.caller, res.Code, res.Message, tc.msg)
		}
	}
}

func TestReports(t *testing.T) {
	h := newHost(t)
	h.SetCaller(loanContract)
	res := h.Call("onLoanBoarded", snap("A", 100_00, loanlogic.Bucket30))
	var d poollogic.Disclosure
	if err := res.Decode(&d); err != nil || d.Loans != 1 || d.Buckets.D30.Count != 1 || d.WACBps != 500 {
		t.Fatalf("disclosure %+v %v", d, err)
	}
	if len(res.Events) != 1 || res.Events[0].Name != EventDisclosureUpdated || !slices.Equal(res.Events[0].Audience, []string{securitizer.Hex()}) {
		t.Fatalf("events %+v", res.Events)
	}
	cured := snap("A", 90_00, loanlogic.BucketCurrent)
	cured.Cured, cured.Payment = true, 10_00
	if err := h.Call("onPayment", cured).Decode(&d); err != nil || d.Cures != 1 || d.Balance != 90_00 || d.Buckets.Current.Count != 1 {
		t.Fatalf("after payment %+v %v", d, err)
	}
	if err := h.Call("onStatusChange", snap("A", 90_00, loanlogic.Bucket60)).Decode(&d); err != nil || d.Buckets.D60.Balance != 90_00 {
		t.Fatalf("after status %+v %v", d, err)
	}
	// Only the pool's loan contract reports, and the refusal changes
	// nothing.
	for _, who := range []contract.Address{securitizer, stranger, auditor} {
		h.SetCaller(who)
		res := h.Call("onPayment", snap("A", 1, loanlogic.BucketCurrent))
		if res.OK || res.Message != "not authorized: only the loan contract "+loanContract.Hex()+` reports to pool "P1"` || len(res.Writes) != 0 {
			t.Errorf("report by %s: %s %q", who, res.Code, res.Message)
		}
	}
	h.SetCaller(loanContract)
	if res := h.Call("onPayment", map[string]any{"id": "A", "pool": "P1", "bucket": "current", "extra": 1}); res.OK || res.Code != "bad_args" {
		t.Errorf("unknown field: %s %q", res.Code, res.Message)
	}
}

// TestDisclosureReads: the pool's securitizer and auditors read its
// records; another securitizer or anyone else is refused alike whether or
// not the pool exists.
func TestDisclosureReads(t *testing.T) {
	h := newHost(t)
	h.SetCaller(loanContract)
	if res := h.Call("onLoanBoarded", snap("A", 100_00, loanlogic.BucketCurrent)); !res.OK {
		t.Fatal(res.Message)
	}
	for _, tc := range []struct {
		who  contract.Address
		want bool
	}{{securitizer, true}, {auditor, true}, {other, false}, {stranger, false}, {loanContract, false}} {
		h.SetCaller(tc.who)
		for _, q := range []struct {
			method string
			args   any
		}{
			{"pool", PoolRequest{Pool: "P1"}},
			{"disclosure", PoolRequest{Pool: "P1"}},
			{"member", MemberRequest{Pool: "P1", Loan: "A"}},
		} {
			if res := h.Query(q.method, q.args); res.OK != tc.want {
				t.Errorf("%s by %s: %s %s", q.method, tc.who, res.Code, res.Message)
			}
		}
		if tc.who == auditor {
			continue
		}
		for _, key := range []string{"pool/P1", "disclosure/P1", "member/P1/A"} {
			if got, _ := h.CanRead(tc.who, []byte(key)); got != tc.want {
				t.Errorf("CanRead(%s, %s) = %v", tc.who, key, got)
			}
		}
	}
	h.SetCaller(other)
	missing, existing := h.Query("disclosure", PoolRequest{Pool: "P9"}), h.Query("disclosure", PoolRequest{Pool: "P1"})
	if missing.Message != `not authorized: the caller is not the securitizer of a pool "P9"` || existing.Message != `not authorized: the caller is not the securitizer of a pool "P1"` {
		t.Fatalf("refusals %q, %q", missing.Message, existing.Message)
	}
	h.SetCaller(auditor)
	if res := h.Query("disclosure", PoolRequest{Pool: "P9"}); res.OK || res.Message != `not found: pool "P9"` {
		t.Fatalf("auditor on a missing pool: %q", res.Message)
	}
	if got, _ := h.CanRead(securitizer, []byte("other/P1")); got {
		t.Fatal("a key outside the pools is readable")
	}
}
