package main

import (
	"testing"

	"github.com/meshledger/meshledger/sdk/contract/contracttest"
)

func TestPutAndGet(t *testing.T) {
	h := contracttest.New()
	if r := h.Call("put", Note{Key: "a", Text: "hello"}); !r.OK || len(r.Events) != 1 || r.Events[0].Name != "NotePut" {
		t.Fatalf("put: %+v", r)
	}
	var n Note
	r := h.Call("get", Note{Key: "a"})
	if err := r.Decode(&n); err != nil || n.Text != "hello" {
		t.Fatalf("get: %+v %v", r, err)
	}
}

func TestErrorsChangeNothing(t *testing.T) {
	h := contracttest.New()
	if r := h.Call("put", Note{Text: "no key"}); r.OK || r.Code != "error" || r.Message != "key is required" || len(r.Writes) != 0 {
		t.Fatalf("put without key: %+v", r)
	}
	if r := h.Call("get", Note{Key: "missing"}); r.OK || r.Message != "no note missing" {
		t.Fatalf("get missing: %+v", r)
	}
}
