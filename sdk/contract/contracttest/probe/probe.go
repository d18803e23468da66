// Package probe is the wire form of the conformance contract's "run"
// method: a script of host operations. The conformance contract
// (contracts/conformance) executes it and contracttest.RunConformance writes
// it, so both sides share these types. It must stay importable from a Wasm
// contract: no dependency beyond encoding/json.
package probe

import "encoding/json"

// Op is one step of a run script. Key and Value may be replaced by
// generated strings of KeySize and ValueSize bytes to probe limits.
type Op struct {
	Op        string          `json:"op"` // set, delete, get, has, scan, fill, emit, emits, emit_to, participant, caller_org, has_role, call
	Key       string          `json:"key,omitempty"`
	Value     string          `json:"value,omitempty"`
	KeySize   int             `json:"key_size,omitempty"`
	ValueSize int             `json:"value_size,omitempty"`
	Prefix    string          `json:"prefix,omitempty"`
	Start     string          `json:"start,omitempty"`
	Limit     int             `json:"limit,omitempty"`
	Name      string          `json:"name,omitempty"`
	Data      json.RawMessage `json:"data,omitempty"`
	Count     int             `json:"count,omitempty"`
	// Address is the participant op's address, as 0x and 40 hex digits.
	Address string `json:"address,omitempty"`
	// Role is the has_role op's role.
	Role string `json:"role,omitempty"`
	// Audience is the emit_to op's audience, each entry spelled as the
	// host spells it ("0x…", "org:<id>", "role:<role>", "members").
	Audience []string `json:"audience,omitempty"`
	// Method is the call op's method of the contract at Address, with
	// Data as its arguments and at most Gas (0: as much as it may).
	Method string `json:"method,omitempty"`
	Gas    uint64 `json:"gas,omitempty"`
}

// CallResult is the result of a call op: the callee's code, its failure
// message, and its result on success.
type CallResult struct {
	Code    string          `json:"code"`
	Message string          `json:"message,omitempty"`
	Return  json.RawMessage `json:"return,omitempty"`
}

// Participant is the result of a participant op.
type Participant struct {
	Member bool     `json:"member"`
	Org    string   `json:"org"`
	Roles  []string `json:"roles"`
}

// Script is the argument of run: the ops in order, then how to end.
type Script struct {
	Ops []Op `json:"ops"`
	// Then is "" (succeed), "error", "panic" or "abort", with Message.
	Then    string `json:"then,omitempty"`
	Message string `json:"message,omitempty"`
	// ReturnSize, when set, replaces the result with a JSON string of
	// exactly that many bytes.
	ReturnSize int `json:"return_size,omitempty"`
}
