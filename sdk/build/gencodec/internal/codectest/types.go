// Package codectest holds synthetic contract types covering every shape a
// generated codec handles, with their committed generated codec, so that
// differential tests and a fuzzer can hold the generator's output to
// encoding/json.
package codectest

import "github.com/meshledger/meshledger/sdk/contract"

//go:generate go run github.com/meshledger/meshledger/sdk/build/cmd/gencodec -type Scalars,Composite,Tagged,Empty

// Level is a named integer type; Label a named string type.
type (
	Level int16
	Label string
)

// Scalars has one field of every scalar kind.
type Scalars struct {
	S    string
	B    bool
	I    int
	I8   int8
	I16  int16
	I32  int32
	I64  int64
	U    uint
	U8   uint8
	U16  uint16
	U32  uint32
	U64  uint64
	Uptr uintptr
	A    contract.Address
	L    Level
	N    Label
}

// Inner is a flat struct nested in others.
type Inner struct {
	ID     string `json:"id"`
	Amount int64  `json:"amount"`
}

// Composite has arrays, slices, pointers and nested structs.
type Composite struct {
	Name     string              `json:"name"`
	Inner    Inner               `json:"inner"`
	PInner   *Inner              `json:"p_inner"`
	PInt     *int64              `json:"p_int"`
	Ints     []int32             `json:"ints"`
	Addrs    [2]contract.Address `json:"addrs"`
	Grid     [2][3]uint8         `json:"grid"`
	Inners   []Inner             `json:"inners"`
	Nested   [][]string          `json:"nested"`
	PInners  []*Inner            `json:"p_inners"`
	Labels   [0]Label            `json:"labels"`
	internal int
}

// Tagged exercises json tags: renames, "-", omitempty on every kind.
type Tagged struct {
	Renamed  string           `json:"renamed_field"`
	Skipped  string           `json:"-"`
	Dash     string           `json:"-,"`
	NoName   int64            `json:",omitempty"`
	OS       string           `json:"os,omitempty"`
	OB       bool             `json:"ob,omitempty"`
	OI       int32            `json:"oi,omitempty"`
	OU       uint16           `json:"ou,omitempty"`
	OSlice   []int64          `json:"oslice,omitempty"`
	OPtr     *Inner           `json:"optr,omitempty"`
	OArr     [2]int8          `json:"oarr,omitempty"`
	OEmpty   [0]int8          `json:"oempty,omitempty"`
	OStruct  Inner            `json:"ostruct,omitempty"`
	OAddr    contract.Address `json:"oaddr,omitempty"`
	Plain    Level
	unexport string
}

// Empty has no JSON fields.
type Empty struct {
	hidden int
	Skip   bool `json:"-"`
}
