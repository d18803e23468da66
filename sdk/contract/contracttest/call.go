package contracttest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sort"
	"strings"

	"github.com/meshledger/meshledger/sdk/contract"
	"github.com/meshledger/meshledger/sdk/contract/internal/hostlink"
)

// pending is a buffered write of the running call.
type pending struct {
	value []byte
	del   bool
}

// call is the host side of one running call: the ABI of docs/abi.md over
// the host's committed state plus this call's buffered writes.
type call struct {
	host     *Host
	caller   contract.Address
	method   string
	args     []byte
	readOnly bool

	writes     map[string]pending
	events     []Event
	eventBytes int
	ret        []byte
	callOut    []byte // the last cross-contract call's outcome encoding
}

var _ hostlink.Host = (*call)(nil)

func fail(code, format string, a ...any) {
	panic(&hostlink.Failure{Code: code, Message: fmt.Sprintf(format, a...)})
}

func (c *call) MethodLen() int        { return len(c.method) }
func (c *call) MethodRead(buf []byte) { copy(buf, c.method) }
func (c *call) ArgsLen() int          { return len(c.args) }
func (c *call) ArgsRead(buf []byte)   { copy(buf, c.args) }
func (c *call) Caller() [20]byte      { return c.caller }
func (c *call) SelfAddress() [20]byte { return c.host.self }
func (c *call) TxHash() [32]byte      { return c.host.txHash }
func (c *call) BlockHeight() uint64   { return c.host.height }
func (c *call) BlockTimeMs() int64    { return c.host.timeMs }
func (c *call) GasLeft() uint64       { return c.host.gas }

func checkKey(key []byte) {
	if len(key) > MaxKeySize {
		fail(CodeBadKey, "key of %d bytes exceeds %d", len(key), MaxKeySize)
	}
}

// lookup reads through the call's own writes to committed state.
func (c *call) lookup(key []byte) ([]byte, bool) {
	if p, ok := c.writes[string(key)]; ok {
		return p.value, !p.del
	}
	v, ok := c.host.state[string(key)]
	return v, ok
}

func (c *call) StateGet(key, buf []byte) int {
	checkKey(key)
	v, ok := c.lookup(key)
	if !ok {
		return -1
	}
	copy(buf, v)
	return len(v)
}

func (c *call) StateHas(key []byte) bool {
	checkKey(key)
	_, ok := c.lookup(key)
	return ok
}

func (c *call) write(key []byte, p pending) {
	if c.readOnly {
		fail(CodeReadOnly, "write in a read-only call")
	}
	checkKey(key)
	if len(p.value) > MaxValueSize {
		fail(CodeValueTooLarge, "value of %d bytes exceeds %d", len(p.value), MaxValueSize)
	}
	c.writes[string(key)] = p
}

func (c *call) StateSet(key, value []byte) {
	c.write(key, pending{value: append([]byte{}, value...)})
}

func (c *call) StateDelete(key []byte) { c.write(key, pending{del: true}) }

func (c *call) StateScan(prefix, start []byte, limit int32, buf []byte) int {
	checkKey(prefix)
	checkKey(start)
	if bytes.Compare(start, prefix) < 0 {
		start = prefix
	}
	n := int(min(limit, MaxScanEntries))
	keys := map[string]bool{}
	for k := range c.host.state {
		keys[k] = true
	}
	for k := range c.writes {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		if strings.HasPrefix(k, string(prefix)) && k >= string(start) {
			sorted = append(sorted, k)
		}
	}
	sort.Strings(sorted)
	enc := binary.LittleEndian.AppendUint32(nil, 0)
	count := uint32(0)
	for _, k := range sorted {
		if int(count) >= n {
			break
		}
		v, ok := c.lookup([]byte(k))
		if !ok {
			continue
		}
		enc = binary.LittleEndian.AppendUint32(enc, uint32(len(k)))
		enc = append(enc, k...)
		enc = binary.LittleEndian.AppendUint32(enc, uint32(len(v)))
		enc = append(enc, v...)
		count++
	}
	binary.LittleEndian.PutUint32(enc, count)
	if len(enc) <= len(buf) {
		copy(buf, enc)
	}
	return len(enc)
}

func (c *call) Emit(name string, data []byte) { c.EmitTo(name, data, nil) }

func (c *call) EmitTo(name string, data, audience []byte) {
	c.eventBytes += len(name) + len(data) + len(audience)
	if len(c.events) >= MaxEvents || c.eventBytes > MaxEventBytes {
		fail(CodeEventLimit, "more than %d events or %d event bytes", MaxEvents, MaxEventBytes)
	}
	aud, err := parseAudience(string(audience))
	if err != nil {
		fail(CodeBadAudience, "%v", err)
	}
	c.events = append(c.events, Event{Name: name, Data: append([]byte{}, data...), Audience: aud})
}

func (c *call) Participant(addr [20]byte, buf []byte) int {
	p, ok := c.host.participants[addr]
	if !ok {
		return -1
	}
	enc := binary.LittleEndian.AppendUint32(nil, uint32(len(p.Org)))
	enc = append(enc, p.Org...)
	enc = binary.LittleEndian.AppendUint32(enc, uint32(len(p.Roles)))
	for _, r := range p.Roles {
		enc = binary.LittleEndian.AppendUint32(enc, uint32(len(r)))
		enc = append(enc, r...)
	}
	if len(enc) <= len(buf) {
		copy(buf, enc)
	}
	return len(enc)
}

func (c *call) SetReturn(data []byte) {
	if len(data) > MaxReturnSize {
		fail(CodeReturnTooLarge, "return data of %d bytes exceeds %d", len(data), MaxReturnSize)
	}
	c.ret = append(c.ret[:0:0], data...)
}

func (c *call) Abort(msg string) { fail(CodeAborted, "%s", msg) }

func (c *call) sortedWrites() []Write {
	if len(c.writes) == 0 {
		return nil
	}
	keys := make([]string, 0, len(c.writes))
	for k := range c.writes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	ws := make([]Write, len(keys))
	for i, k := range keys {
		p := c.writes[k]
		ws[i] = Write{Key: []byte(k), Value: p.value, Delete: p.del}
	}
	return ws
}
