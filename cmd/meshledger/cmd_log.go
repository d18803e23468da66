package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/spf13/cobra"

	"github.com/meshledger/meshledger/internal/atomicfile"
	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/client"
)

// maxCheckpointBytes bounds a checkpoint file (a few hundred bytes).
const maxCheckpointBytes = 16 << 10

func newLogCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "log",
		Short: "Prove that a node's history only grows (the history log)",
		Long: `Every header commits logRoot, the RFC 6962 Merkle root of the hashes of all
blocks before it (docs/audit.md). Two headers' log roots and an O(log n)
proof show that the later chain extends the earlier one.`,
	}
	cmd.AddCommand(checkCommand(newLogVerifyCmd(a)), checkCommand(newLogInclusionCmd(a)), checkCommand(newLogConsistencyCmd(a)))
	return cmd
}

func newLogVerifyCmd(a *app) *cobra.Command {
	var (
		cpFile      string
		update      bool
		evidenceOut string
		auditors    []string
	)
	cmd := &cobra.Command{
		Use:   "verify --checkpoint FILE [--update] [--evidence-out FILE]",
		Short: "Prove the node did not rewrite the history a checkpoint covers",
		Long: `Check a signed checkpoint (written by 'meshledger audit') against the node's
latest signed header, fetching O(log n) data: the node's header at the
checkpoint's height must be the checkpoint's; the consistency proof from the
checkpoint's log to the latest header's log must verify; and the inclusion
proof of the checkpoint's block in the latest log must verify.

On success it prints what was proved and, with --update, moves the checkpoint
to the latest header (signed by --key; the file is replaced). The moved
checkpoint says the newer chain extends the audited one: it does not
re-execute the blocks in between ('meshledger audit' does).

When a check fails it writes evidence (--evidence-out, default
evidence-<height>.json) that 'meshledger evidence verify' re-checks offline,
and exits 1. Exit 2: it could not run (bad checkpoint, unreachable node).
Headers count only when signed by a --trust address (default: the node's own
address, trusted on first use: pin it).`,
		Example: `  meshledger log verify --checkpoint audit.checkpoint --node https://ledger.example --trust 0xNodeAddress
  meshledger log verify --checkpoint audit.checkpoint --update --key auditor.key`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cpFile == "" {
				return cannotRun(errors.New("--checkpoint FILE is required"))
			}
			trusted := make([]common.Address, 0, len(auditors))
			for _, s := range auditors {
				addr, err := parseAddress("--auditor", s)
				if err != nil {
					return cannotRun(err)
				}
				trusted = append(trusted, addr)
			}
			cp, err := readCheckpoint(cpFile, trusted)
			if err != nil {
				return cannotRun(err)
			}
			lv, err := newLogVerifier(cmd.Context(), a)
			if err != nil {
				return cannotRun(err)
			}
			res, ev, err := lv.verify(cmd.Context(), cp)
			if err != nil {
				return cannotRun(err)
			}
			res.NodeURL = a.nodeURL
			return finishLogVerify(a, cp, cpFile, update, evidenceOut, res, ev)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cpFile, "checkpoint", "", "the signed checkpoint to check the node against")
	f.BoolVar(&update, "update", false, "on success, replace the checkpoint with one at the latest header, signed by --key")
	f.StringVar(&evidenceOut, "evidence-out", "", "where to write evidence when a check fails (default evidence-<height>.json)")
	f.StringSliceVar(&auditors, "auditor", nil, "auditor addresses whose checkpoints are accepted (default: any whose signature verifies)")
	return cmd
}

// logCheck is one check of log verify and its outcome.
type logCheck struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// logVerifyResult is what log verify found (its --json output).
type logVerifyResult struct {
	OK             bool        `json:"ok"`
	NodeURL        string      `json:"nodeUrl"`
	ChainID        uint64      `json:"chainId"`
	From           uint64      `json:"from"`
	FromLogRoot    common.Hash `json:"fromLogRoot"`
	To             uint64      `json:"to"`
	ToHeaderHash   common.Hash `json:"toHeaderHash"`
	ToLogRoot      common.Hash `json:"toLogRoot"`
	ToStateRoot    common.Hash `json:"toStateRoot"`
	Checks         []logCheck  `json:"checks"`
	BytesFetched   int64       `json:"bytesFetched"`
	Requests       int64       `json:"requests"`
	EvidenceFile   string      `json:"evidenceFile,omitempty"`
	UpdatedFile    string      `json:"updatedFile,omitempty"`
	EvidenceProven string      `json:"evidenceProven,omitempty"`
}

func (r *logVerifyResult) check(name string, ok bool, format string, args ...any) {
	r.Checks = append(r.Checks, logCheck{Name: name, OK: ok, Detail: fmt.Sprintf(format, args...)})
}

// logVerifier fetches through a transport that counts what it reads, so
// the report can show the proof is O(log n).
type logVerifier struct {
	c        *client.Client
	v        *client.Verifier
	signers  []common.Address
	counting *countingTransport
}

func newLogVerifier(ctx context.Context, a *app) (*logVerifier, error) {
	ct := &countingTransport{next: http.DefaultTransport}
	hc := &http.Client{Transport: ct, Timeout: time.Minute}
	c, err := a.client(false, client.WithHTTPClient(hc))
	if err != nil {
		return nil, err
	}
	lv := &logVerifier{c: c, counting: ct}
	var node common.Address
	if len(a.trust) == 0 {
		ch, err := c.Chain(ctx)
		if err != nil {
			return nil, fmt.Errorf("ask the node its address: %w", err)
		}
		node = ch.NodeAddress
	}
	if lv.signers, err = a.signersOrNode(node); err != nil {
		return nil, err
	}
	lv.v = client.NewVerifier(lv.signers...)
	return lv, nil
}

// signedHeader fetches and verifies the header at height (nil: latest).
func (lv *logVerifier) signedHeader(ctx context.Context, height *uint64) (*api.SignedHeader, error) {
	var b *api.Block
	var err error
	if height == nil {
		b, err = lv.c.LatestBlock(ctx)
	} else {
		b, err = lv.c.Block(ctx, *height)
	}
	if err != nil {
		return nil, err
	}
	if _, err := lv.v.VerifyHeader(&b.Header); err != nil {
		return nil, err
	}
	return &b.Header, nil
}

// verify runs the checks. It returns an error only when it could not run
// them; a failed check is in the result, with the evidence it supports
// (nil when what was seen stands on no signature the verifier can show).
func (lv *logVerifier) verify(ctx context.Context, cp *api.Checkpoint) (*logVerifyResult, *api.Evidence, error) {
	latest, err := lv.signedHeader(ctx, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("latest header: %w", err)
	}
	m, n := cp.Height, latest.Header.Height
	res := &logVerifyResult{ChainID: cp.ChainID, From: m, FromLogRoot: cp.LogRoot, To: n,
		ToHeaderHash: latest.Hash, ToLogRoot: latest.Header.LogRoot, ToStateRoot: latest.Header.StateRoot}
	switch {
	case latest.Header.ChainID != cp.ChainID:
		return nil, nil, fmt.Errorf("the node serves chain %d, the checkpoint is of chain %d", latest.Header.ChainID, cp.ChainID)
	case n < m:
		return nil, nil, fmt.Errorf("the node's latest height %d is below the checkpoint's %d: it is behind or withholding blocks; ask another node", n, m)
	}
	// The node's header at the checkpoint's height must be the audited one.
	atM := latest
	if n != m {
		if atM, err = lv.signedHeader(ctx, &m); err != nil {
			return nil, nil, fmt.Errorf("header %d: %w", m, err)
		}
	}
	sameAtM := atM.Hash == cp.HeaderHash
	res.check("header", sameAtM, "the node's header at %d is %s; the checkpoint's is %s", m, atM.Hash.Hex(), cp.HeaderHash.Hex())
	if n == m {
		res.OK = sameAtM
		res.BytesFetched, res.Requests = lv.counting.totals()
		return res, nil, nil // no later log to prove: nothing grew
	}
	cons, err := lv.consistency(ctx, m, n)
	if err != nil {
		return nil, nil, err
	}
	incl, err := lv.inclusion(ctx, m, n)
	if err != nil {
		return nil, nil, err
	}
	// Check the proofs against the signed roots, never the roots the node
	// wrote beside them.
	consAgainstSigned := *cons
	consAgainstSigned.FromRoot, consAgainstSigned.ToRoot = cp.LogRoot, latest.Header.LogRoot
	consErr := verifyServedConsistency(&consAgainstSigned, m, n)
	res.check("consistency", consErr == nil, "log %d (root %s) → log %d (root %s), %d hashes%s",
		m, cp.LogRoot.Hex(), n, latest.Header.LogRoot.Hex(), len(cons.Hashes), errSuffix(consErr))
	inclAgainstSigned := *incl
	inclAgainstSigned.Root = latest.Header.LogRoot
	servedLeaf := incl.BlockHash
	inclAgainstSigned.BlockHash = cp.HeaderHash
	inclErr := verifyServedInclusion(&inclAgainstSigned, m, n)
	res.check("inclusion", inclErr == nil, "block %d (%s) in log %d, %d hashes%s",
		m, cp.HeaderHash.Hex(), n, len(incl.Hashes), errSuffix(inclErr))
	res.OK = sameAtM && consErr == nil && inclErr == nil
	res.BytesFetched, res.Requests = lv.counting.totals()
	if res.OK {
		return res, nil, nil
	}
	return res, lv.pickEvidence(cp, atM, latest, &consAgainstSigned, consErr, incl, servedLeaf), nil
}

// pickEvidence chooses the evidence that rests on the fewest words: a
// node-signed header at M set against the leaf its own later signed log
// holds at M stands on signatures alone; the others rest on the auditor's
// checkpoint and, for a proof that fails, on the observer.
func (lv *logVerifier) pickEvidence(cp *api.Checkpoint, atM, latest *api.SignedHeader, cons *api.LogConsistencyProof,
	consErr error, served *api.LogInclusionProof, servedLeaf common.Hash) *api.Evidence {
	base := func() *api.Evidence {
		return &api.Evidence{Version: api.EvidenceVersion, Kind: api.EvidenceInconsistentLog, ChainID: cp.ChainID,
			LaterHeader: latest}
	}
	// The proofs are recorded as answers to what was asked (heights M and
	// N) and against the signed roots, whatever sizes and roots the node
	// wrote beside its hashes.
	m, n := cp.Height, latest.Header.Height
	incl := *served
	incl.Height, incl.Size, incl.Root, incl.BlockHash = m, n, latest.Header.LogRoot, servedLeaf
	consAsked := *cons
	consAsked.From, consAsked.To = m, n
	cons = &consAsked
	var candidates []*api.Evidence
	// The node's own signed header at M against its own later log: strong
	// whenever that log holds another block at M.
	e0 := base()
	e0.EarlierHeader, e0.Inclusion = atM, &incl
	candidates = append(candidates, e0)
	if consErr != nil {
		e := base()
		e.Checkpoint, e.Consistency = cp, cons
		candidates = append(candidates, e)
	}
	e := base()
	e.Checkpoint, e.Inclusion = cp, &incl
	candidates = append(candidates, e)
	if servedLeaf != cp.HeaderHash {
		// The node's proof names another block; also try the audited one,
		// which its path does not reach.
		withOurs := incl
		withOurs.BlockHash = cp.HeaderHash
		e := base()
		e.Checkpoint, e.Inclusion = cp, &withOurs
		candidates = append(candidates, e)
	}
	var weak *api.Evidence
	for _, e := range candidates {
		f, err := client.VerifyEvidence(e, client.EvidenceTrust{Signers: lv.signers})
		if err != nil {
			continue
		}
		e.Reason = f.Proven
		if f.Strong {
			return e
		}
		if weak == nil {
			weak = e
		}
	}
	return weak
}

func errSuffix(err error) string {
	if err == nil {
		return ""
	}
	return ": " + err.Error()
}

func verifyServedConsistency(p *api.LogConsistencyProof, from, to uint64) error {
	if p.From != from || p.To != to {
		return fmt.Errorf("the node proved %d → %d, not %d → %d", p.From, p.To, from, to)
	}
	return client.VerifyLogConsistency(p, p.FromRoot, p.ToRoot)
}

func verifyServedInclusion(p *api.LogInclusionProof, height, size uint64) error {
	if p.Height != height || p.Size != size {
		return fmt.Errorf("the node proved block %d in log %d, not %d in %d", p.Height, p.Size, height, size)
	}
	return client.VerifyLogInclusion(p, p.Root)
}

// finishLogVerify prints the result, writes evidence or the moved
// checkpoint, and returns the error that sets the exit status.
func finishLogVerify(a *app, cp *api.Checkpoint, cpFile string, update bool, evidenceOut string,
	res *logVerifyResult, ev *api.Evidence) error {
	var failure error
	if !res.OK {
		failure = checkFailed(fmt.Errorf("the node's history does not extend the checkpoint at height %d", cp.Height))
		if ev != nil {
			ev.NodeURL, ev.ObservedAt = a.nodeURL, time.Now().UTC().Format(time.RFC3339)
			if evidenceOut == "" {
				evidenceOut = fmt.Sprintf("evidence-%d.json", cp.Height)
			}
			if err := writeJSONFile(evidenceOut, ev); err != nil {
				return cannotRun(fmt.Errorf("the check failed, and writing its evidence failed: %w", err))
			}
			res.EvidenceFile, res.EvidenceProven = evidenceOut, ev.Reason
		}
	} else if update && res.To > cp.Height {
		key, err := a.loadKey()
		if err != nil {
			return cannotRun(fmt.Errorf("--update needs --key to sign the new checkpoint: %w", err))
		}
		// The fields are the verified latest header's.
		next := &api.Checkpoint{ChainID: cp.ChainID, GenesisHash: cp.GenesisHash, Height: res.To,
			HeaderHash: res.ToHeaderHash, StateRoot: res.ToStateRoot, LogRoot: res.ToLogRoot}
		if err := client.SignCheckpoint(next, key); err != nil {
			return cannotRun(err)
		}
		if err := writeJSONFile(cpFile, next); err != nil {
			return cannotRun(err)
		}
		res.UpdatedFile = cpFile
	}
	if a.jsonOut {
		if err := printJSON(a.stdout, res); err != nil {
			return cannotRun(err)
		}
		return failure
	}
	var k kv
	if res.OK {
		k.add("result", fmt.Sprintf("OK: the chain at %d extends the checkpoint at %d", res.To, res.From))
	} else {
		k.add("result", "FAILED: the node rewrote or hid history the checkpoint covers")
	}
	for _, c := range res.Checks {
		mark := "ok"
		if !c.OK {
			mark = "FAILED"
		}
		k.add(c.Name, mark+": "+c.Detail)
	}
	k.add("fetched", fmt.Sprintf("%d bytes in %d requests", res.BytesFetched, res.Requests))
	if res.UpdatedFile != "" {
		k.add("checkpoint", fmt.Sprintf("moved to height %d (%s)", res.To, res.UpdatedFile))
	}
	if res.EvidenceFile != "" {
		k.add("evidence", fmt.Sprintf("%s: %s", res.EvidenceFile, res.EvidenceProven))
	} else if !res.OK {
		k.add("evidence", "none: nothing seen stands on a signature that can be shown to others")
	}
	if err := k.print(a.stdout); err != nil {
		return cannotRun(err)
	}
	return failure
}

// readCheckpoint reads and verifies a checkpoint file.
func readCheckpoint(path string, auditors []common.Address) (*api.Checkpoint, error) {
	b, err := readBounded(path, maxCheckpointBytes)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var cp api.Checkpoint
	if err := dec.Decode(&cp); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w: %v", path, client.ErrBadCheckpoint, err)
	}
	if err := client.VerifyCheckpoint(&cp, auditors...); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	return &cp, nil
}

func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, limit)
	}
	return b, nil
}

// writeJSONFile writes v as indented JSON to path through a temporary file
// and a rename, so a crash never leaves half a checkpoint.
func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return atomicfile.WriteFile(path, append(b, '\n'), 0o600)
}

// countingTransport counts the response bytes and requests it carries.
type countingTransport struct {
	next     http.RoundTripper
	bytes    atomic.Int64
	requests atomic.Int64
}

func (t *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	t.requests.Add(1)
	resp.Body = &countingBody{ReadCloser: resp.Body, n: &t.bytes}
	return resp, nil
}

func (t *countingTransport) totals() (int64, int64) { return t.bytes.Load(), t.requests.Load() }

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

// consistency fetches the node's consistency proof from..to, unverified
// (a proof that fails is kept as evidence).
func (lv *logVerifier) consistency(ctx context.Context, from, to uint64) (*api.LogConsistencyProof, error) {
	p, err := lv.c.LogConsistencyProof(ctx, from, to)
	if err != nil {
		return nil, fmt.Errorf("consistency proof %d → %d: %w", from, to, err)
	}
	if len(p.Hashes) > api.MaxLogProofHashes {
		return nil, fmt.Errorf("consistency proof %d → %d: %d hashes (at most %d)", from, to, len(p.Hashes), api.MaxLogProofHashes)
	}
	return p, nil
}

// inclusion fetches the node's proof that block height is in the log of
// size leaves, unverified.
func (lv *logVerifier) inclusion(ctx context.Context, height, size uint64) (*api.LogInclusionProof, error) {
	p, err := lv.c.LogInclusionProof(ctx, height, size)
	if err != nil {
		return nil, fmt.Errorf("inclusion proof of %d in log %d: %w", height, size, err)
	}
	if len(p.Hashes) > api.MaxLogProofHashes {
		return nil, fmt.Errorf("inclusion proof of %d in log %d: %d hashes (at most %d)", height, size, len(p.Hashes), api.MaxLogProofHashes)
	}
	return p, nil
}

func newLogInclusionCmd(a *app) *cobra.Command {
	var height, size uint64
	cmd := &cobra.Command{
		Use:   "inclusion --height H --size N",
		Short: "Print the node's proof that block H is in the log of N blocks (unverified)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			lv, err := newRawLogFetcher(a)
			if err != nil {
				return cannotRun(err)
			}
			p, err := lv.inclusion(cmd.Context(), height, size)
			if err != nil {
				return cannotRun(err)
			}
			return printJSON(a.stdout, p)
		},
	}
	cmd.Flags().Uint64Var(&height, "height", 0, "the block")
	cmd.Flags().Uint64Var(&size, "size", 0, "the log's size (a header at height N commits the log of N blocks)")
	return cmd
}

func newLogConsistencyCmd(a *app) *cobra.Command {
	var from, to uint64
	cmd := &cobra.Command{
		Use:   "consistency --from M --to N",
		Short: "Print the node's proof that the log of N blocks extends the log of M (unverified)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			lv, err := newRawLogFetcher(a)
			if err != nil {
				return cannotRun(err)
			}
			p, err := lv.consistency(cmd.Context(), from, to)
			if err != nil {
				return cannotRun(err)
			}
			return printJSON(a.stdout, p)
		},
	}
	cmd.Flags().Uint64Var(&from, "from", 0, "the earlier log's size")
	cmd.Flags().Uint64Var(&to, "to", 0, "the later log's size")
	return cmd
}

// newRawLogFetcher fetches proofs without verifying headers.
func newRawLogFetcher(a *app) (*logVerifier, error) {
	c, err := a.client(false)
	if err != nil {
		return nil, err
	}
	return &logVerifier{c: c}, nil
}
