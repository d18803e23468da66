package ledger

import (
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/sdk/manifest"
	"github.com/meshledger/meshledger/status"
)

// ErrBadManifest: a deploy's or upgrade's code carries a manifest that is
// not valid. Admission refuses it with this error; a block that includes
// it anyway gives a failed receipt with status bad_manifest.
var ErrBadManifest = errors.New("bad manifest")

// manifestsKept bounds the compiled manifests a ledger keeps: one per code
// hash, so a few hundred covers every contract a network runs; past it
// the oldest is compiled again when needed (same result, some work).
const manifestsKept = 256

// codeManifest is what the ledger knows of one code's manifest: none, a
// refused one (bad), or a valid one with its argument schemas compiled.
type codeManifest struct {
	m    *manifest.Manifest // nil when the code carries none or it is bad
	hash common.Hash        // manifest.Hash of m
	// raw is m's canonical encoding: what the node serves.
	raw []byte
	// args holds the compiled argument schema of each method.
	args map[string]*argSchema
	// bad, when set, is why the manifest was refused (deploys fail
	// bad_manifest with it).
	bad string
	// malformed: the module's sections do not frame. The runtime refuses
	// such code (malformed) before its manifest is looked at, so
	// admission leaves the refusal to it.
	malformed bool
}

// manifestCache keeps compiled manifests by code hash. Compiling the same
// code always gives the same result, so what the cache holds never
// changes an outcome, only its cost. The zero value is ready.
type manifestCache struct {
	mu      sync.Mutex
	entries map[common.Hash]*codeManifest
	order   []common.Hash // oldest first
}

func (c *manifestCache) get(hash common.Hash) (*codeManifest, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.entries[hash]
	return m, ok
}

func (c *manifestCache) put(hash common.Hash, m *codeManifest) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = make(map[common.Hash]*codeManifest)
	}
	if _, ok := c.entries[hash]; ok {
		return
	}
	c.entries[hash] = m
	c.order = append(c.order, hash)
	if len(c.order) > manifestsKept {
		delete(c.entries, c.order[0])
		c.order = c.order[1:]
	}
}

// manifestOf returns the manifest of the code of hash (pending in b or
// stored). Only host failures (the code cannot be read) are errors.
func (l *Ledger) manifestOf(b *pendingBlock, hash common.Hash) (*codeManifest, error) {
	if m, ok := l.manifests.get(hash); ok {
		return m, nil
	}
	code, err := l.codeOf(b, hash)
	if err != nil {
		return nil, fmt.Errorf("manifest of code %s: %w", hash, err)
	}
	m := compileManifest(code)
	l.manifests.put(hash, m)
	return m, nil
}

// compileManifest reads and checks the manifest section of code. Code
// that is not Wasm (an engine other than the Wasm runtime) has none.
func compileManifest(code []byte) *codeManifest {
	raw, ok, err := manifest.Extract(code)
	switch {
	case errors.Is(err, manifest.ErrNotWasm):
		return &codeManifest{}
	case err != nil:
		return &codeManifest{bad: fmt.Sprintf("manifest section: %v", err), malformed: true}
	case !ok:
		return &codeManifest{}
	}
	m, err := manifest.Parse(raw)
	if err != nil {
		return &codeManifest{bad: err.Error()}
	}
	out, err := m.Encode()
	if err != nil {
		return &codeManifest{bad: err.Error()}
	}
	cm := &codeManifest{m: m, hash: common.Hash(m.Hash()), raw: out, args: make(map[string]*argSchema, len(m.Methods))}
	if msg := cm.compile(); msg != "" {
		return &codeManifest{bad: msg}
	}
	return cm
}

// compile compiles every schema of the manifest, in a fixed order (methods
// and events by name, state records in their order), so that the first
// refusal reported is the same on every node. It returns the refusal, or
// "".
func (cm *codeManifest) compile() string {
	c := schemaCompiler()
	for i, name := range sortedNames(cm.m.Methods) {
		meth := cm.m.Methods[name]
		sch, err := compileSchema(c, schemaURL("args", i), "methods."+name+".args", meth.Args)
		if err != nil {
			return err.Error()
		}
		cm.args[name] = newArgSchema(sch, meth.Args)
		if _, err := compileSchema(c, schemaURL("result", i), "methods."+name+".result", meth.Result); err != nil {
			return err.Error()
		}
	}
	for i, name := range sortedNames(cm.m.Events) {
		if _, err := compileSchema(c, schemaURL("events", i), "events."+name, cm.m.Events[name]); err != nil {
			return err.Error()
		}
	}
	for i, s := range cm.m.State {
		if _, err := compileSchema(c, schemaURL("state", i), fmt.Sprintf("state[%d] (%q)", i, s.Prefix), s.Schema); err != nil {
			return err.Error()
		}
	}
	return ""
}

// checkArgs validates a call's arguments against the argument schema of
// method in the manifest of the code of codeHash. It returns an *ArgsError
// when they fail it; nil when they pass, when the code has no manifest,
// or when the manifest does not list the method (the contract answers
// unknown_method itself). Other errors are host failures.
func (l *Ledger) checkArgs(b *pendingBlock, codeHash common.Hash, method string, args []byte) error {
	cm, err := l.manifestOf(b, codeHash)
	if err != nil {
		return err
	}
	sch := cm.args[method]
	if sch == nil {
		return nil
	}
	return validateArgs(sch, method, args)
}

// checkCallArgs is admission's argument check of a call to a contract:
// against the manifest of the code the contract runs at the latest block.
// A contract that does not exist is ErrUnknownContract.
func (l *Ledger) checkCallArgs(c *tx.Call) error {
	rec, err := l.contractRecord(nil, c.Contract)
	if err != nil {
		return err
	}
	if rec == nil {
		return fmt.Errorf("%w: %s", ErrUnknownContract, c.Contract)
	}
	return l.checkArgs(nil, rec.CodeHash, c.Method, c.Args)
}

// Manifest returns the canonical encoding of the manifest of the code the
// contract at addr runs now, and false when it carries none. A contract
// that does not exist is ErrUnknownContract.
func (l *Ledger) Manifest(addr common.Address) ([]byte, bool, error) {
	if err := l.checkOpen(); err != nil {
		return nil, false, err
	}
	rec, err := l.contractRecord(nil, addr)
	if err != nil {
		return nil, false, err
	}
	if rec == nil {
		return nil, false, fmt.Errorf("%w: %s", ErrUnknownContract, addr)
	}
	cm, err := l.manifestOf(nil, rec.CodeHash)
	if err != nil {
		return nil, false, err
	}
	if cm.m == nil {
		return nil, false, nil
	}
	return cm.raw, true, nil
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// checkManifest is a deploy's or upgrade's manifest check, before its init
// or migrate runs: a manifest that is not valid fails run bad_manifest, as
// does code without one when the block's network policy requires one, and
// the init or migrate arguments, when the manifest lists that method, must
// satisfy its schema (invalid_args). It returns the code's manifest
// (possibly empty), or nil with run failed.
func (l *Ledger) checkManifest(b *pendingBlock, codeHash common.Hash, method string, args []byte, run *effectRun) (*codeManifest, error) {
	cm, err := l.manifestOf(b, codeHash)
	if err != nil {
		return nil, err
	}
	if cm.bad != "" {
		run.fail(status.BadManifest, "%s", cm.bad)
		return nil, nil
	}
	if cm.m == nil {
		// Read from the block's registry state: a setPolicy executed
		// earlier in this block, or after the deploy was admitted or
		// proposed, decides.
		policy, err := b.dir.networkPolicy()
		if err != nil {
			return nil, err
		}
		if policy.RequireManifest {
			run.fail(status.BadManifest, "%s", errNoManifest)
			return nil, nil
		}
	}
	if sch := cm.args[method]; sch != nil {
		if err := validateArgs(sch, method, args); err != nil {
			run.fail(status.InvalidArgs, "%s: %v", method, err)
			return nil, nil
		}
	}
	return cm, nil
}

// checkCodeManifest is admission's manifest check of a deploy or upgrade:
// the same refusal execution would make (bad_manifest, for a bad manifest
// or, under the latest block's policy, a missing one), before the sender
// pays for it. Carried code is compiled without entering the cache (its
// hash was verified with the signature, but the cache only takes code the
// ledger stores); stored code goes through the cache.
func (l *Ledger) checkCodeManifest(t *tx.Tx, hash common.Hash) error {
	var cm *codeManifest
	if code := t.Code(); code != nil {
		if cached, ok := l.manifests.get(hash); ok {
			cm = cached
		} else {
			cm = compileManifest(code)
		}
	} else {
		var err error
		if cm, err = l.manifestOf(nil, hash); err != nil {
			return err
		}
	}
	if cm.bad != "" && !cm.malformed {
		return fmt.Errorf("%w: %s", ErrBadManifest, cm.bad)
	}
	if cm.m == nil && cm.bad == "" {
		policy, err := tipDirectory{l: l, c: l.tipMembers.Load()}.networkPolicy()
		if err != nil {
			return err
		}
		if policy.RequireManifest {
			return fmt.Errorf("%w: %s", ErrBadManifest, errNoManifest)
		}
	}
	return nil
}

// errNoManifest is the refusal of code without a manifest under a policy
// that requires one (registry.Policy.RequireManifest), at admission and in
// the receipt alike.
const errNoManifest = "code carries no manifest: build it with sdk/build or make contracts (the network policy requires one)"
