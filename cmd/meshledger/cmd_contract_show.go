package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/meshledger/meshledger/sdk/manifest"
)

func newContractShowCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "show CONTRACT",
		Short: "Show a contract's methods with their argument schemas, from its manifest",
		Long: `Show the manifest of a contract's code: each method with the fields of its
arguments (type, whether required, bounds), the events it emits and whether it
has a read policy. Arguments of calls are validated against these schemas at
admission and at execution. With --json the manifest itself is printed.`,
		Example:           "  meshledger contract show 0xC0nTrAcT\n  meshledger contract show 0xC0nTrAcT --json",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeContract,
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := parseAddress("contract", args[0])
			if err != nil {
				return err
			}
			c, err := a.client(false)
			if err != nil {
				return err
			}
			m, err := c.Manifest(cmd.Context(), addr)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return printJSON(a.stdout, m)
			}
			return printManifest(a.stdout, m)
		},
	}
}

// schemaView is the part of a generated JSON Schema the listing shows.
type schemaView struct {
	Type                 any                   `json:"type"`
	Properties           map[string]schemaView `json:"properties"`
	Required             []string              `json:"required"`
	Items                *schemaView           `json:"items"`
	Minimum              json.Number           `json:"minimum"`
	Maximum              json.Number           `json:"maximum"`
	Pattern              string                `json:"pattern"`
	AdditionalProperties any                   `json:"additionalProperties"`
}

// typeName words a schema's type: "integer", "array of string", ...
func (s schemaView) typeName() string {
	t := fmt.Sprint(s.Type)
	if list, ok := s.Type.([]any); ok {
		parts := make([]string, len(list))
		for i, v := range list {
			parts[i] = fmt.Sprint(v)
		}
		t = strings.Join(parts, "|")
	}
	if s.Type == nil {
		t = "any"
	}
	if t == "array" && s.Items != nil {
		t += " of " + s.Items.typeName()
	}
	return t
}

// constraints lists a field's bounds, except the full int64 range every
// generated integer carries.
func (s schemaView) constraints() string {
	var cs []string
	if s.Minimum != "" && s.Minimum != "-9223372036854775808" {
		cs = append(cs, ">= "+string(s.Minimum))
	}
	if s.Maximum != "" && s.Maximum != "9223372036854775807" && s.Maximum != "18446744073709551615" {
		cs = append(cs, "<= "+string(s.Maximum))
	}
	if s.Pattern != "" {
		cs = append(cs, "pattern "+s.Pattern)
	}
	return strings.Join(cs, ", ")
}

func printManifest(w io.Writer, m *manifest.Manifest) error {
	fmt.Fprintf(w, "manifest 0x%x (version %d), read policy: %v\n", m.Hash(), m.Version, m.ReadPolicy)
	names := make([]string, 0, len(m.Methods))
	for n := range m.Methods {
		names = append(names, n)
	}
	slices.Sort(names)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "METHOD\tARGUMENT\tTYPE\tREQUIRED\tCONSTRAINTS")
	for _, n := range names {
		var s schemaView
		if err := json.Unmarshal(m.Methods[n].Args, &s); err != nil {
			return fmt.Errorf("arguments of %s: %w", n, err)
		}
		if len(s.Properties) == 0 {
			fmt.Fprintf(tw, "%s\t-\t%s\t\t\n", n, s.typeName())
			continue
		}
		fields := make([]string, 0, len(s.Properties))
		for f := range s.Properties {
			fields = append(fields, f)
		}
		slices.Sort(fields)
		for i, f := range fields {
			p, method := s.Properties[f], ""
			if i == 0 {
				method = n
			}
			req := "no"
			if slices.Contains(s.Required, f) {
				req = "yes"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", method, f, p.typeName(), req, p.constraints())
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(m.Events) > 0 {
		events := make([]string, 0, len(m.Events))
		for e := range m.Events {
			events = append(events, e)
		}
		slices.Sort(events)
		fmt.Fprintf(w, "events: %s\n", strings.Join(events, ", "))
	}
	return nil
}
