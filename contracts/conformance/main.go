// Command conformance is the contract that contracttest.RunConformance
// drives to prove that the mock host and the real Wasm host behave the
// same. Its methods are small, scriptable probes of every host feature;
// they are not a pattern for real contracts.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/meshledger/meshledger/sdk/contract"
	"github.com/meshledger/meshledger/sdk/contract/contracttest/probe"
)

func main() {}

func init() {
	contract.Method("run", run)
	contract.Method("env", env)
	contract.Method("typed", typed)
	contract.ReadPolicy(canRead)
}

// Op and Script are the run method's wire form, shared with the suite.
type (
	Op     = probe.Op
	Script = probe.Script
)

// GetResult is the result of a get op.
type GetResult struct {
	Found bool   `json:"found"`
	Value string `json:"value"`
}

// Entry is one scanned entry.
type Entry struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

func run(ctx *contract.Context, s Script) (json.RawMessage, error) {
	results := make([]any, 0, len(s.Ops))
	for i, op := range s.Ops {
		key, value := []byte(op.Key), []byte(op.Value)
		if op.KeySize > 0 {
			key = []byte(strings.Repeat("k", op.KeySize))
		}
		if op.ValueSize > 0 {
			value = []byte(strings.Repeat("v", op.ValueSize))
		}
		switch op.Op {
		case "set":
			ctx.Set(key, value)
			results = append(results, nil)
		case "delete":
			ctx.Delete(key)
			results = append(results, nil)
		case "get":
			v, ok := ctx.Get(key)
			results = append(results, GetResult{Found: ok, Value: string(v)})
		case "has":
			results = append(results, ctx.Has(key))
		case "scan":
			kvs := ctx.Scan([]byte(op.Prefix), []byte(op.Start), op.Limit)
			entries := make([]Entry, len(kvs))
			for j, kv := range kvs {
				entries[j] = Entry{Key: string(kv.Key), Value: string(kv.Value)}
			}
			results = append(results, entries)
		case "fill":
			// Count keys Prefix+"0000"... with value "v", to seed scans.
			for j := range op.Count {
				ctx.Set([]byte(fmt.Sprintf("%s%04d", op.Prefix, j)), []byte("v"))
			}
			results = append(results, nil)
		case "emit":
			if err := ctx.Emit(op.Name, op.Data); err != nil {
				return nil, err
			}
			results = append(results, nil)
		case "emits":
			// Count events named Name, each a JSON string of ValueSize bytes.
			payload := json.RawMessage(`"` + strings.Repeat("e", max(op.ValueSize-2, 0)) + `"`)
			for range op.Count {
				if err := ctx.Emit(op.Name, payload); err != nil {
					return nil, err
				}
			}
			results = append(results, nil)
		case "emit_to":
			aud, err := audience(op.Audience)
			if err != nil {
				return nil, fmt.Errorf("op %d: %w", i, err)
			}
			var data any = op.Data
			if op.ValueSize > 0 {
				// A JSON string of exactly ValueSize bytes.
				data = json.RawMessage(`"` + strings.Repeat("e", max(op.ValueSize-2, 0)) + `"`)
			}
			if err := ctx.EmitTo(op.Name, data, aud...); err != nil {
				return nil, err
			}
			results = append(results, nil)
		case "participant":
			a, err := contract.ParseAddress(op.Address)
			if err != nil {
				return nil, fmt.Errorf("op %d: %w", i, err)
			}
			p, ok := ctx.Participant(a)
			results = append(results, probe.Participant{Member: ok, Org: p.Org, Roles: p.Roles})
		case "call":
			a, err := contract.ParseAddress(op.Address)
			if err != nil {
				return nil, fmt.Errorf("op %d: %w", i, err)
			}
			var r probe.CallResult
			var args any
			if op.Data != nil {
				args = op.Data
			}
			err = ctx.CallWithGas(a, op.Method, op.Gas, args, &r.Return)
			var ce *contract.CallError
			switch {
			case errors.As(err, &ce):
				r.Code, r.Message = ce.Code, ce.Message
			case err != nil:
				return nil, fmt.Errorf("op %d: %w", i, err)
			default:
				r.Code = "ok"
			}
			results = append(results, r)
		case "caller_org":
			results = append(results, ctx.CallerOrg())
		case "has_role":
			results = append(results, ctx.HasRole(op.Role))
		default:
			return nil, fmt.Errorf("op %d: unknown op %q", i, op.Op)
		}
	}
	switch s.Then {
	case "":
	case "error":
		return nil, errors.New(s.Message)
	case "panic":
		panic(s.Message)
	case "abort":
		ctx.Abort(s.Message)
	default:
		return nil, fmt.Errorf("unknown ending %q", s.Then)
	}
	if s.ReturnSize > 0 {
		return json.RawMessage(`"` + strings.Repeat("r", max(s.ReturnSize-2, 0)) + `"`), nil
	}
	return json.Marshal(results)
}

// audience builds the SDK's audience from the host's spelling of it.
func audience(entries []string) ([]contract.Audience, error) {
	out := make([]contract.Audience, 0, len(entries))
	for _, e := range entries {
		switch {
		case e == "members":
			out = append(out, contract.ToMembers())
		case strings.HasPrefix(e, "org:"):
			out = append(out, contract.ToOrg(strings.TrimPrefix(e, "org:")))
		case strings.HasPrefix(e, "role:"):
			out = append(out, contract.ToRole(strings.TrimPrefix(e, "role:")))
		default:
			a, err := contract.ParseAddress(e)
			if err != nil {
				return nil, fmt.Errorf("audience entry %q: %w", e, err)
			}
			out = append(out, contract.ToAddress(a))
		}
	}
	return out, nil
}

// canRead is the read policy: keys under "pub/" are public, a key whose
// value is the reader's address is the reader's, members with role reader
// read everything, and the key "panic" panics.
func canRead(ctx *contract.Context, key []byte) bool {
	switch {
	case string(key) == "panic":
		panic("policy panicked")
	case strings.HasPrefix(string(key), "pub/"):
		return true
	case ctx.HasRole("reader"):
		return true
	}
	v, ok := ctx.Get(key)
	return ok && string(v) == ctx.Caller().Hex()
}

// Env is everything a call knows about its context.
type Env struct {
	Caller     contract.Address `json:"caller"`
	Self       contract.Address `json:"self"`
	Height     uint64           `json:"height"`
	Time       int64            `json:"time"`
	TimeMillis int64            `json:"time_ms"`
	TxHash     string           `json:"tx_hash"`
	HasGas     bool             `json:"has_gas"`
}

func env(ctx *contract.Context, _ struct{}) (Env, error) {
	h := ctx.TxHash()
	return Env{
		Caller:     ctx.Caller(),
		Self:       ctx.Self(),
		Height:     ctx.Height(),
		Time:       ctx.Time(),
		TimeMillis: ctx.TimeMillis(),
		TxHash:     fmt.Sprintf("0x%x", h[:]),
		HasGas:     ctx.GasLeft() > 0,
	}, nil
}

// Typed has strict field types, to probe bad_args.
type Typed struct {
	N int    `json:"n"`
	S string `json:"s"`
}

func typed(_ *contract.Context, t Typed) (Typed, error) { return t, nil }
