package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/runtime"
)

// opsContract is a scripted contract for the parallel executor's
// differential tests: its one method "ops" runs a list of operations that
// read, write, scan, call other contracts, ask the directory, fail or run
// out of gas, and its return and event carry everything it saw (its env
// included), so any difference in what a transaction read or was told
// shows in its receipt. It keeps no state of its own and is safe for
// concurrent use.
type opsContract struct{}

// op is one operation; exactly one of its fields is set.
type op struct {
	Get  string `json:"get,omitempty"`  // read a key into the trace
	Add  string `json:"add,omitempty"`  // key += N (absent: 0)
	N    int    `json:"n,omitempty"`    //
	Del  string `json:"del,omitempty"`  // delete a key
	Scan string `json:"scan,omitempty"` // read every key with this prefix
	// Limit stops the scan after that many keys (0: all).
	Limit int `json:"limit,omitempty"`
	// Call runs Ops at contract Call; a failure fails this call unless
	// Handle.
	Call   *common.Address `json:"call,omitempty"`
	Ops    []op            `json:"ops,omitempty"`
	Handle bool            `json:"handle,omitempty"`
	Who    bool            `json:"who,omitempty"`  // the caller's organisation
	Fail   bool            `json:"fail,omitempty"` // fail here
	Burn   bool            `json:"burn,omitempty"` // use all the gas left
	Boom   bool            `json:"boom,omitempty"` // a host failure
}

// errScriptHost is the host failure of op Boom.
var errScriptHost = errors.New("scripted host failure")

// opGas is what each operation costs, besides a callee's own gas.
const opGas = 50

func (opsContract) Call(ctx context.Context, env runtime.Env, method string, args []byte, st runtime.State) (*runtime.Result, error) {
	switch method {
	case "init":
		return &runtime.Result{Code: runtime.CodeOK}, nil
	case "ops":
	default:
		return &runtime.Result{Code: runtime.CodeUnknownMethod, Message: "no method " + method}, nil
	}
	var ops []op
	if err := json.Unmarshal(args, &ops); err != nil {
		return &runtime.Result{Code: runtime.CodeBadArgs, Message: err.Error()}, nil
	}
	r := &opsRun{env: env, st: st, writes: map[string]*string{}}
	return r.run(ctx, ops)
}

type opsRun struct {
	env    runtime.Env
	st     runtime.State
	writes map[string]*string // nil: deleted
	trace  []string
	gas    uint64
}

func (r *opsRun) get(key string) (string, bool, error) {
	if v, ok := r.writes[key]; ok {
		if v == nil {
			return "", false, nil
		}
		return *v, true, nil
	}
	v, ok, err := r.st.Get([]byte(key))
	return string(v), ok, err
}

func (r *opsRun) fail(code runtime.Code, msg string) *runtime.Result {
	return &runtime.Result{Code: code, Message: msg, GasUsed: min(r.gas, r.env.GasLimit)}
}

func (r *opsRun) run(ctx context.Context, ops []op) (*runtime.Result, error) {
	r.trace = append(r.trace, fmt.Sprintf("env %x %x %d %d %d %d", r.env.Caller, r.env.TxHash, r.env.Height, r.env.TimeMs, r.env.GasLimit, r.env.Depth))
	for _, o := range ops {
		r.gas += opGas
		if r.gas > r.env.GasLimit {
			return r.fail(runtime.CodeOutOfGas, "out of gas"), nil
		}
		switch {
		case o.Get != "":
			v, ok, err := r.get(o.Get)
			if err != nil {
				return nil, err
			}
			r.trace = append(r.trace, fmt.Sprintf("get %s=%s/%v", o.Get, v, ok))
		case o.Add != "":
			v, _, err := r.get(o.Add)
			if err != nil {
				return nil, err
			}
			n, _ := strconv.Atoi(v)
			s := strconv.Itoa(n + o.N)
			r.writes[o.Add] = &s
			r.trace = append(r.trace, "add "+o.Add+"="+s)
		case o.Del != "":
			r.writes[o.Del] = nil
		case o.Scan != "":
			if err := r.scan(o.Scan, o.Limit); err != nil {
				return nil, err
			}
		case o.Call != nil:
			sub, _ := json.Marshal(o.Ops)
			res, err := r.env.Calls.CallContract(ctx, runtime.CallRequest{
				From: r.env.Contract, To: runtime.Address(*o.Call), Method: "ops", Args: sub,
				GasLimit: r.env.GasLimit - r.gas, Depth: r.env.Depth + 1,
			})
			if err != nil {
				return nil, err
			}
			r.gas += res.GasUsed
			r.trace = append(r.trace, fmt.Sprintf("call %s %s %s", res.Code, res.Return, res.Message))
			if !res.OK() && !o.Handle {
				return r.fail(res.Code, "callee: "+res.Message), nil
			}
		case o.Who:
			p, ok, err := r.env.Directory.Participant(r.env.Caller)
			if err != nil {
				return nil, err
			}
			r.trace = append(r.trace, fmt.Sprintf("who %s %v %v", p.Org, p.Roles, ok))
		case o.Fail:
			return r.fail(runtime.CodeError, "failed on purpose: "+strings.Join(r.trace, "; ")), nil
		case o.Boom:
			return nil, errScriptHost
		case o.Burn:
			r.gas = r.env.GasLimit + 1
			return r.fail(runtime.CodeOutOfGas, "burnt"), nil
		}
	}
	ret, _ := json.Marshal(r.trace)
	res := &runtime.Result{Code: runtime.CodeOK, Return: ret, GasUsed: r.gas}
	res.Events = []runtime.Event{{Name: "trace", Data: ret}}
	keys := make([]string, 0, len(r.writes))
	for k := range r.writes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if v := r.writes[k]; v == nil {
			res.Writes = append(res.Writes, runtime.Write{Key: []byte(k), Delete: true})
		} else {
			res.Writes = append(res.Writes, runtime.Write{Key: []byte(k), Value: []byte(*v)})
		}
	}
	return res, nil
}

// scan traces the keys with prefix as the call sees them: its own writes
// over its state.
func (r *opsRun) scan(prefix string, limit int) error {
	seen := map[string]string{}
	err := r.st.Iterate([]byte(prefix), nil, func(k, v []byte) bool {
		seen[string(k)] = string(v)
		return limit == 0 || len(seen) < limit
	})
	if err != nil {
		return err
	}
	for k, v := range r.writes {
		if strings.HasPrefix(k, prefix) {
			if v == nil {
				delete(seen, k)
			} else {
				seen[k] = *v
			}
		}
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s,", k, seen[k])
	}
	r.trace = append(r.trace, "scan "+prefix+" "+b.String())
	return nil
}

// opsEngine loads opsContract whatever the code. (ledger/enginetest
// imports this package, so its tests cannot use it here.)
type opsEngine struct{}

func (opsEngine) Load(context.Context, []byte) (Contract, error) { return opsContract{}, nil }

func (opsEngine) LoadCached(context.Context, common.Hash) (Contract, bool, error) {
	return nil, false, nil
}
