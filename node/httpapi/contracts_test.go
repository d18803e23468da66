package httpapi_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/client"
)

// deployCopies deploys the loan contract once with its code, then n-1
// more times by code hash (the code is stored once, so this is cheap),
// and returns the contracts' addresses in ascending order.
func deployCopies(t *testing.T, n *testNode, copies int) []common.Address {
	t.Helper()
	id := n.ChainID()
	a := n.NewMember()
	code := nodetest.LoanWasm(t)
	var addrs []common.Address
	submit := func(x *tx.Tx, wait bool) {
		t.Helper()
		path := api.PathTxs
		if wait {
			path += "?wait=true&timeout=20s"
		}
		r := n.HTTP(http.MethodPost, path, encode(t, x))
		if want := map[bool]int{true: http.StatusOK, false: http.StatusAccepted}[wait]; r.Status != want {
			t.Fatalf("deploy: %d %s", r.Status, r.Body)
		}
		addrs = append(addrs, x.Message().(*tx.Deploy).ContractAddress())
	}
	submit(a.Deploy(t, id, "loan", code), true)
	for i := 1; i < copies; i++ {
		d := tx.Deploy{From: a.Addr, Nonce: a.Nonce, Name: "loan", GasLimit: nodetest.DefaultDeployGas, CodeHash: crypto.Keccak256Hash(code)}
		s, err := tx.SignDeploy(d, nil, id, a.Key)
		if err != nil {
			t.Fatal(err)
		}
		a.Nonce++
		submit(s, i == copies-1)
	}
	slices.SortFunc(addrs, func(x, y common.Address) int { return bytes.Compare(x[:], y[:]) })
	return addrs
}

func TestContractsPagination(t *testing.T) {
	n := start(t, node.Config{})
	want := deployCopies(t, n, 5)

	var got []common.Address
	var pages []int
	cursor := ""
	for range len(want) + 1 {
		q := url.Values{api.ParamLimit: {"2"}}
		if cursor != "" {
			q.Set(api.ParamCursor, cursor)
		}
		r := n.HTTP(http.MethodGet, api.PathContracts+"?"+q.Encode(), nil)
		if r.Status != http.StatusOK {
			t.Fatalf("page %d: %d %s", len(pages), r.Status, r.Body)
		}
		var page api.Contracts
		r.JSON(t, &page)
		pages = append(pages, len(page.Contracts))
		for _, c := range page.Contracts {
			got = append(got, c.Address)
			if c.Name != "loan" || len(c.Methods) == 0 {
				t.Fatalf("contract %+v", c)
			}
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if !reflect.DeepEqual(pages, []int{2, 2, 1}) || !reflect.DeepEqual(got, want) {
		t.Fatalf("pages %v of %v, want [2 2 1] of %v", pages, got, want)
	}

	// The default page holds them all, and says no more follow.
	var all api.Contracts
	n.HTTP(http.MethodGet, api.PathContracts, nil).JSON(t, &all)
	if len(all.Contracts) != len(want) || all.NextCursor != "" {
		t.Fatalf("default page: %d contracts, next %q", len(all.Contracts), all.NextCursor)
	}
	// A page that ends exactly at the last contract has no next cursor.
	var exact api.Contracts
	n.HTTP(http.MethodGet, api.PathContracts+"?limit=5", nil).JSON(t, &exact)
	if len(exact.Contracts) != 5 || exact.NextCursor != "" {
		t.Fatalf("limit=5: %d contracts, next %q", len(exact.Contracts), exact.NextCursor)
	}

	// The client pages the same way, and Contracts follows every page.
	c, err := client.New(n.URL(), client.WithKey(client.NewKey(n.Key())))
	if err != nil {
		t.Fatal(err)
	}
	var viaClient, listed []common.Address
	for ct, err := range c.Contracts(context.Background(), client.PageSize(2)) {
		if err != nil {
			t.Fatal(err)
		}
		viaClient = append(viaClient, ct.Address)
	}
	for ct, err := range c.Contracts(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		listed = append(listed, ct.Address)
	}
	if !reflect.DeepEqual(viaClient, want) || !reflect.DeepEqual(listed, want) {
		t.Fatalf("client pages %v, Contracts %v, want %v", viaClient, listed, want)
	}
}

func TestContractsPaginationErrors(t *testing.T) {
	n := start(t, node.Config{})
	addr := common.HexToAddress("0x00000000000000000000000000000000000000ff")
	tests := []struct {
		name, query string
		code        api.Code
	}{
		{"limit zero", "limit=0", api.CodeBadLimit},
		{"limit negative", "limit=-1", api.CodeBadLimit},
		{"limit not a number", "limit=ten", api.CodeBadLimit},
		{"cursor not hex", "cursor=zz", api.CodeBadCursor},
		{"cursor short", "cursor=00ff", api.CodeBadCursor},
		{"cursor with 0x", "cursor=" + addr.Hex(), api.CodeBadCursor},
		{"cursor upper case", "cursor=00000000000000000000000000000000000000FF", api.CodeBadCursor},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, n.HTTP(http.MethodGet, api.PathContracts+"?"+tt.query, nil), http.StatusBadRequest, tt.code)
		})
	}
	// A well-formed cursor past every contract is an empty last page.
	var page api.Contracts
	r := n.HTTP(http.MethodGet, api.PathContracts+"?cursor=ffffffffffffffffffffffffffffffffffffffff", nil)
	r.JSON(t, &page)
	if r.Status != http.StatusOK || len(page.Contracts) != 0 || page.NextCursor != "" {
		t.Fatalf("past the end: %d %s", r.Status, r.Body)
	}
}
