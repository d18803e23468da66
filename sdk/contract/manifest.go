package contract

import (
	"fmt"
	"reflect"
	"strings"
)

// manifestTypes records the Go types a contract declares, from which a
// native build of the contract generates its manifest (docs/abi.md,
// "Manifest"). Like the method registry it is written only during package
// initialisation. In Wasm it holds a few type descriptors and nothing
// reads it; the schema generator is compiled only into native builds.
var manifestTypes struct {
	methods []typedName // in registration order; the manifest sorts
	events  []typedName
	state   []typedName
}

// typedName is a registered name with its Go types.
type typedName struct {
	name         string
	args, result reflect.Type // result is nil for events and state
}

// recordMethodTypes is called by Method for every method registered.
func recordMethodTypes(name string, args, result reflect.Type) {
	manifestTypes.methods = append(manifestTypes.methods, typedName{name: name, args: args, result: result})
}

// Event declares that the contract emits events named name with payloads
// of type T, so that its manifest lists the event with T's JSON Schema.
// Call it from an init function, once per name. Declaring is for the
// manifest only: Emit does not check names against declarations. It also
// warms T's encoding as Warm does.
func Event[T any](name string) {
	if name == "" {
		panic("contract: Event with an empty name")
	}
	for _, e := range manifestTypes.events {
		if e.name == name {
			panic(fmt.Sprintf("contract: event %q declared twice", name))
		}
	}
	manifestTypes.events = append(manifestTypes.events, typedName{name: name, args: reflect.TypeFor[T]()})
	var zero T
	Warm(zero)
}

// State declares that every state key starting with prefix holds a JSON
// encoded T, so that the contract's manifest lists the record with T's JSON
// Schema. Call it from an init function. Prefixes must be non-empty and no
// prefix may start another: a key then belongs to one record kind only.
func State[T any](prefix string) {
	if prefix == "" {
		panic("contract: State with an empty prefix")
	}
	for _, s := range manifestTypes.state {
		if strings.HasPrefix(s.name, prefix) || strings.HasPrefix(prefix, s.name) {
			panic(fmt.Sprintf("contract: state prefix %q overlaps %q", prefix, s.name))
		}
	}
	manifestTypes.state = append(manifestTypes.state, typedName{name: prefix, args: reflect.TypeFor[T]()})
	var zero T
	Warm(zero)
}
