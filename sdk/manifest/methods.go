package manifest

import (
	"fmt"
	"slices"
)

// CanReadMethod is the reserved method a contract with a read policy
// answers (docs/abi.md, "Read policy"); mesh.methods lists it.
const CanReadMethod = "mesh.canRead"

// MatchesMethods checks the manifest against the list a module's
// mesh.methods returns: the same method names, plus CanReadMethod exactly
// when ReadPolicy is true. A module whose manifest describes other
// methods than it answers, or claims a read policy it does not have, is
// refused with the first difference (in name order) named, so that every
// node refuses it the same way.
func (m *Manifest) MatchesMethods(names []string) error {
	listed := slices.Clone(names)
	slices.Sort(listed)
	hasPolicy := false
	var methods []string
	for i, n := range listed {
		if i > 0 && listed[i-1] == n {
			return fmt.Errorf("%w: mesh.methods lists %q twice", ErrInvalid, n)
		}
		if n == CanReadMethod {
			hasPolicy = true
			continue
		}
		methods = append(methods, n)
	}
	if hasPolicy != m.ReadPolicy {
		return fmt.Errorf("%w: readPolicy is %t but the module %s %s", ErrInvalid, m.ReadPolicy, map[bool]string{true: "answers", false: "does not answer"}[hasPolicy], CanReadMethod)
	}
	described := sortedKeys(m.Methods)
	i, j := 0, 0
	for i < len(described) || j < len(methods) {
		switch {
		case j == len(methods) || (i < len(described) && described[i] < methods[j]):
			return fmt.Errorf("%w: method %q is described but the module has no such method", ErrInvalid, described[i])
		case i == len(described) || methods[j] < described[i]:
			return fmt.Errorf("%w: the module's method %q is not described", ErrInvalid, methods[j])
		}
		i, j = i+1, j+1
	}
	return nil
}
