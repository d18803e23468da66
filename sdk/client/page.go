package client

import (
	"iter"
	"net/url"
	"strconv"

	"github.com/meshledger/meshledger/sdk/api"
)

// PageOption changes how an iterator of a paged read (Contracts, History)
// fetches its pages. It never changes what the loop sees, only how many
// items each request asks for.
type PageOption func(*pageConfig)

type pageConfig struct{ size int }

// PageSize asks the node for n items per request (the node caps it at its
// own maximum). A loop that needs only the first few items wastes less
// with a small page; a full scan makes fewer requests with a large one.
func PageSize(n int) PageOption { return func(c *pageConfig) { c.size = n } }

func pageSize(def int, opts []PageOption) int {
	c := pageConfig{size: def}
	for _, o := range opts {
		o(&c)
	}
	return c.size
}

// pageQuery is the query of one page: its cursor and page size.
func pageQuery(cursor string, size int) url.Values {
	q := url.Values{}
	if cursor != "" {
		q.Set(api.ParamCursor, cursor)
	}
	if size > 0 {
		q.Set(api.ParamLimit, strconv.Itoa(size))
	}
	return q
}

// paged turns a page fetcher into an iterator. fetch returns one page
// after cursor ("" for the first) and the next cursor, empty after the
// last page. A cursor that does not move also ends the iteration, so that
// a node answering the same page forever cannot loop the caller.
func paged[T any](fetch func(cursor string) ([]T, string, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		cursor := ""
		for {
			items, next, err := fetch(cursor)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			if next == "" || next == cursor {
				return
			}
			cursor = next
		}
	}
}
