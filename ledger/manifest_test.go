package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/internal/ledgertest"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/sdk/manifest"
	"github.com/meshledger/meshledger/status"
)

// payArgsSchema is the argument schema sdk/build generates for the loan
// contract's pay: {id string, amount int64}.
const payArgsSchema = `{"type":"object","additionalProperties":false,"required":["id","amount"],
	"properties":{"id":{"type":"string","minLength":1},
	"amount":{"type":"integer","minimum":1,"maximum":9223372036854775807}}}`

// testManifest describes the loan contract's create and pay.
func testManifest(payArgs string) string {
	return `{"version":1,"readPolicy":false,"methods":{
		"pay":{"args":` + payArgs + `,"result":{"type":"object"}},
		"create":{"args":{"type":"object","required":["id"],"properties":{"id":{"type":"string"},
			"borrower":{"type":"string","pattern":"^0x[0-9a-fA-F]{40}$"}}},"result":{"type":"object"}}},
		"events":{"Paid":{"type":"object"}},
		"state":[{"prefix":"loan/","schema":{"type":"object"}}]}`
}

// withManifest is the loan code carrying raw as its manifest section.
func (e *env) withManifest(raw string) []byte {
	e.tb.Helper()
	code, err := manifest.Embed(e.loanCode(), []byte(raw))
	if err != nil {
		e.tb.Fatal(err)
	}
	return code
}

// deployManifest deploys the loan code with raw as its manifest and
// returns the receipt; on success e.loan is the contract.
func (e *env) deployManifest(raw string) *block.Receipt {
	e.tb.Helper()
	d := ledgertest.DeployTx(e.tb, e.owner, "loan", e.withManifest(raw), e.next(e.owner), block.DefaultBlockDeployGasLimit, true)
	a := e.apply(d)
	if len(a.Rejected) != 0 {
		e.tb.Fatalf("deploy rejected: %v", a.Rejected)
	}
	if rc := a.Receipts[0]; rc.OK() {
		e.loan = rc.ContractAddress
	}
	return a.Receipts[0]
}

func TestDeployCommitsManifestHash(t *testing.T) {
	e := newEnv(t)
	rc := e.deployManifest(testManifest(payArgsSchema))
	if !rc.OK() {
		t.Fatalf("deploy: %s %s", rc.Status, rc.Message)
	}
	m, err := manifest.Parse([]byte(testManifest(payArgsSchema)))
	if err != nil {
		t.Fatal(err)
	}
	canonical, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	info, err := e.l.Contract(e.loan)
	if err != nil {
		t.Fatal(err)
	}
	if want := common.Hash(sha256.Sum256(canonical)); info.ManifestHash != want {
		t.Fatalf("ManifestHash %s, want %s", info.ManifestHash, want)
	}
	raw, ok, err := e.l.Manifest(e.loan)
	if err != nil || !ok || !bytes.Equal(raw, canonical) {
		t.Fatalf("Manifest = %s, %v, %v; want the canonical encoding", raw, ok, err)
	}
	// The hash is in the stored record: it survives a restart.
	e.reopen()
	info, err = e.l.Contract(e.loan)
	if err != nil || info.ManifestHash != common.Hash(sha256.Sum256(canonical)) {
		t.Fatalf("after reopen: %v, %v", info, err)
	}
}

// stripManifest returns code without its manifest section.
func stripManifest(tb testing.TB, code []byte) []byte {
	tb.Helper()
	out := append([]byte(nil), code[:8]...)
	for rest := code[8:]; len(rest) > 0; {
		id := rest[0]
		size, n := uint64(0), 1
		for shift := 0; ; shift += 7 {
			b := rest[n]
			n++
			size |= uint64(b&0x7f) << shift
			if b < 0x80 {
				break
			}
		}
		sec := rest[:n+int(size)]
		rest = rest[n+int(size):]
		if id == 0 {
			body := sec[n:]
			if l := int(body[0]); l < 0x80 && string(body[1:1+l]) == manifest.SectionName {
				continue
			}
		}
		out = append(out, sec...)
	}
	if _, ok, err := manifest.Extract(out); ok || err != nil {
		tb.Fatalf("manifest still there (%v) or module broken: %v", ok, err)
	}
	return out
}

// TestContractWithoutManifest: where the policy does not require a
// manifest (TestRequireManifestDeploy covers where it does), code without
// one deploys and its calls' arguments are not checked.
func TestContractWithoutManifest(t *testing.T) {
	e := newEnvManifestOptional(t)
	e.code = stripManifest(t, e.loanCode())
	e.setup()
	info, err := e.l.Contract(e.loan)
	if err != nil || info.ManifestHash != (common.Hash{}) {
		t.Fatalf("info %+v err %v: want a zero manifest hash", info, err)
	}
	if _, ok, err := e.l.Manifest(e.loan); ok || err != nil {
		t.Fatalf("Manifest: ok %v err %v, want none", ok, err)
	}
	if _, _, err := e.l.Manifest(common.Address{7}); !errors.Is(err, ErrUnknownContract) {
		t.Fatalf("Manifest of no contract: %v, want ErrUnknownContract", err)
	}
	// Without a manifest arguments reach the contract unchecked.
	a := e.apply(e.callTx(e.servicer, e.next(e.servicer), e.loan, "pay", map[string]any{"id": "L1", "amount": 10, "extra": true}))
	if a.Receipts[0].Status == status.InvalidArgs {
		t.Fatalf("a contract without a manifest had its arguments validated: %+v", a.Receipts[0])
	}
}

func TestDeployRefusesBadManifest(t *testing.T) {
	if raceEnabled {
		t.Skip("sequential: run without -race (about 10 times slower under it)")
	}
	for _, tc := range []struct{ name, manifest, want string }{
		{"not JSON", `{"version":1,`, "invalid manifest"},
		{"wrong version", `{"version":2,"methods":{}}`, "version 2"},
		{"schema not a schema", testManifest(`{"type":"wrong"}`), "methods.pay.args: invalid JSON Schema"},
		{"bad minimum", testManifest(`{"type":"object","properties":{"a":{"minimum":"one"}}}`), "methods.pay.args: invalid JSON Schema"},
		{"bad pattern", testManifest(`{"type":"string","pattern":"(["}`), "methods.pay.args: invalid JSON Schema"},
		{"external ref", testManifest(`{"$ref":"https://example.com/s.json"}`), "external references are not allowed"},
		{"other dialect", testManifest(`{"$schema":"http://json-schema.org/draft-07/schema#","type":"object"}`), "only https://json-schema.org/draft/2020-12/schema"},
		{"bad event schema", strings.Replace(testManifest(payArgsSchema), `"Paid":{"type":"object"}`, `"Paid":{"required":"id"}`, 1), "events.Paid: invalid JSON Schema"},
		{"bad state schema", strings.Replace(testManifest(payArgsSchema), `"schema":{"type":"object"}`, `"schema":{"type":7}`, 1), `state[0] ("loan/"): invalid JSON Schema`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			rc := e.deployManifest(tc.manifest)
			if rc.Status != status.BadManifest || !strings.Contains(rc.Message, tc.want) {
				t.Fatalf("receipt %s %q, want bad_manifest containing %q", rc.Status, rc.Message, tc.want)
			}
			if rc.ContractAddress != (common.Address{}) {
				t.Fatalf("a refused deploy has contract %s", rc.ContractAddress)
			}
			cs, err := e.l.Contracts()
			if err != nil || len(cs) != 0 {
				t.Fatalf("contracts after a refused deploy: %v, %v", cs, err)
			}
		})
	}
}

// badPayArgs are pay arguments the manifest refuses, with the pointer and
// reason the refusal names.
var badPayArgs = []struct {
	name          string
	args          string
	pointer, want string
}{
	{"wrong type", `{"id":"L1","amount":"10"}`, "/amount", "must be integer, not string"},
	{"fraction", `{"id":"L1","amount":10.5}`, "/amount", "must be integer, not number"},
	{"below minimum", `{"id":"L1","amount":0}`, "/amount", "must be >= 1"},
	{"beyond int64", `{"id":"L1","amount":9223372036854775808}`, "/amount", "must be <= 9223372036854775807"},
	{"huge", `{"id":"L1","amount":1` + strings.Repeat("0", 400) + `}`, "/amount", "must be <= 9223372036854775807"},
	{"unknown field", `{"id":"L1","amount":10,"memo":"x"}`, "", `unknown field "memo"`},
	{"unknown fields", `{"id":"L1","amount":10,"z":1,"b":2,"m":3}`, "", `unknown field "b", "m", "z"`},
	{"missing field", `{"id":"L1"}`, "", `missing required field "amount"`},
	{"empty string", `{"id":"","amount":10}`, "/id", "must be at least 1 characters"},
	{"not an object", `[1,2]`, "", "must be object, not array"},
	{"null", `null`, "", "must be object, not null"},
	{"deep nesting", `{"id":"L1","amount":10,"x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, "", "nested deeper than 32 levels"},
	{"several failures", `{"id":7,"amount":-1,"zz":true}`, "", `unknown field "zz"`},
}

func TestAdmissionValidatesArgs(t *testing.T) {
	e := newEnv(t)
	if rc := e.deployManifest(testManifest(payArgsSchema)); !rc.OK() {
		t.Fatalf("deploy: %s %s", rc.Status, rc.Message)
	}
	good := e.callTx(e.servicer, e.nonce(e.servicer), e.loan, "pay", json.RawMessage(`{"id":"L1","amount":10}`))
	if err := e.l.CheckTx(good); err != nil {
		t.Fatalf("good args refused: %v", err)
	}
	for _, tc := range badPayArgs {
		t.Run(tc.name, func(t *testing.T) {
			bad := rawArgsCall(t, e, "pay", []byte(tc.args))
			err := e.l.CheckTx(bad)
			var ae *ArgsError
			if !errors.Is(err, ErrInvalidArgs) || !errors.As(err, &ae) {
				t.Fatalf("CheckTx: %v, want an ArgsError", err)
			}
			if ae.Pointer != tc.pointer || ae.Reason != tc.want || ae.Method != "pay" {
				t.Fatalf("ArgsError %+v, want pointer %q reason %q", ae, tc.pointer, tc.want)
			}
		})
	}
	// No arguments are the zero value: the contract decides.
	if err := e.l.CheckTx(rawArgsCall(t, e, "pay", nil)); err != nil {
		t.Fatalf("empty args: %v", err)
	}
	// A method the manifest does not list is left to the contract.
	if err := e.l.CheckTx(e.callTx(e.servicer, e.nonce(e.servicer), e.loan, "nosuch", map[string]any{"x": 1})); err != nil {
		t.Fatalf("unlisted method: %v", err)
	}
}

// rawArgsCall is the servicer's call of method with args exactly as given
// (nil: no arguments).
func rawArgsCall(tb testing.TB, e *env, method string, args []byte) *tx.Tx {
	tb.Helper()
	c := tx.Call{From: ledgertest.AddrOf(e.servicer), Nonce: e.nonce(e.servicer), Contract: e.loan, Method: method, Args: args, GasLimit: ledgertest.CallGas}
	t, err := tx.SignCall(c, ledgertest.ChainID, e.servicer)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// TestExecutionValidatesArgs includes bad arguments in a block (as a
// proposer that skipped admission would): each fails invalid_args with
// its pointer and reason, changes no contract state, and the receipts are
// byte for byte the same on a second ledger.
func TestExecutionValidatesArgs(t *testing.T) {
	var encoded [2][][]byte
	for run := range encoded {
		e := newEnv(t)
		if rc := e.deployManifest(testManifest(payArgsSchema)); !rc.OK() {
			t.Fatalf("deploy: %s %s", rc.Status, rc.Message)
		}
		var txs []*tx.Tx
		for _, tc := range badPayArgs {
			if !json.Valid([]byte(tc.args)) {
				continue
			}
			txs = append(txs, ledgertest.CallTx(t, e.servicer, e.next(e.servicer), e.loan, "pay", json.RawMessage(tc.args)))
		}
		root := e.l.Latest().Header.StateRoot
		a := e.apply(txs...)
		if len(a.Rejected) != 0 {
			t.Fatalf("rejected: %v", a.Rejected)
		}
		i := 0
		for _, tc := range badPayArgs {
			if !json.Valid([]byte(tc.args)) {
				continue
			}
			rc := a.Receipts[i]
			i++
			want := tc.pointer
			if want == "" {
				want = "/"
			}
			want += ": " + tc.want
			if rc.Status != status.InvalidArgs || rc.Message != want || len(rc.Writes) != 0 || len(rc.Events) != 0 {
				t.Fatalf("%s: receipt %s %q writes %d, want invalid_args %q", tc.name, rc.Status, rc.Message, len(rc.Writes), want)
			}
		}
		// Only the servicer's nonce moved: no contract key was written.
		if a.Header.Header.StateRoot == root {
			t.Fatal("state root did not move at all: the nonces should have")
		}
		enc, err := block.EncodeReceipts(a.Receipts)
		if err != nil {
			t.Fatal(err)
		}
		encoded[run] = enc
	}
	if len(encoded[0]) != len(encoded[1]) {
		t.Fatalf("%d receipts, then %d", len(encoded[0]), len(encoded[1]))
	}
	for i := range encoded[0] {
		if !bytes.Equal(encoded[0][i], encoded[1][i]) {
			t.Fatalf("receipt %d differs between two ledgers:\n%x\n%x", i, encoded[0][i], encoded[1][i])
		}
	}
}

func TestValidArgsReachContract(t *testing.T) {
	e := newEnv(t)
	if rc := e.deployManifest(testManifest(payArgsSchema)); !rc.OK() {
		t.Fatalf("deploy: %s %s", rc.Status, rc.Message)
	}
	a := e.apply(e.callTx(e.owner, e.next(e.owner), e.loan, "create", e.createArgs("L1")))
	if !a.Receipts[0].OK() {
		t.Fatalf("create: %s %s", a.Receipts[0].Status, a.Receipts[0].Message)
	}
	a = e.apply(e.pay(100))
	if !a.Receipts[0].OK() {
		t.Fatalf("pay: %s %s", a.Receipts[0].Status, a.Receipts[0].Message)
	}
}

func TestManifestCacheBounded(t *testing.T) {
	var c manifestCache
	for i := 0; i < manifestsKept+10; i++ {
		c.put(common.Hash{byte(i), byte(i >> 8)}, &codeManifest{})
	}
	if len(c.entries) != manifestsKept || len(c.order) != manifestsKept {
		t.Fatalf("%d entries, %d in order; want %d", len(c.entries), len(c.order), manifestsKept)
	}
	if _, ok := c.get(common.Hash{0}); ok {
		t.Fatal("the oldest entry was kept")
	}
}

// TestArgsValidationConcurrent admits calls from many goroutines while
// blocks execute (run with -race): the compiled-manifest cache and the
// compiled schemas are shared.
func TestArgsValidationConcurrent(t *testing.T) {
	e := newEnv(t)
	if rc := e.deployManifest(testManifest(payArgsSchema)); !rc.OK() {
		t.Fatalf("deploy: %s %s", rc.Status, rc.Message)
	}
	// A cold cache: every goroutine may compile the manifest at once.
	e.l.manifests = manifestCache{}
	good := rawArgsCall(t, e, "pay", []byte(`{"id":"L1","amount":10}`))
	bad := rawArgsCall(t, e, "pay", []byte(`{"id":"L1","amount":"10"}`))
	done := make(chan error, 8)
	for i := range 8 {
		go func() {
			for range 50 {
				if err := e.l.CheckTx(good); err != nil {
					done <- err
					return
				}
				if err := e.l.CheckTx(bad); !errors.Is(err, ErrInvalidArgs) {
					done <- fmt.Errorf("goroutine %d: bad args: %v", i, err)
					return
				}
			}
			done <- nil
		}()
	}
	e.apply(ledgertest.CallTx(t, e.owner, e.next(e.owner), e.loan, "create", e.createArgs("L1")))
	for range 8 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

// TestUpgradeManifest: an upgrade whose manifest is invalid fails
// bad_manifest and the old code and manifest stay; a valid one replaces
// the manifest hash, and calls are validated against the new schema.
func TestUpgradeManifest(t *testing.T) {
	e := newEnv(t)
	if rc := e.deployManifest(testManifest(payArgsSchema)); !rc.OK() {
		t.Fatalf("deploy: %s %s", rc.Status, rc.Message)
	}
	before, err := e.l.Contract(e.loan)
	if err != nil {
		t.Fatal(err)
	}
	a := e.apply(e.upgradeTx(e.owner, e.loan, e.withManifest(testManifest(`{"type":"wrong"}`)), nil))
	if rc := a.Receipts[0]; rc.Status != status.BadManifest {
		t.Fatalf("bad upgrade: %s %q, want bad_manifest", rc.Status, rc.Message)
	}
	after, err := e.l.Contract(e.loan)
	if err != nil || after.CodeHash != before.CodeHash || after.ManifestHash != before.ManifestHash {
		t.Fatalf("a refused upgrade changed the contract: %+v (%v)", after, err)
	}
	// The new schema caps amount at 1000.
	capped := strings.Replace(payArgsSchema, "9223372036854775807", "1000", 1)
	a = e.apply(e.upgradeTx(e.owner, e.loan, e.withManifest(testManifest(capped)), nil))
	if rc := a.Receipts[0]; !rc.OK() {
		t.Fatalf("upgrade: %s %q", rc.Status, rc.Message)
	}
	after, err = e.l.Contract(e.loan)
	if err != nil || after.ManifestHash == before.ManifestHash || after.ManifestHash == (common.Hash{}) {
		t.Fatalf("manifest hash %s after the upgrade, %s before (%v)", after.ManifestHash, before.ManifestHash, err)
	}
	err = e.l.CheckTx(rawArgsCall(t, e, "pay", []byte(`{"id":"L1","amount":1001}`)))
	var ae *ArgsError
	if !errors.As(err, &ae) || ae.Error() != "/amount: must be <= 1000" {
		t.Fatalf("args against the new schema: %v", err)
	}
}

// TestDeployValidatesInitArgs: a manifest that lists init checks the
// deploy's init arguments; refused, the deploy fails invalid_args.
func TestDeployValidatesInitArgs(t *testing.T) {
	e := newEnv(t)
	m := strings.Replace(testManifest(payArgsSchema), `"methods":{`,
		`"methods":{"init":{"args":{"type":"object","additionalProperties":false},"result":{}},`, 1)
	d := ledgertest.DeployTx(t, e.owner, "loan", e.withManifest(m), e.next(e.owner), block.DefaultBlockDeployGasLimit, true)
	u := d.Message().(*tx.Deploy)
	u.InitArgs = []byte(`{"x":1}`)
	signed, err := tx.SignDeploy(*u, e.withManifest(m), ledgertest.ChainID, e.owner)
	if err != nil {
		t.Fatal(err)
	}
	a := e.apply(signed)
	if rc := a.Receipts[0]; rc.Status != status.InvalidArgs || rc.Message != `init: /: unknown field "x"` {
		t.Fatalf("deploy: %s %q, want invalid_args", rc.Status, rc.Message)
	}
}

// TestAdmissionRefusesBadManifest: a deploy or upgrade carrying a bad
// manifest is refused before it is included, with the reason execution
// would give.
func TestAdmissionRefusesBadManifest(t *testing.T) {
	e := newEnv(t)
	bad := e.withManifest(testManifest(`{"type":"wrong"}`))
	d := ledgertest.DeployTx(t, e.owner, "loan", bad, e.nonce(e.owner), block.DefaultBlockDeployGasLimit, true)
	if err := e.l.CheckTx(d); !errors.Is(err, ErrBadManifest) || !strings.Contains(err.Error(), "methods.pay.args: invalid JSON Schema") {
		t.Fatalf("CheckTx of a deploy with a bad manifest: %v", err)
	}
	good := ledgertest.DeployTx(t, e.owner, "loan", e.withManifest(testManifest(payArgsSchema)), e.nonce(e.owner), block.DefaultBlockDeployGasLimit, true)
	if err := e.l.CheckTx(good); err != nil {
		t.Fatalf("CheckTx of a good deploy: %v", err)
	}
	if rc := e.deployManifest(testManifest(payArgsSchema)); !rc.OK() {
		t.Fatalf("deploy: %s %s", rc.Status, rc.Message)
	}
	if err := e.l.CheckTx(e.upgradeTx(e.owner, e.loan, bad, nil)); !errors.Is(err, ErrBadManifest) {
		t.Fatalf("CheckTx of an upgrade with a bad manifest: %v", err)
	}
}

// TestAdmissionLeavesMalformedCode: code whose sections do not frame is
// the runtime's to refuse (malformed, at execution), not a bad manifest.
func TestAdmissionLeavesMalformedCode(t *testing.T) {
	e := newEnv(t)
	code := append([]byte("\x00asm\x01\x00\x00\x00"), 0x00, 0xff, 0xff, 0xff, 0x0f)
	d := ledgertest.DeployTx(t, e.owner, "junk", code, e.nonce(e.owner), block.DefaultBlockDeployGasLimit, true)
	if err := e.l.CheckTx(d); err != nil {
		t.Fatalf("CheckTx: %v", err)
	}
	a := e.apply(d)
	if rc := a.Receipts[0]; rc.Status == status.BadManifest || rc.OK() {
		t.Fatalf("receipt %s %q, want the runtime's refusal", rc.Status, rc.Message)
	}
}
