package ledger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// MaxArgsDepth bounds the nesting of a call's arguments (objects and
// arrays) before they reach the schema validator: the validator recurses
// per level, and no scenario argument nests more than a few levels.
const MaxArgsDepth = 32

// ErrInvalidArgs: a call's arguments do not satisfy the argument schema of
// the method in the contract's manifest. The error is an *ArgsError.
var ErrInvalidArgs = errors.New("invalid args")

// ArgsError says which field of a call's arguments failed its schema and
// why. Its text is the same on every node (it becomes the receipt's
// message): it never formats floats nor depends on map order.
type ArgsError struct {
	Method string
	// Pointer is the JSON pointer (RFC 6901) of the failing value in the
	// arguments; "" is the whole argument document.
	Pointer string
	Reason  string
}

func (e *ArgsError) Error() string {
	p := e.Pointer
	if p == "" {
		p = "/"
	}
	return fmt.Sprintf("%s: %s", p, e.Reason)
}

// Unwrap makes every ArgsError match ErrInvalidArgs.
func (e *ArgsError) Unwrap() error { return ErrInvalidArgs }

// schemaURL names a manifest's schema inside the compiler. The scheme is
// never loaded: every schema is added as a resource first, and the loader
// refuses everything else, so a $ref cannot reach outside the manifest.
func schemaURL(part string, i int) string {
	return "mesh:///manifest/" + part + "/" + strconv.Itoa(i) + ".json"
}

// noLoader refuses every URL: a manifest's schemas are self-contained, and
// a node must never fetch anything while validating a deploy.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("schema %s is not part of the manifest: external references are not allowed", url)
}

// schemaCompiler returns a compiler pinned to draft 2020-12, with formats
// as annotations only (assertions would depend on the library's format
// checkers, which are not part of the manifest) and no loader.
func schemaCompiler() *jsonschema.Compiler {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(noLoader{})
	return c
}

// compileSchema compiles one schema of a manifest. what names it in the
// error ("methods.pay.args").
func compileSchema(c *jsonschema.Compiler, url, what string, raw json.RawMessage) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%s: schema is not JSON: %v", what, err)
	}
	if obj, ok := doc.(map[string]any); ok {
		if s, ok := obj["$schema"]; ok && s != jsonschema.Draft2020.String() {
			return nil, fmt.Errorf("%s: $schema %v: only %s is accepted", what, s, jsonschema.Draft2020.String())
		}
	}
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("%s: %v", what, err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("%s: invalid JSON Schema: %s", what, schemaErrorText(err))
	}
	return sch, nil
}

// schemaErrorText shortens the library's error about an invalid schema
// (which names the compiler's internal URL) to its reason.
func schemaErrorText(err error) string {
	var se *jsonschema.SchemaValidationError
	if errors.As(err, &se) && se.Err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(se.Err, &ve) {
			f := firstFailure(ve)
			return fmt.Sprintf("%s: %s", pointerOf(f.InstanceLocation), reasonOf(f.ErrorKind))
		}
	}
	return strings.ReplaceAll(err.Error(), "mesh:///manifest/", "")
}

// checkDepth refuses arguments nested deeper than MaxArgsDepth, counting
// brackets outside strings. It runs before decoding, so a deeply nested
// document costs one linear scan.
func checkDepth(args []byte) error {
	depth, inString, escaped := 0, false, false
	for _, c := range args {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			if depth > MaxArgsDepth {
				return fmt.Errorf("nested deeper than %d levels", MaxArgsDepth)
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}

// validateArgs checks args against sch. Empty arguments pass: the
// contract SDK gives the method the zero value of its argument type,
// which is what the schema was generated from (a required field is one
// the encoding always writes, not one the method needs non-zero).
func validateArgs(s *argSchema, method string, args []byte) error {
	if len(bytes.TrimSpace(args)) == 0 {
		return nil
	}
	if s.fast != nil && s.fast.valid(args) {
		return nil
	}
	sch := s.lib
	if err := checkDepth(args); err != nil {
		return &ArgsError{Method: method, Reason: err.Error()}
	}
	doc, err := decodeArgs(args)
	if err != nil {
		return &ArgsError{Method: method, Reason: errNotJSON.Error()}
	}
	err = sch.Validate(doc)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		// Validate returns only validation errors; anything else would
		// be a library fault, reported without its (unstable) text.
		return &ArgsError{Method: method, Reason: "arguments could not be validated"}
	}
	f := firstFailure(ve)
	return &ArgsError{Method: method, Pointer: pointerOf(f.InstanceLocation), Reason: reasonOf(f.ErrorKind)}
}

// firstFailure picks one leaf of the library's error tree, the same on
// every node: the library gathers sibling failures in map order, so the
// leaves are ordered by instance location, then keyword path, then
// reason, and the first is reported.
func firstFailure(ve *jsonschema.ValidationError) *jsonschema.ValidationError {
	var leaves []*jsonschema.ValidationError
	var walk func(*jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			leaves = append(leaves, e)
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return slices.MinFunc(leaves, func(a, b *jsonschema.ValidationError) int {
		if c := slices.Compare(a.InstanceLocation, b.InstanceLocation); c != 0 {
			return c
		}
		if c := slices.Compare(a.ErrorKind.KeywordPath(), b.ErrorKind.KeywordPath()); c != 0 {
			return c
		}
		return strings.Compare(reasonOf(a.ErrorKind), reasonOf(b.ErrorKind))
	})
}

// pointerOf encodes an instance location as a JSON pointer.
func pointerOf(loc []string) string {
	var sb strings.Builder
	for _, tok := range loc {
		sb.WriteByte('/')
		sb.WriteString(strings.ReplaceAll(strings.ReplaceAll(tok, "~", "~0"), "/", "~1"))
	}
	return sb.String()
}

// ratText writes a schema number exactly: an integer as its digits, any
// other number as a fraction. Never a float, whose formatting could
// differ.
func ratText(r *big.Rat) string {
	if r == nil {
		return "?"
	}
	if r.IsInt() {
		return r.Num().String()
	}
	return r.RatString()
}

// quoted lists names in a stable order.
func quoted(names []string) string {
	s := slices.Clone(names)
	slices.Sort(s)
	for i, n := range s {
		s[i] = strconv.Quote(n)
	}
	return strings.Join(s, ", ")
}

// reasonOf words a failure without the library's localised messages,
// which format numbers as floats.
func reasonOf(k jsonschema.ErrorKind) string {
	switch k := k.(type) {
	case *kind.Type:
		want := slices.Clone(k.Want)
		slices.Sort(want)
		return fmt.Sprintf("must be %s, not %s", strings.Join(want, " or "), k.Got)
	case *kind.Required:
		return "missing required field " + quoted(k.Missing)
	case *kind.AdditionalProperties:
		return "unknown field " + quoted(k.Properties)
	case *kind.Minimum:
		return "must be >= " + ratText(k.Want)
	case *kind.Maximum:
		return "must be <= " + ratText(k.Want)
	case *kind.ExclusiveMinimum:
		return "must be > " + ratText(k.Want)
	case *kind.ExclusiveMaximum:
		return "must be < " + ratText(k.Want)
	case *kind.MultipleOf:
		return "must be a multiple of " + ratText(k.Want)
	case *kind.MinLength:
		return fmt.Sprintf("must be at least %d characters", k.Want)
	case *kind.MaxLength:
		return fmt.Sprintf("must be at most %d characters", k.Want)
	case *kind.Pattern:
		return "must match " + strconv.Quote(k.Want)
	case *kind.MinItems:
		return fmt.Sprintf("must have at least %d items", k.Want)
	case *kind.MaxItems:
		return fmt.Sprintf("must have at most %d items", k.Want)
	case *kind.UniqueItems:
		return fmt.Sprintf("items %d and %d are equal", k.Duplicates[0], k.Duplicates[1])
	case *kind.MinProperties:
		return fmt.Sprintf("must have at least %d fields", k.Want)
	case *kind.MaxProperties:
		return fmt.Sprintf("must have at most %d fields", k.Want)
	case *kind.Enum:
		return "must be one of the allowed values"
	case *kind.Const:
		return "must be the constant value"
	case *kind.FalseSchema:
		return "is not allowed"
	}
	// Every other keyword (combinators, references, conditionals) is
	// named by its path, which is stable.
	return "fails " + strings.Join(k.KeywordPath(), "/")
}
