package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/ethereum/go-ethereum/common"
	"github.com/spf13/cobra"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/client"
)

// Exit statuses of the checking commands (log verify, evidence verify):
// scripts tell a check that failed from one that could not run.
const (
	exitCheckFailed = 1 // the check ran and failed (or the evidence proves nothing)
	exitCannotRun   = 2 // bad input, or the node could not be asked
)

// exitError is an error with the process exit status it stands for (run
// returns ExitCode instead of its defaults).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }
func (e *exitError) ExitCode() int { return e.code }

func cannotRun(err error) error   { return &exitError{code: exitCannotRun, err: err} }
func checkFailed(err error) error { return &exitError{code: exitCheckFailed, err: err} }

// checkCommand makes cmd's usage errors (arguments, flags) exit with
// exitCannotRun like its other unusable input: commands that check
// something keep 1 for "the check failed".
func checkCommand(cmd *cobra.Command) *cobra.Command {
	if args := cmd.Args; args != nil {
		cmd.Args = func(c *cobra.Command, a []string) error {
			if err := args(c, a); err != nil {
				return cannotRun(err)
			}
			return nil
		}
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return cannotRun(err) })
	return cmd
}

// maxBlockFile bounds a saved block (meshledger block H --json lists
// every transaction hash of the block); only its signed header is kept.
const maxBlockFile = 16 << 20

// evidenceFinding is the --json output of evidence verify.
type evidenceFinding struct {
	Valid   bool             `json:"valid"`
	Kind    string           `json:"kind,omitempty"`
	Height  uint64           `json:"height,omitempty"`
	Strong  bool             `json:"strong,omitempty"`
	Proven  string           `json:"proven,omitempty"`
	Signers []common.Address `json:"signers,omitempty"`
	Auditor *common.Address  `json:"auditor,omitempty"`
	Error   string           `json:"error,omitempty"`
}

func newEvidenceCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "evidence",
		Short: "Check evidence that a node rewrote its history",
	}
	var (
		genesisFile string
		auditors    []string
	)
	verify := &cobra.Command{
		Use:   "verify FILE [--genesis FILE] [--trust ADDR]... [--auditor ADDR]...",
		Short: "Re-check an evidence file offline",
		Long: `Re-check an evidence file written by 'meshledger log verify' (docs/audit.md,
"Evidence"), offline: no node is asked. Header signatures count only when
their signer is authorised: a --trust address (the solo producer's key), or a
node of an organisation in --genesis, whose chain id must be the evidence's.
A checkpoint counts when its auditor's signature verifies, and, with
--auditor, only from those auditors.

Exit status: 0 when the evidence proves that a node misbehaved, 1 when it does
not (forged, or authentic but showing nothing wrong), 2 when the file or the
flags are not usable.`,
		Example: `  meshledger evidence verify evidence.json --trust 0xNodeAddress
  meshledger evidence verify evidence.json --genesis genesis.json --auditor 0xAuditor --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := readEvidence(args[0])
			if err != nil {
				return cannotRun(err)
			}
			trust, err := evidenceTrust(a, genesisFile, auditors)
			if err != nil {
				return cannotRun(err)
			}
			f, err := client.VerifyEvidence(e, trust)
			return printEvidenceFinding(a, f, err)
		},
	}
	verify.Flags().StringVar(&genesisFile, "genesis", "", "the chain's genesis file: fixes the chain id, and its organisations' nodes are authorised signers")
	verify.Flags().StringSliceVar(&auditors, "auditor", nil, "auditor addresses whose checkpoints count (default: any auditor whose signature verifies)")
	cmd.AddCommand(checkCommand(verify), checkCommand(newEvidenceConflictingCmd(a)))
	return cmd
}

func newEvidenceConflictingCmd(a *app) *cobra.Command {
	var out, genesisFile string
	cmd := &cobra.Command{
		Use:   "conflicting BLOCK1.json BLOCK2.json -o FILE [--trust ADDR]... [--genesis FILE]",
		Short: "Make evidence from two signed headers at one height with different hashes",
		Long: `Assemble conflicting-headers evidence from two blocks a node served, each saved
with 'meshledger block H --json' (or a signed header alone), check it as
'evidence verify' would, and write it to -o FILE. A signer that signs two
blocks at one height has rewritten or forked its history.

Exit status: 0 when the evidence is written and proves misbehaviour, 1 when
the headers prove nothing (the same block, different heights, a signature
that does not verify or an unauthorised signer; nothing is written), 2 bad
input.`,
		Example: `  meshledger block 1200 --json > seen-monday.json
  meshledger block 1200 --json > seen-friday.json
  meshledger evidence conflicting seen-monday.json seen-friday.json -o evidence.json --trust 0xNodeAddress`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return cannotRun(errors.New("-o FILE is required"))
			}
			trust, err := evidenceTrust(a, genesisFile, nil)
			if err != nil {
				return cannotRun(err)
			}
			e := &api.Evidence{Version: api.EvidenceVersion, Kind: api.EvidenceConflictingHeaders}
			for _, f := range args {
				h, err := readSignedHeader(f)
				if err != nil {
					return cannotRun(err)
				}
				e.Headers = append(e.Headers, *h)
			}
			e.ChainID = e.Headers[0].Header.ChainID
			f, verr := client.VerifyEvidence(e, trust)
			if verr == nil {
				e.Reason = f.Proven
				if err := writeJSONFile(out, e); err != nil {
					return cannotRun(err)
				}
				fmt.Fprintf(a.stderr, "wrote %s\n", out)
			}
			return printEvidenceFinding(a, f, verr)
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "the evidence file to write")
	cmd.Flags().StringVar(&genesisFile, "genesis", "", "the chain's genesis file (its organisations' nodes are authorised signers)")
	return cmd
}

// readSignedHeader reads a block as 'meshledger block --json' prints it,
// or a signed header alone.
func readSignedHeader(path string) (*api.SignedHeader, error) {
	b, err := readBounded(path, maxBlockFile)
	if err != nil {
		return nil, fmt.Errorf("block: %w", err)
	}
	var blk api.Block
	if err := json.Unmarshal(b, &blk); err != nil {
		return nil, fmt.Errorf("block %s: %w: %v", path, client.ErrBadEvidence, err)
	}
	if len(blk.Header.Signature) > 0 {
		return &blk.Header, nil
	}
	var sh api.SignedHeader
	if err := json.Unmarshal(b, &sh); err != nil || len(sh.Signature) == 0 {
		return nil, fmt.Errorf("block %s: %w: neither a block nor a signed header (or unsigned)", path, client.ErrBadEvidence)
	}
	return &sh, nil
}

// evidenceTrust is what --trust, --genesis and --auditor say evidence is
// checked against.
func evidenceTrust(a *app, genesisFile string, auditors []string) (client.EvidenceTrust, error) {
	var trust client.EvidenceTrust
	var err error
	if trust.Signers, err = a.trustedAddrs(); err != nil {
		return trust, err
	}
	for _, s := range auditors {
		addr, err := parseAddress("--auditor", s)
		if err != nil {
			return trust, err
		}
		trust.Auditors = append(trust.Auditors, addr)
	}
	if genesisFile != "" {
		g, err := block.LoadGenesis(genesisFile)
		if err != nil {
			return trust, err
		}
		trust.Genesis = g
	}
	return trust, nil
}

// readEvidence reads and decodes an evidence file, refusing unknown
// fields (a misspelt field must not silently drop a part) and files past
// api.MaxEvidenceBytes.
func readEvidence(path string) (*api.Evidence, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, api.MaxEvidenceBytes+1))
	if err != nil {
		return nil, fmt.Errorf("evidence %s: %w", path, err)
	}
	if len(b) > api.MaxEvidenceBytes {
		return nil, fmt.Errorf("evidence %s: %w: larger than %d bytes", path, client.ErrBadEvidence, api.MaxEvidenceBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var e api.Evidence
	if err := dec.Decode(&e); err != nil {
		return nil, fmt.Errorf("evidence %s: %w: %v", path, client.ErrBadEvidence, err)
	}
	return &e, nil
}

// printEvidenceFinding prints the outcome of a verification and returns
// the error that sets the exit status.
func printEvidenceFinding(a *app, f *client.EvidenceFinding, verr error) error {
	out := evidenceFinding{Valid: verr == nil}
	if f != nil {
		out.Kind, out.Height, out.Strong, out.Proven, out.Signers, out.Auditor = f.Kind, f.Height, f.Strong, f.Proven, f.Signers, f.Auditor
	}
	if verr != nil {
		out.Error = verr.Error()
	}
	if a.jsonOut {
		if err := printJSON(a.stdout, out); err != nil {
			return cannotRun(err)
		}
	} else if verr == nil {
		var k kv
		k.add("evidence", "VALID: proves misbehaviour")
		k.add("kind", f.Kind)
		k.add("height", fmt.Sprint(f.Height))
		k.add("proven", f.Proven)
		for _, s := range f.Signers {
			k.add("signer", s.Hex())
		}
		if f.Auditor != nil {
			k.add("auditor", f.Auditor.Hex()+" (the earlier commitment is this auditor's checkpoint)")
		}
		switch {
		case f.Strong:
			k.add("strength", "signatures alone: no one can make this up without a signer's key")
		case f.Auditor != nil:
			k.add("strength", "the auditor's checkpoint against the node's signed header: as good as that auditor's word (and, for a proof that fails, the observer's word that the node served it)")
		default:
			k.add("strength", "a served proof that fails: the observer's word that the node served it (docs/audit.md)")
		}
		if err := k.print(a.stdout); err != nil {
			return cannotRun(err)
		}
	}
	switch {
	case verr == nil:
		return nil
	case errors.Is(verr, client.ErrBadEvidence):
		return cannotRun(verr)
	default:
		return checkFailed(verr)
	}
}
