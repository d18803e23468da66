//go:build !wasip1

package contract

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/meshledger/meshledger/sdk/manifest"
)

// isolateRegistry gives a test an empty method registry and manifest
// declarations, restoring the package's own afterwards.
func isolateRegistry(t *testing.T) {
	t.Helper()
	methods, names, policy := registry.methods, registry.namesJSON, registry.readPolicy
	declared := manifestTypes
	registry.methods, registry.readPolicy = nil, nil
	manifestTypes.methods, manifestTypes.events, manifestTypes.state = nil, nil, nil
	listMethods()
	t.Cleanup(func() {
		registry.methods, registry.namesJSON, registry.readPolicy = methods, names, policy
		manifestTypes = declared
	})
}

type manifestPayArgs struct {
	ID     string `json:"id"`
	Amount int64  `json:"amount"`
}

type manifestPayment struct {
	ID     string  `json:"id"`
	Amount int64   `json:"amount"`
	By     Address `json:"by"`
}

func TestBuildManifest(t *testing.T) {
	isolateRegistry(t)
	Method("pay", func(*Context, manifestPayArgs) (manifestPayment, error) { return manifestPayment{}, nil })
	Method("get", func(*Context, struct{}) (*manifestPayment, error) { return nil, nil })
	Event[manifestPayment]("PaymentRecorded")
	State[manifestPayment]("pay/")
	State[int64]("count")
	ReadPolicy(func(*Context, []byte) bool { return true })

	m, err := BuildManifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.Version != manifest.Version || !m.ReadPolicy {
		t.Fatalf("manifest %+v", m)
	}
	if len(m.Methods) != 2 || m.Methods["pay"].Args == nil || m.Methods["get"].Result == nil {
		t.Fatalf("methods %v", m.Methods)
	}
	if _, ok := m.Methods[CanReadMethod]; ok {
		t.Fatal("the reserved read-policy method is listed as a method")
	}
	if len(m.Events) != 1 || m.Events["PaymentRecorded"] == nil {
		t.Fatalf("events %v", m.Events)
	}
	if len(m.State) != 2 || m.State[0].Prefix != "count" || m.State[1].Prefix != "pay/" {
		t.Fatalf("state not sorted by prefix: %+v", m.State)
	}
	// The manifest describes exactly what mesh.methods answers.
	var listed []string
	if err := json.Unmarshal(registry.namesJSON, &listed); err != nil {
		t.Fatal(err)
	}
	if err := m.MatchesMethods(listed); err != nil {
		t.Fatalf("manifest against mesh.methods %v: %v", listed, err)
	}
	payArgs := compileSchema(t, m.Methods["pay"].Args)
	if err := validates(t, payArgs, `{"id":"L-1","amount":189622}`); err != nil {
		t.Fatal(err)
	}
	if err := validates(t, payArgs, `{"id":"L-1","amount":"189622"}`); err == nil {
		t.Fatal("a string amount was accepted")
	}
	event := compileSchema(t, m.Events["PaymentRecorded"])
	if err := validates(t, event, `{"id":"L-1","amount":1,"by":"0x00000000000000000000000000000000000000aA"}`); err != nil {
		t.Fatal(err)
	}

	// The file sdk/build reads is the canonical encoding and parses back.
	path := filepath.Join(t.TempDir(), "manifest.json")
	if err := WriteManifestFile(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	back, err := manifest.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if back.Hash() != m.Hash() {
		t.Fatal("the written manifest hashes differently")
	}
	enc, _ := m.Encode()
	if string(enc) != string(b) {
		t.Fatal("the written manifest is not the canonical encoding")
	}
}

func TestBuildManifestNoDeclarations(t *testing.T) {
	isolateRegistry(t)
	m, err := BuildManifest()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(m)
	if string(b) != `{"version":1,"methods":{},"readPolicy":false}` {
		t.Fatalf("empty manifest %s", b)
	}
}

func TestBuildManifestUnencodableType(t *testing.T) {
	isolateRegistry(t)
	Method("bad", func(*Context, struct {
		C chan int `json:"c"`
	}) (bool, error) {
		return false, nil
	})
	if _, err := BuildManifest(); err == nil || !strings.Contains(err.Error(), "method bad arguments") {
		t.Fatalf("BuildManifest = %v", err)
	}
	if err := WriteManifestFile(filepath.Join(t.TempDir(), "m.json")); err == nil {
		t.Fatal("WriteManifestFile wrote a manifest of an unencodable type")
	}

	isolateRegistry(t)
	Event[func()]("E")
	if _, err := BuildManifest(); err == nil || !strings.Contains(err.Error(), "event E") {
		t.Fatalf("BuildManifest = %v", err)
	}

	isolateRegistry(t)
	State[complex64]("c/")
	if _, err := BuildManifest(); err == nil || !strings.Contains(err.Error(), `state "c/"`) {
		t.Fatalf("BuildManifest = %v", err)
	}
}

func TestWriteManifestFileError(t *testing.T) {
	isolateRegistry(t)
	err := WriteManifestFile(filepath.Join(t.TempDir(), "missing", "m.json"))
	if err == nil || !strings.Contains(err.Error(), "write manifest") {
		t.Fatalf("WriteManifestFile = %v", err)
	}
}

func TestDeclarationPanics(t *testing.T) {
	tests := []struct {
		name  string
		setup func()
		want  string
	}{
		{"empty event", func() { Event[int]("") }, "empty name"},
		{"duplicate event", func() { Event[int]("E"); Event[string]("E") }, `event "E" declared twice`},
		{"empty prefix", func() { State[int]("") }, "empty prefix"},
		{"duplicate prefix", func() { State[int]("a/"); State[int]("a/") }, "overlaps"},
		{"prefix of another", func() { State[int]("loan/"); State[int]("loan/x/") }, `"loan/x/" overlaps "loan/"`},
		{"another's prefix", func() { State[int]("loan/x/"); State[int]("loan/") }, "overlaps"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			isolateRegistry(t)
			defer func() {
				r := recover()
				if msg, _ := r.(string); !strings.Contains(msg, tc.want) {
					t.Fatalf("panic %v, want %q", r, tc.want)
				}
			}()
			tc.setup()
		})
	}
	// Different, non-overlapping declarations are fine.
	isolateRegistry(t)
	State[int]("loan/")
	State[int]("pool/")
	Event[int]("A")
	Event[int]("B")
	if len(manifestTypes.state) != 2 || len(manifestTypes.events) != 2 {
		t.Fatalf("declarations %+v", manifestTypes)
	}
	if got := reflect.TypeFor[int](); manifestTypes.state[0].args != got {
		t.Fatalf("state type %v", manifestTypes.state[0].args)
	}
}
