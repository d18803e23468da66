package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/sdk/client"
)

func newPolicyCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Show the network policy, or propose a new one",
	}
	cmd.AddCommand(newPolicyShowCmd(a), newPolicyProposeCmd(a))
	return cmd
}

func newPolicyShowCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "show",
		Short:   "Show the network policy: threshold, deploy policy, proposal lifetime, non-members, manifests",
		Example: "  meshledger policy show\n  meshledger policy show --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.client(false)
			if err != nil {
				return err
			}
			p, err := c.Policy(cmd.Context())
			if err != nil {
				return err
			}
			if a.jsonOut {
				return printJSON(a.stdout, p)
			}
			threshold := "majority of organisations"
			if p.Policy.Threshold > 0 {
				threshold = fmt.Sprintf("%d organisations", p.Policy.Threshold)
			}
			var k kv
			k.add("threshold", threshold)
			k.add("deploy policy", p.Policy.DeployPolicy)
			k.add("proposal ttl", (time.Duration(p.Policy.ProposalTTLMs) * time.Millisecond).String())
			k.add("allow non-members", fmt.Sprint(p.Policy.AllowNonMembers))
			k.add("require manifest", fmt.Sprint(p.Policy.RequireManifest))
			k.add("height", fmt.Sprint(p.Height))
			return k.print(a.stdout)
		},
	}
}

func newPolicyProposeCmd(a *app) *cobra.Command {
	var threshold uint32
	var deployPolicy string
	var ttl time.Duration
	var allowNonMembers, requireManifest bool
	cmd := &cobra.Command{
		Use:   "propose [--threshold N] [--deploy-policy open|approval] [--ttl DURATION] [--allow-non-members=true|false] [--require-manifest=true|false]",
		Short: "Propose a new network policy; flags not given keep their current value",
		Long: `Propose a new network policy. The proposal carries every field: those not
given on the command line are copied from the current policy. --threshold 0
means a majority of the organisations.`,
		Example: `  meshledger policy propose --deploy-policy approval
  meshledger policy propose --threshold 3 --ttl 72h
  meshledger policy propose --require-manifest=false`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			if !f.Changed("threshold") && !f.Changed("deploy-policy") && !f.Changed("ttl") && !f.Changed("allow-non-members") && !f.Changed("require-manifest") {
				return fmt.Errorf("nothing to change: give at least one of --threshold, --deploy-policy, --ttl, --allow-non-members, --require-manifest")
			}
			if f.Changed("deploy-policy") && deployPolicy != registry.DeployOpen && deployPolicy != registry.DeployApproval {
				return fmt.Errorf("--deploy-policy %q: want %s or %s", deployPolicy, registry.DeployOpen, registry.DeployApproval)
			}
			if f.Changed("ttl") && (ttl < time.Millisecond || ttl%time.Millisecond != 0) {
				return fmt.Errorf("--ttl %s: want a positive whole number of milliseconds", ttl)
			}
			c, err := a.client(true)
			if err != nil {
				return err
			}
			cur, err := c.Policy(cmd.Context())
			if err != nil {
				return err
			}
			p := registry.Policy{
				Threshold:       cur.Policy.Threshold,
				DeployPolicy:    cur.Policy.DeployPolicy,
				ProposalTTLMs:   cur.Policy.ProposalTTLMs,
				AllowNonMembers: cur.Policy.AllowNonMembers,
				RequireManifest: cur.Policy.RequireManifest,
			}
			if f.Changed("threshold") {
				p.Threshold = threshold
			}
			if f.Changed("deploy-policy") {
				p.DeployPolicy = deployPolicy
			}
			if f.Changed("ttl") {
				p.ProposalTTLMs = ttl.Milliseconds()
			}
			if f.Changed("allow-non-members") {
				p.AllowNonMembers = allowNonMembers
			}
			if f.Changed("require-manifest") {
				p.RequireManifest = requireManifest
			}
			return a.submitGoverned(cmd, c, client.SetPolicyOp(p), nil)
		},
	}
	cmd.Flags().Uint32Var(&threshold, "threshold", 0, "organisations that must approve a proposal (0: a majority)")
	cmd.Flags().StringVar(&deployPolicy, "deploy-policy", "", "open (a deployer deploys at once) or approval (deploys and upgrades are proposals)")
	cmd.Flags().DurationVar(&ttl, "ttl", 0, "how long a proposal stays open, e.g. 168h")
	cmd.Flags().BoolVar(&allowNonMembers, "allow-non-members", false, "let addresses outside every organisation send transactions")
	cmd.Flags().BoolVar(&requireManifest, "require-manifest", false, "refuse deploys and upgrades whose code carries no manifest")
	return cmd
}
