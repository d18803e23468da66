//go:build !wasip1

package contract

import (
	"reflect"
	"slices"
	"strings"
)

// jsonField is one field of a struct's JSON object.
type jsonField struct {
	name     string
	typ      reflect.Type
	optional bool // omitempty or omitzero
	quoted   bool // the ",string" option
	tagged   bool // the name comes from a tag
	depth    int  // embedding depth, for encoding/json's dominance rule
	index    []int
}

// jsonFields lists t's JSON fields as encoding/json encodes them:
// exported fields, "-" skipped, anonymous structs' fields promoted, and of
// several fields with one name the shallowest wins (a tagged one among
// equals), none if that leaves a tie. Order is declaration order.
func jsonFields(t reflect.Type) []jsonField {
	var all []jsonField
	collectFields(t, nil, 0, map[reflect.Type]bool{}, &all)
	// Stable order by name first to apply dominance, then back to
	// declaration order (the index path) for the output.
	byName := map[string][]jsonField{}
	var names []string
	for _, f := range all {
		if _, ok := byName[f.name]; !ok {
			names = append(names, f.name)
		}
		byName[f.name] = append(byName[f.name], f)
	}
	var out []jsonField
	for _, n := range names {
		if f, ok := dominant(byName[n]); ok {
			out = append(out, f)
		}
	}
	slices.SortStableFunc(out, func(a, b jsonField) int { return slices.Compare(a.index, b.index) })
	return out
}

func dominant(fs []jsonField) (jsonField, bool) {
	minDepth := fs[0].depth
	for _, f := range fs {
		minDepth = min(minDepth, f.depth)
	}
	var best []jsonField
	for _, f := range fs {
		if f.depth == minDepth {
			best = append(best, f)
		}
	}
	if len(best) == 1 {
		return best[0], true
	}
	var tagged []jsonField
	for _, f := range best {
		if f.tagged {
			tagged = append(tagged, f)
		}
	}
	if len(tagged) == 1 {
		return tagged[0], true
	}
	return jsonField{}, false
}

func collectFields(t reflect.Type, index []int, depth int, seen map[reflect.Type]bool, out *[]jsonField) {
	if seen[t] {
		return // an embedding cycle through pointers: encoding/json stops too
	}
	seen[t] = true
	defer delete(seen, t)
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		ft := sf.Type
		if sf.Anonymous {
			et := ft
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if !sf.IsExported() && et.Kind() != reflect.Struct {
				continue
			}
			if name == "" && et.Kind() == reflect.Struct {
				collectFields(et, append(slices.Clone(index), i), depth+1, seen, out)
				continue
			}
		} else if !sf.IsExported() {
			continue
		}
		f := jsonField{name: name, typ: ft, tagged: name != "", depth: depth, index: append(slices.Clone(index), i)}
		if f.name == "" {
			f.name = sf.Name
		}
		for _, o := range strings.Split(opts, ",") {
			switch o {
			case "omitempty", "omitzero":
				f.optional = true
			case "string":
				f.quoted = true
			}
		}
		*out = append(*out, f)
	}
}
