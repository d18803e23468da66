package main

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
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

// completeContract completes the first argument with deployed contract
// addresses (annotated with their names).
func (a *app) completeContract(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) != 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ctx, cancel := completionContext(cmd)
	defer cancel()
	c, err := a.client(false)
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	list, err := collect(c.Contracts(ctx))
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	var out []string
	for _, ct := range list {
		if addr := ct.Address.Hex(); strings.HasPrefix(strings.ToLower(addr), strings.ToLower(toComplete)) {
			out = append(out, addr+"\t"+ct.Name)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
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
		status := ""
		if open {
			status = "open"
		}
		var out []string
		for p, err := range c.Proposals(ctx, status) {
			if err != nil {
				return nil, cobra.ShellCompDirectiveError
			}
			if id := strconv.FormatUint(p.ID, 10); strings.HasPrefix(id, toComplete) {
				out = append(out, id+"\t"+p.Kind+" ("+p.Status+")")
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeOrg completes an organisation id, annotated with its name.
func (a *app) completeOrg(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) != 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ctx, cancel := completionContext(cmd)
	defer cancel()
	c, err := a.client(false)
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	orgs, err := c.Orgs(ctx)
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	var out []string
	for _, o := range orgs.Orgs {
		if strings.HasPrefix(o.ID, toComplete) {
			out = append(out, o.ID+"\t"+o.Name)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
