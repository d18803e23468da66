package build

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/meshledger/meshledger/sdk/manifest"
)

// compile compiles one schema of a manifest with the validator the node
// uses.
func compile(t *testing.T, schema []byte) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(schema)))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("mem://s.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("mem://s.json")
	if err != nil {
		t.Fatalf("schema does not compile: %v\n%s", err, schema)
	}
	return s
}

func valid(t *testing.T, s *jsonschema.Schema, instance string) error {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(instance))
	if err != nil {
		t.Fatalf("instance %s: %v", instance, err)
	}
	return s.Validate(v)
}

// builtManifest builds pkg with Contract and returns the manifest its
// module carries.
func builtManifest(t *testing.T, pkg string) *manifest.Manifest {
	t.Helper()
	out := filepath.Join(t.TempDir(), "c.wasm")
	if err := Contract(context.Background(), pkg, out); err != nil {
		t.Fatal(err)
	}
	wasm, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	doc, ok, err := manifest.Extract(wasm)
	if err != nil || !ok {
		t.Fatalf("module has no manifest section (%v)", err)
	}
	m, err := manifest.Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// The loan contract, built as make contracts builds it, carries a manifest
// whose schemas accept the README's create and pay arguments and refuse
// malformed ones.
func TestLoanManifest(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the loan contract")
	}
	m := builtManifest(t, "../../contracts/loan")
	if !m.ReadPolicy {
		t.Error("the loan contract's read policy is not in its manifest")
	}
	for _, name := range []string{"create", "pay", "get"} {
		if _, ok := m.Methods[name]; !ok {
			t.Fatalf("method %s missing from %v", name, m.Methods)
		}
	}
	const s = "0x00000000000000000000000000000000000000aA"
	create := compile(t, m.Methods["create"].Args)
	goodCreate := `{"id":"L-1001","borrower":"` + s + `","servicer":"` + s + `","principal":25000000,"rate_bps":650,"term_months":360,"first_due":1767225600}`
	if err := valid(t, create, goodCreate); err != nil {
		t.Fatalf("README create arguments refused: %v", err)
	}
	pay := compile(t, m.Methods["pay"].Args)
	if err := valid(t, pay, `{"id":"L-1001","amount":189622}`); err != nil {
		t.Fatalf("README pay arguments refused: %v", err)
	}
	bad := []struct {
		name   string
		schema *jsonschema.Schema
		args   string
	}{
		{"pay amount as a string", pay, `{"id":"L-1001","amount":"189622"}`},
		{"pay amount beyond int64", pay, `{"id":"L-1001","amount":9223372036854775808}`},
		{"pay amount with a fraction", pay, `{"id":"L-1001","amount":1896.22}`},
		{"pay unknown field", pay, `{"id":"L-1001","amount":1,"memo":"x"}`},
		{"pay without an amount", pay, `{"id":"L-1001"}`},
		{"pay not an object", pay, `[1]`},
		{"create borrower not an address", create, strings.Replace(goodCreate, `"borrower":"`+s+`"`, `"borrower":"bob"`, 1)},
		{"create without a term", create, strings.Replace(goodCreate, `,"term_months":360`, ``, 1)},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if err := valid(t, tc.schema, tc.args); err == nil {
				t.Fatalf("accepted %s", tc.args)
			}
		})
	}
	// Every schema is valid JSON Schema.
	for _, meth := range m.Methods {
		compile(t, meth.Args)
		compile(t, meth.Result)
	}
	for _, e := range m.Events {
		compile(t, e)
	}
	for _, st := range m.State {
		compile(t, st.Schema)
	}
}

func TestContractEmbedsDeclarations(t *testing.T) {
	m := builtManifest(t, "testdata/declared")
	if _, ok := m.Methods["count"]; !ok {
		t.Fatal("a method registered in a late-sorting file is missing")
	}
	if len(m.Events) != 1 || len(m.State) != 1 || m.State[0].Prefix != "note/" {
		t.Fatalf("events %v, state %+v", m.Events, m.State)
	}
	note := compile(t, m.State[0].Schema)
	if err := valid(t, note, `{"id":"n1","by":"0x00000000000000000000000000000000000000aA"}`); err != nil {
		t.Fatal(err)
	}
	if err := valid(t, note, `{"id":"n1"}`); err == nil {
		t.Fatal("a note without its author was accepted")
	}
	// The manifest is generated the same way every time.
	again := builtManifest(t, "testdata/declared")
	if again.Hash() != m.Hash() {
		t.Fatal("two builds gave different manifests")
	}
}

func TestContractWithoutSDKHasNoManifest(t *testing.T) {
	out := filepath.Join(t.TempDir(), "ok.wasm")
	if err := Contract(context.Background(), "testdata/ok", out); err != nil {
		t.Fatal(err)
	}
	wasm, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := manifest.Extract(wasm); ok || err != nil {
		t.Fatalf("a module written against the raw ABI got a manifest (%v)", err)
	}
	if _, ok, err := Manifest(context.Background(), "testdata/ok"); ok || err != nil {
		t.Fatalf("Manifest = %v, %v", ok, err)
	}
}

func TestManifestInitNeverEnds(t *testing.T) {
	saved := manifestRunTimeout
	manifestRunTimeout = 2 * time.Second
	t.Cleanup(func() { manifestRunTimeout = saved })
	_, _, err := Manifest(context.Background(), "testdata/initloop")
	var be *Error
	if !errors.As(err, &be) || !strings.Contains(err.Error(), "initialisation did not finish within 2s") {
		t.Fatalf("Manifest = %v", err)
	}
}

func TestManifestErrors(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name, pkg string
		ctx       context.Context
		want      string
		err       error
	}{
		{"unencodable argument type", "testdata/unencodable", context.Background(), "method wait arguments", nil},
		{"init panics", "testdata/panics", context.Background(), `method "twice" registered twice`, nil},
		{"file after the manifest's", "testdata/latefile", context.Background(), "zzzzzzzzzz.go sorts after", nil},
		{"missing dir", "testdata/nope", context.Background(), "not a package directory", nil},
		{"canceled", "testdata/declared", canceled, "", context.Canceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "x.wasm")
			for _, err := range []error{
				func() error { _, _, err := Manifest(tc.ctx, tc.pkg); return err }(),
				Contract(tc.ctx, tc.pkg, out),
			} {
				var be *Error
				if !errors.As(err, &be) || be.Pkg != tc.pkg || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("err %v, want *Error containing %q", err, tc.want)
				}
				if tc.err != nil && !errors.Is(err, tc.err) {
					t.Fatalf("err %v, want %v", err, tc.err)
				}
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Fatal("a failed build left an output file")
			}
		})
	}
}
