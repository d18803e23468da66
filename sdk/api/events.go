package api

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// Server-Sent Event types ("event:" field) of GET /v1/events.
const (
	SSEBlock = "block" // data: BlockEvent
	SSEEvent = "event" // data: ContractEvent
)

// EventID names one item of the event stream: Seq 0 is the block itself and
// Seq 1.. are the block's contract events in execution order (transaction
// index, then emission order). Its text form "height:seq" is the SSE "id:"
// field; sending it back as Last-Event-ID resumes right after that item.
// IDs are the same on every node and for every filter, so a resumed stream
// has no gap and no duplicate.
type EventID struct {
	Height uint64
	Seq    uint32
}

// String is the wire form "height:seq".
func (id EventID) String() string { return fmt.Sprintf("%d:%d", id.Height, id.Seq) }

// Less orders IDs in stream order.
func (id EventID) Less(o EventID) bool {
	return id.Height < o.Height || (id.Height == o.Height && id.Seq < o.Seq)
}

// ErrBadEventID is returned by ParseEventID for a malformed ID.
var ErrBadEventID = errors.New("bad event id")

// ParseEventID parses "height:seq". A bare "height" means the block item.
func ParseEventID(s string) (EventID, error) {
	hs, ss, hasSeq := strings.Cut(strings.TrimSpace(s), ":")
	h, err := strconv.ParseUint(hs, 10, 64)
	if err != nil {
		return EventID{}, fmt.Errorf("%w %q: height: %v", ErrBadEventID, s, err)
	}
	var seq uint64
	if hasSeq {
		seq, err = strconv.ParseUint(ss, 10, 32)
		if err != nil {
			return EventID{}, fmt.Errorf("%w %q: seq: %v", ErrBadEventID, s, err)
		}
	}
	return EventID{Height: h, Seq: uint32(seq)}, nil
}

// BlockEvent is the data of an SSE "block" event: a block committed. Every
// member receives every block. TxCount is how many transactions it holds;
// TxHashes lists, in block order, all of them for an auditor, and for
// anyone else those that emitted an event the reader receives (GET
// /v1/blocks/{height} lists every transaction the reader may read).
type BlockEvent struct {
	Height   uint64        `json:"height"`
	Hash     common.Hash   `json:"hash"`
	TimeMs   int64         `json:"timeMs"`
	TxCount  int           `json:"txCount"`
	TxHashes []common.Hash `json:"txHashes"`
}

// ContractEvent is the data of an SSE "event" event: an event a committed
// transaction emitted.
type ContractEvent struct {
	Height   uint64         `json:"height"`
	TimeMs   int64          `json:"timeMs"`
	TxIndex  uint32         `json:"txIndex"`
	TxHash   common.Hash    `json:"txHash"`
	Contract common.Address `json:"contract"`
	Name     string         `json:"name"`
	Data     hexutil.Bytes  `json:"data"`
}
