// Package bad declares types a generated codec must refuse.
package bad

import (
	"encoding/json"
	"time"
)

type Inner struct{ A int }

type (
	HasMap       struct{ M map[string]int }
	HasFloat     struct{ F float64 }
	HasAny       struct{ X any }
	HasBytes     struct{ B []byte }
	HasEmbedded  struct{ Inner }
	HasStringOpt struct {
		N int64 `json:"n,string"`
	}
	HasOtherPkg  struct{ T time.Duration }
	HasPtrPtr    struct{ P **int }
	HasUnnamed   struct{ S struct{ A int } }
	HasDuplicate struct {
		A int `json:"x"`
		B int `json:"x"`
	}
	HasBadName struct {
		A int `json:"a<b"`
	}
	HasRaw         struct{ R json.RawMessage }
	OwnMarshal     struct{ A int }
	HasOwnField    struct{ O OwnMarshal }
	NotStruct      int
	Generic[T any] struct{ V T }
)

func (OwnMarshal) MarshalJSON() ([]byte, error) { return []byte("1"), nil }
