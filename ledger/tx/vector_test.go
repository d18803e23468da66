package tx

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
)

// testUpgradeCode is the smallest module that differs from testCode: an
// empty Wasm module with one custom section named "version2".
var testUpgradeCode = []byte("\x00asm\x01\x00\x00\x00\x00\x09\x08version2")

var update = flag.Bool("update", false, "rewrite testdata/vectors.json")

const (
	vectorFile = "testdata/vectors.json"
	docFile    = "../../docs/transactions.md"
)

// vector is one worked example, as published in docs/transactions.md.
type vector struct {
	PrivateKey      string          `json:"privateKey"`
	Address         string          `json:"address"`
	TypedData       json.RawMessage `json:"typedData"`
	TypeString      string          `json:"typeString"`
	TypeHash        string          `json:"typeHash"`
	DomainSeparator string          `json:"domainSeparator"`
	StructHash      string          `json:"structHash"`
	Digest          string          `json:"digest"`
	Signature       string          `json:"signature"`
	Wire            json.RawMessage `json:"wire,omitempty"` // transactions only
	RLP             string          `json:"rlp,omitempty"`  // transactions only
	ContractAddress string          `json:"contractAddress,omitempty"`
	Header          string          `json:"header,omitempty"` // the session only
}

// The session of the published vector: issued 2026-01-01T00:00:00Z, valid
// for one hour.
var vectorSession = ReadSession{IssuedMs: 1767225600000, ExpiresMs: 1767229200000}

// buildVectors computes the published vectors from the code.
func buildVectors(t *testing.T) map[string]vector {
	k := testKey(t)
	from := addrOf(k)
	deploy, err := SignDeploy(Deploy{
		From:     from,
		Nonce:    0,
		Name:     "loans",
		InitArgs: []byte(`{"owner":"servicer"}`),
		GasLimit: 5000000,
	}, testCode, testChainID, k)
	if err != nil {
		t.Fatal(err)
	}
	call, err := SignCall(Call{
		From:     from,
		Nonce:    1,
		Contract: ContractAddress(from, 0),
		Method:   "recordPayment",
		Args:     []byte(`{"loan":"L-1001","cents":125000}`),
		GasLimit: 1000000,
	}, testChainID, k)
	if err != nil {
		t.Fatal(err)
	}
	upgrade, err := SignUpgrade(Upgrade{
		From:        from,
		Nonce:       2,
		Contract:    ContractAddress(from, 0),
		MigrateArgs: []byte(`{"schema":2}`),
		GasLimit:    2000000,
	}, testUpgradeCode, testChainID, k)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]vector{}
	for _, tx := range []*Tx{deploy, call, upgrade} {
		msg := tx.Message()
		spec := TypedData(testChainID)
		// The eth_signTypedData_v4 payload: the served description narrowed
		// to this message's type, plus the message in its wire form.
		var wire struct {
			Message json.RawMessage `json:"message"`
		}
		if err := json.Unmarshal(tx.EncodeJSON(), &wire); err != nil {
			t.Fatal(err)
		}
		td, err := json.MarshalIndent(struct {
			Types       map[string][]FieldType `json:"types"`
			PrimaryType string                 `json:"primaryType"`
			Domain      Domain                 `json:"domain"`
			Message     json.RawMessage        `json:"message"`
		}{
			Types:       map[string][]FieldType{domainTypeName: spec.Types[domainTypeName], msg.PrimaryType(): spec.Types[msg.PrimaryType()]},
			PrimaryType: msg.PrimaryType(),
			Domain:      spec.Domain,
			Message:     wire.Message,
		}, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, tx.EncodeJSON(), "", "  "); err != nil {
			t.Fatal(err)
		}
		rlpBytes, _ := tx.MarshalBinary()
		ts := encodeType(msg.PrimaryType(), fieldTypes(msg))
		v := vector{
			PrivateKey:      "0x" + testKeyHex,
			Address:         from.Hex(),
			TypedData:       td,
			TypeString:      ts,
			TypeHash:        crypto.Keccak256Hash([]byte(ts)).Hex(),
			DomainSeparator: DomainSeparator(testChainID).Hex(),
			StructHash:      msg.StructHash().Hex(),
			Digest:          tx.Hash().Hex(),
			Signature:       tx.Signature().String(),
			Wire:            pretty.Bytes(),
			RLP:             hexutil.Encode(rlpBytes),
		}
		if d, ok := msg.(*Deploy); ok {
			v.ContractAddress = d.ContractAddress().Hex()
		}
		out[tx.Type()] = v
	}
	out["session"] = buildSessionVector(t)
	return out
}

// sessionMessage is a ReadSession as signers take it, members in EIP-712
// order.
type sessionMessage struct {
	Reader    string `json:"reader"`
	IssuedMs  string `json:"issuedMs"`
	ExpiresMs string `json:"expiresMs"`
}

// buildSessionVector computes the read session vector: the same key and
// chain, typed data as a signer takes it, and the header a client sends.
func buildSessionVector(t *testing.T) vector {
	k := testKey(t)
	rs := vectorSession
	rs.Reader = addrOf(k)
	ss, err := SignSession(rs, testChainID, k)
	if err != nil {
		t.Fatal(err)
	}
	spec := TypedData(testChainID)
	td, err := json.MarshalIndent(struct {
		Types       map[string][]FieldType `json:"types"`
		PrimaryType string                 `json:"primaryType"`
		Domain      Domain                 `json:"domain"`
		Message     sessionMessage         `json:"message"`
	}{
		Types:       map[string][]FieldType{domainTypeName: spec.Types[domainTypeName], SessionPrimaryType: spec.Types[SessionPrimaryType]},
		PrimaryType: SessionPrimaryType,
		Domain:      spec.Domain,
		// Uint64s as decimal strings, as in transactions: ethers.js and
		// eth_signTypedData_v4 take them, and no JSON reader loses precision.
		Message: sessionMessage{
			Reader:    rs.Reader.Hex(),
			IssuedMs:  strconv.FormatUint(rs.IssuedMs, 10),
			ExpiresMs: strconv.FormatUint(rs.ExpiresMs, 10),
		},
	}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	ts := encodeType(SessionPrimaryType, sessionFields)
	return vector{
		PrivateKey:      "0x" + testKeyHex,
		Address:         rs.Reader.Hex(),
		TypedData:       td,
		TypeString:      ts,
		TypeHash:        crypto.Keccak256Hash([]byte(ts)).Hex(),
		DomainSeparator: DomainSeparator(testChainID).Hex(),
		StructHash:      rs.StructHash().Hex(),
		Digest:          rs.Digest(testChainID).Hex(),
		Signature:       ss.Signature.String(),
		Header:          ss.Header(),
	}
}

func TestVectorsFile(t *testing.T) {
	vs := buildVectors(t)
	got, err := json.MarshalIndent(vs, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile(vectorFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(vectorFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale or the code changed; run go test -run TestVectorsFile -update\n%s", vectorFile, got)
	}
	// The published session header parses and verifies within its hour,
	// and only then.
	sv := vs["session"]
	ss, err := ParseSession(sv.Header)
	if err != nil {
		t.Fatal(err)
	}
	if reader, err := ss.Verify(testChainID, vectorSession.IssuedMs+1); err != nil || reader.Hex() != sv.Address {
		t.Fatalf("session: verify: %s %v", reader, err)
	}
	if _, err := ss.Verify(testChainID, vectorSession.ExpiresMs); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("session: verify after expiry: %v", err)
	}
	if ss.Signature.String() != sv.Signature || ss.Session.Digest(testChainID).Hex() != sv.Digest {
		t.Fatal("session: header does not carry the published signature")
	}
	// Each published wire form decodes and verifies.
	for name, v := range vs {
		if v.Wire == nil {
			continue
		}
		tx, err := DecodeJSON(v.Wire, Limits{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if sender, err := tx.Verify(testChainID); err != nil || sender.Hex() != v.Address {
			t.Fatalf("%s: verify: %v", name, err)
		}
	}
}

// docBlock matches a marker comment and the fenced block after it:
//
//	<!-- vector: call.digest -->
//	```
//	0x...
//	```
var docBlock = regexp.MustCompile("(?s)<!-- vector: ([a-zA-Z.]+) -->\\s*```[a-z]*\\n(.*?)```")

func TestVectorsInDoc(t *testing.T) {
	doc, err := os.ReadFile(docFile)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for name, v := range buildVectors(t) {
		var fields map[string]json.RawMessage
		b, _ := json.Marshal(v)
		if err := json.Unmarshal(b, &fields); err != nil {
			t.Fatal(err)
		}
		for k, raw := range fields {
			var s string
			if json.Unmarshal(raw, &s) != nil {
				s = string(raw) // typedData, wire: compared as normalised JSON
			}
			want[name+"."+k] = s
		}
	}
	found := map[string]bool{}
	for _, m := range docBlock.FindAllSubmatch(doc, -1) {
		name, body := string(m[1]), strings.TrimSpace(string(m[2]))
		w, ok := want[name]
		if !ok {
			t.Errorf("doc quotes unknown vector value %q", name)
			continue
		}
		found[name] = true
		if !sameText(body, w) {
			t.Errorf("doc value %s:\n%s\nwant\n%s", name, body, w)
		}
	}
	for _, name := range []string{
		"deploy.typedData", "deploy.structHash", "deploy.digest", "deploy.signature", "deploy.wire", "deploy.contractAddress",
		"call.typedData", "call.domainSeparator", "call.structHash", "call.digest", "call.signature", "call.wire",
		"upgrade.typedData", "upgrade.typeHash", "upgrade.structHash", "upgrade.digest", "upgrade.signature", "upgrade.wire", "upgrade.rlp",
		"session.typedData", "session.typeHash", "session.structHash", "session.digest", "session.signature", "session.header",
	} {
		if !found[name] {
			t.Errorf("doc does not quote %s", name)
		}
	}
}

// sameText compares two values, as JSON when both are JSON documents.
func sameText(a, b string) bool {
	var ca, cb bytes.Buffer
	if json.Compact(&ca, []byte(a)) == nil && json.Compact(&cb, []byte(b)) == nil {
		return ca.String() == cb.String()
	}
	return strings.TrimSpace(a) == strings.TrimSpace(b)
}

// TestVectorsWithEthers recomputes the vectors with ethers.js when
// ETHERS_DIR names a directory where `npm install ethers@6` was run. It is
// skipped otherwise: the repository's tests need no JavaScript toolchain.
func TestVectorsWithEthers(t *testing.T) {
	dir := os.Getenv("ETHERS_DIR")
	if dir == "" {
		t.Skip("ETHERS_DIR not set")
	}
	script, err := os.ReadFile("testdata/ethers_check.mjs")
	if err != nil {
		t.Fatal(err)
	}
	// ESM resolves "ethers" from the script's own directory upwards.
	scriptPath := filepath.Join(dir, "meshledger_ethers_check.mjs")
	if err := os.WriteFile(scriptPath, script, 0o644); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(scriptPath)
	chain, err := json.Marshal(TypedData(testChainID))
	if err != nil {
		t.Fatal(err)
	}
	chainPath := filepath.Join(t.TempDir(), "chain.json")
	if err := os.WriteFile(chainPath, chain, 0o644); err != nil {
		t.Fatal(err)
	}
	vectors, err := filepath.Abs(vectorFile)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("node", scriptPath, vectors, chainPath).CombinedOutput()
	if err != nil {
		t.Fatalf("ethers.js check failed: %v\n%s", err, out)
	}
	t.Logf("%s", out)

	// The session ethers.js signed just now from the served typed data is
	// one this package accepts.
	var header string
	for _, line := range strings.Split(string(out), "\n") {
		if h, ok := strings.CutPrefix(line, "SESSION "); ok {
			header = h
		}
	}
	if header == "" {
		t.Fatal("the ethers.js check printed no session")
	}
	s, err := ParseSession(header)
	if err != nil {
		t.Fatalf("ethers.js session %q: %v", header, err)
	}
	reader, err := s.Verify(testChainID, uint64(time.Now().UnixMilli()))
	if err != nil || reader != addrOf(testKey(t)) {
		t.Fatalf("ethers.js session %q: reader %s, %v", header, reader, err)
	}
	if _, err := s.Verify(testChainID+1, uint64(time.Now().UnixMilli())); !errors.Is(err, ErrSessionBadSignature) {
		t.Fatalf("ethers.js session on another chain: %v", err)
	}
}
