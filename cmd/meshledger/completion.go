package main

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/meshledger/meshledger/sdk/client"
)

// completionTimeout keeps shell completion snappy when the node is down.
const completionTimeout = 2 * time.Second

// completionContext bounds a completion's requests.
func completionContext(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	parent := cmd.Context()
	if parent == nil {
		parent = context.Background()
	}
	return context.WithTimeout(parent, completionTimeout)
}

// completeFirst completes the first argument with the candidates list
// returns ("value" or "value\tdescription") whose value starts with
// toComplete; fold compares case-insensitively.
func (a *app) completeFirst(fold bool, list func(ctx context.Context, c *client.Client) ([]string, error)) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) != 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx, cancel := completionContext(cmd)
		defer cancel()
		c, err := a.client(false)
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		all, err := list(ctx, c)
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		var out []string
		for _, cand := range all {
			v, _, _ := strings.Cut(cand, "\t")
			if fold && strings.HasPrefix(strings.ToLower(v), strings.ToLower(toComplete)) ||
				!fold && strings.HasPrefix(v, toComplete) {
				out = append(out, cand)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeContract completes the first argument with deployed contract
// addresses (annotated with their names).
func (a *app) completeContract(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	return a.completeFirst(true, func(ctx context.Context, c *client.Client) ([]string, error) {
		list, err := collect(c.Contracts(ctx))
		if err != nil {
			return nil, err
		}
		out := make([]string, 0, len(list))
		for _, ct := range list {
			out = append(out, ct.Address.Hex()+"\t"+ct.Name)
		}
		return out, nil
	})(cmd, args, toComplete)
}

// completeContractMethod completes CONTRACT, then METHOD from the
// contract's method list.
func (a *app) completeContractMethod(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) == 0 {
		return a.completeContract(cmd, args, toComplete)
	}
	if len(args) != 1 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	addr, err := parseAddress("contract", args[0])
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	ctx, cancel := completionContext(cmd)
	defer cancel()
	c, err := a.client(false)
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	ct, err := c.Contract(ctx, addr)
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	var out []string
	for _, m := range ct.Methods {
		if strings.HasPrefix(m, toComplete) && !strings.HasPrefix(m, "mesh.") {
			out = append(out, m)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeProposal completes a proposal id, annotated with its kind; only
// open proposals when open is set (what approve and reject act on).
func (a *app) completeProposal(open bool) cobra.CompletionFunc {
	status := ""
	if open {
		status = "open"
	}
	return a.completeFirst(false, func(ctx context.Context, c *client.Client) ([]string, error) {
		var out []string
		for p, err := range c.Proposals(ctx, status) {
			if err != nil {
				return nil, err
			}
			out = append(out, strconv.FormatUint(p.ID, 10)+"\t"+p.Kind+" ("+p.Status+")")
		}
		return out, nil
	})
}

// completeOrg completes an organisation id, annotated with its name.
func (a *app) completeOrg(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	return a.completeFirst(false, func(ctx context.Context, c *client.Client) ([]string, error) {
		orgs, err := c.Orgs(ctx)
		if err != nil {
			return nil, err
		}
		out := make([]string, 0, len(orgs.Orgs))
		for _, o := range orgs.Orgs {
			out = append(out, o.ID+"\t"+o.Name)
		}
		return out, nil
	})(cmd, args, toComplete)
}
