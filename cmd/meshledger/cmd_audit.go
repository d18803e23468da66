package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/spf13/cobra"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/audit"
	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/httpapi"
	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/client"
)

// Exit statuses of audit (docs/cli.md): scripts branch on them.
const (
	auditVerified    = 0
	auditDiverged    = 1 // the node's chain or claim is not what re-execution proves
	auditCouldNotRun = 2 // nothing was proven wrong: bad arguments, network, interruption
)

// Errors of the audit command that tests tell apart.
var (
	errOtherChain      = errors.New("node serves another chain")
	errAuditRefused    = errors.New("node refused the export")
	errAuditInterrupt  = errors.New("interrupted")
	errCheckpointStore = errors.New("checkpoint does not match the store")
	errAuditTransport  = errors.New("export stream broken")
)

func couldNotRun(err error) error { return &exitError{code: auditCouldNotRun, err: err} }

// auditSessionLifetime is the read session an audit signs for its one
// export request; the node checks it when the stream opens.
const auditSessionLifetime = 10 * time.Minute

func newAuditCmd(a *app) *cobra.Command {
	r := &auditRun{a: a}
	cmd := &cobra.Command{
		Use:   "audit --node URL --genesis FILE [--to DIR] [--from-checkpoint FILE]",
		Short: "Verify a live node's chain from genesis by re-executing every block",
		Long: `Stream the chain from a node (GET /v1/export, which needs the auditor role:
--key is the auditor's key) and re-execute every block in a local store
through the same executor a node uses, checking each header against the
chain the auditor trusts (--genesis): chain id, height, parent, time, the
block signer's signature (an authorised signer as the genesis and the
registry say), the transaction root, every receipt field, the receipt root
and the state root.

The store in --to DIR (default ./audit-<chain id>-<genesis hash prefix>)
keeps what was verified: a rerun with the same DIR continues from its tip,
after Ctrl-C or a kill. At the end the auditor signs a checkpoint
(--checkpoint-out, default DIR/checkpoint.json: height, header hash, state
root, log root); --from-checkpoint FILE checks that DIR holds that block
before going on.

Exit status: 0 verified; 1 divergence (the first one is named: block, tx,
field, expected and got; a node that claims blocks it does not send is
"withheld"); 2 could not run (wrong chain, refused, network, interrupted).`,
		Example: `  meshledger audit --node https://node.example:8080 --key auditor.key --genesis genesis.json
  meshledger audit --node URL --key auditor.key --genesis genesis.json --to ./audit --from-checkpoint ./audit/checkpoint.json --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r.toHeightSet = cmd.Flags().Changed("to-height")
			return r.run(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.StringVar(&r.genesisFile, "genesis", "", "the genesis file the auditor trusts (required)")
	f.StringVar(&r.dir, "to", "", "the auditor's store (default ./audit-<chain id>-<genesis hash prefix>)")
	f.StringVar(&r.fromCheckpoint, "from-checkpoint", "", "a checkpoint of an earlier audit into the same --to store")
	f.StringVar(&r.checkpointOut, "checkpoint-out", "", "where to write the signed checkpoint (default DIR/checkpoint.json)")
	f.StringSliceVar(&r.trustAuditors, "trust-auditor", nil, "auditor addresses whose checkpoints --from-checkpoint accepts (default: --key's address)")
	f.Uint64Var(&r.toHeight, "to-height", 0, "verify up to this height only (default: the node's latest)")
	f.StringVar(&r.compiledCache, "compiled-cache", "", "directory of compiled contract code to share (default DIR/wasm-cache); only one you control")
	f.BoolVar(&r.quiet, "quiet", false, "no progress on stderr")
	f.DurationVar(&r.progressEvery, "progress-every", 5*time.Second, "interval of the progress lines when stderr is not a terminal")
	return checkCommand(cmd)
}

// auditRun is one audit invocation.
type auditRun struct {
	a              *app
	genesisFile    string
	dir            string
	fromCheckpoint string
	checkpointOut  string
	trustAuditors  []string
	toHeight       uint64
	toHeightSet    bool
	compiledCache  string
	quiet          bool
	progressEvery  time.Duration
}

// auditResult is audit's report, --json's output. Field names are stable.
type auditResult struct {
	OK            bool        `json:"ok"`
	Node          string      `json:"node"`
	ChainID       uint64      `json:"chainId"`
	GenesisHash   common.Hash `json:"genesisHash"`
	Store         string      `json:"store"`
	StartHeight   uint64      `json:"startHeight"` // the store's tip before this run
	ClaimedHeight uint64      `json:"claimedHeight"`
	From          uint64      `json:"from"`   // the first block this run verified (startHeight+1)
	Height        uint64      `json:"height"` // the last block verified: the store's tip now
	Blocks        uint64      `json:"blocks"`
	Txs           uint64      `json:"txs"`
	ElapsedMs     int64       `json:"elapsedMs"`
	BlocksPerSec  float64     `json:"blocksPerSec"`
	TxPerSec      float64     `json:"txPerSec"`
	Interrupted   bool        `json:"interrupted,omitempty"`
	// Signers are the block signers every header of a solo chain must
	// name (--trust, else the node's advertised address).
	Signers []common.Address `json:"signers,omitempty"`
	// ConsensusVerified: on a BFT chain, the genesis validators (following
	// governed changes) committed the last block verified.
	ConsensusVerified bool               `json:"consensusVerified,omitempty"`
	Checkpoint        *auditCheckpointRe `json:"checkpoint,omitempty"`
	Mismatch          *mismatchReport    `json:"mismatch,omitempty"`
}

// auditCheckpointRe is the checkpoint reached and where it was written.
type auditCheckpointRe struct {
	Height     uint64      `json:"height"`
	HeaderHash common.Hash `json:"headerHash"`
	StateRoot  common.Hash `json:"stateRoot"`
	LogRoot    common.Hash `json:"logRoot"`
	File       string      `json:"file"`
}

func (r *auditRun) run(ctx context.Context) error {
	if r.genesisFile == "" {
		return couldNotRun(errors.New("--genesis FILE is required: the genesis of the chain you trust"))
	}
	g, err := block.LoadGenesis(r.genesisFile)
	if err != nil {
		return couldNotRun(fmt.Errorf("--genesis: %w", err))
	}
	key, err := r.a.loadKey()
	if err != nil {
		return couldNotRun(err)
	}
	c, err := client.New(r.a.nodeURL)
	if err != nil {
		return couldNotRun(err)
	}
	ch, err := c.Chain(ctx)
	if err != nil {
		return couldNotRun(fmt.Errorf("read the node's chain: %w", err))
	}
	if ch.ChainID != g.ChainID {
		return couldNotRun(fmt.Errorf("%w: it has chain id %d, --genesis has %d", errOtherChain, ch.ChainID, g.ChainID))
	}
	if r.dir == "" {
		r.dir = fmt.Sprintf("audit-%d-%x", g.ChainID, g.Hash().Bytes()[:4])
	}
	if r.checkpointOut == "" {
		r.checkpointOut = filepath.Join(r.dir, "checkpoint.json")
	}
	fresh, err := checkStoreGenesis(r.dir, g)
	if err != nil {
		return couldNotRun(err)
	}
	dst, closeDst, err := openDestination(ctx, r.dir, g, r.compiledCache)
	if err != nil {
		return couldNotRun(err)
	}
	// The node names its chain by the hash of block 0, which commits the
	// state the genesis creates: known only once the store applied it.
	var res *auditResult
	if gh := genesisHash(dst); gh != ch.GenesisHash {
		err = couldNotRun(fmt.Errorf("%w: its genesis block is %s, --genesis makes %s", errOtherChain, ch.GenesisHash, gh))
	} else {
		res, err = r.verify(ctx, c, ch, key, g, dst)
	}
	latest := dst.Latest()
	if cerr := closeDst(); err == nil && cerr != nil {
		err = couldNotRun(cerr)
	}
	if res == nil {
		if fresh && latest.Header.Height == 0 {
			// Nothing verified: leave no store of a chain that was not audited.
			_ = os.RemoveAll(r.dir)
		}
		return err
	}
	res.Height = latest.Header.Height
	if err == nil || errors.Is(err, errAuditInterrupt) {
		cp, cerr := r.writeCheckpoint(res.GenesisHash, g.ChainID, latest, key)
		if cerr != nil {
			return couldNotRun(cerr)
		}
		res.Checkpoint = cp
	}
	if perr := r.print(res); perr != nil && err == nil {
		err = couldNotRun(perr)
	}
	return err
}

// checkStoreGenesis refuses a store of another chain before it is opened:
// resuming into it would mix two chains. fresh: there is no store yet.
func checkStoreGenesis(dir string, g *block.Genesis) (fresh bool, err error) {
	have, err := block.LoadGenesis(filepath.Join(dir, node.GenesisFile))
	if errors.Is(err, fs.ErrNotExist) {
		return true, checkFreshDir(dir)
	}
	if err != nil {
		return false, fmt.Errorf("--to %s: %w", dir, err)
	}
	if have.Hash() != g.Hash() {
		return false, fmt.Errorf("--to %s holds chain %d genesis %s, not the audited chain's %s: give another directory", dir, have.ChainID, have.Hash(), g.Hash())
	}
	return false, nil
}

// genesisHash is the hash of l's block 0, what the API calls the genesis
// hash ("" when unreadable).
func genesisHash(l *ledger.Ledger) common.Hash {
	h, err := l.Header(0)
	if err != nil {
		return common.Hash{}
	}
	return h.Hash()
}

// verify streams the node's blocks after dst's tip and replays them. A
// nil result means nothing was attempted (the error says why).
func (r *auditRun) verify(ctx context.Context, c *client.Client, ch *api.Chain, key *client.Key, g *block.Genesis, dst *ledger.Ledger) (*auditResult, error) {
	if err := r.checkCheckpoint(g, dst, key); err != nil {
		return nil, couldNotRun(err)
	}
	start := dst.Latest().Header.Height
	claimed := ch.LatestHeight
	if r.toHeightSet {
		if r.toHeight < start {
			return nil, couldNotRun(fmt.Errorf("--to-height %d: the store is already at %d", r.toHeight, start))
		}
		claimed = r.toHeight
	}
	res := &auditResult{Node: r.a.nodeURL, ChainID: g.ChainID, GenesisHash: genesisHash(dst), Store: r.dir,
		StartHeight: start, From: start + 1, ClaimedHeight: claimed}
	if claimed < start {
		// The node has fewer blocks than an earlier audit verified from
		// it: it dropped or is hiding them.
		m := &audit.Mismatch{Height: claimed + 1, TxIndex: -1, What: audit.MismatchWithheld,
			Expected: fmt.Sprintf("blocks %d..%d (verified in %s)", claimed+1, start, r.dir),
			Got:      fmt.Sprintf("the node's latest height is %d", claimed)}
		res.Mismatch = reportOf(m)
		return res, &exitError{code: auditDiverged, err: m}
	}

	body, streamLatest, err := r.openExport(ctx, c, key, g.ChainID, start+1)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	if !r.toHeightSet && streamLatest > claimed {
		claimed = streamLatest // the chain grew between the two requests
		res.ClaimedHeight = claimed
	}
	er, err := audit.ReadExport(body, tx.Limits{})
	if err != nil {
		return nil, r.streamError(ctx, err)
	}
	if eg := er.Genesis(); eg.Hash() != g.Hash() {
		return nil, couldNotRun(fmt.Errorf("%w: its export starts with genesis %s, --genesis is %s", errOtherChain, eg.Hash(), g.Hash()))
	}
	prog := r.progress(claimed - start)
	ahead := readAhead(ctx, er, auditReadAhead)
	defer ahead.stop()
	src := &auditSource{src: ahead, report: prog}
	if !g.BFT() {
		if src.signers, err = r.blockSigners(ch); err != nil {
			return nil, couldNotRun(err)
		}
		res.Signers = src.signers
	}
	began := time.Now()
	_, err = audit.Replay(ctx, dst, src)
	elapsed := time.Since(began)
	prog.done()
	res.Blocks, res.Txs, res.ElapsedMs = src.blocks, src.txs, elapsed.Milliseconds()
	if s := elapsed.Seconds(); s > 0 {
		res.BlocksPerSec, res.TxPerSec = float64(src.blocks)/s, float64(src.txs)/s
	}
	reached := dst.Latest().Header.Height
	if err == nil && reached < claimed {
		err = &audit.Mismatch{Height: reached + 1, TxIndex: -1, What: audit.MismatchWithheld,
			Expected: fmt.Sprintf("blocks %d..%d (the node's latest height is %d)", reached+1, claimed, claimed),
			Got:      fmt.Sprintf("the stream ended after block %d", reached)}
	}
	if err == nil && g.BFT() {
		// The evidence routes, like every read but /v1/chain, need the
		// auditor's read session.
		var kc *client.Client
		if kc, err = client.New(r.a.nodeURL, client.WithKey(key)); err == nil {
			err = verifyConsensus(ctx, kc, g, dst.Latest())
		}
		res.ConsensusVerified = err == nil && reached > 0
	}
	var m *audit.Mismatch
	switch {
	case err == nil:
		res.OK = true
		return res, nil
	case errors.As(err, &m):
		res.Mismatch = reportOf(m)
		return res, &exitError{code: auditDiverged, err: err}
	case ctx.Err() != nil:
		res.Interrupted = true
		return res, couldNotRun(fmt.Errorf("%w at block %d: rerun with --to %s to continue", errAuditInterrupt, reached, r.dir))
	case errors.Is(err, audit.ErrBadExport):
		if se := r.streamError(ctx, err); se != nil && !isMalformed(err) {
			return res, se
		}
		// A whole record that is not a block: the node sent it.
		res.Mismatch = &mismatchReport{Height: reached + 1, What: audit.MismatchExport, Expected: "a block record", Got: err.Error()}
		return res, &exitError{code: auditDiverged, err: fmt.Errorf("block %d: %w", reached+1, err)}
	default:
		return res, couldNotRun(err)
	}
}

// isMalformed reports whether an export error is about a record's content
// rather than a stream cut short.
func isMalformed(err error) bool {
	var ne net.Error
	return !errors.Is(err, io.ErrUnexpectedEOF) && !errors.As(err, &ne) && !errors.Is(err, net.ErrClosed)
}

// streamError classifies a failure to read the stream: an interruption, a
// cut connection (could not run: rerun to resume), or a malformed stream.
func (r *auditRun) streamError(ctx context.Context, err error) error {
	switch {
	case ctx.Err() != nil:
		return couldNotRun(fmt.Errorf("%w: rerun with --to %s to continue", errAuditInterrupt, r.dir))
	case !isMalformed(err):
		return couldNotRun(fmt.Errorf("%w: %w (rerun with --to %s to continue)", errAuditTransport, err, r.dir))
	}
	return &exitError{code: auditDiverged, err: fmt.Errorf("the node's export: %w", err)}
}

// openExport requests blocks from `from` on, reading as the auditor. It
// returns the body and the node's latest height at stream start.
func (r *auditRun) openExport(ctx context.Context, c *client.Client, key *client.Key, chainID, from uint64) (io.ReadCloser, uint64, error) {
	now := time.Now()
	ss, err := tx.SignSession(tx.ReadSession{Reader: key.Address(), IssuedMs: uint64(now.Add(-5 * time.Second).UnixMilli()),
		ExpiresMs: uint64(now.Add(auditSessionLifetime).UnixMilli())}, chainID, key.PrivateKey())
	if err != nil {
		return nil, 0, couldNotRun(fmt.Errorf("sign read session: %w", err))
	}
	q := url.Values{api.ParamFrom: {strconv.FormatUint(from, 10)}}
	if r.toHeightSet {
		q.Set(api.ParamTo, strconv.FormatUint(r.toHeight, 10))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.BaseURL()+api.PathExport+"?"+q.Encode(), nil)
	if err != nil {
		return nil, 0, couldNotRun(err)
	}
	req.Header.Set(api.HeaderAuthorization, ss.Header())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, 0, couldNotRun(errAuditInterrupt)
		}
		return nil, 0, couldNotRun(fmt.Errorf("GET %s: %w", api.PathExport, err))
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		var e struct {
			Error api.Error `json:"error"`
		}
		msg := strings.TrimSpace(string(b))
		if json.Unmarshal(b, &e) == nil && e.Error.Code != "" {
			msg = fmt.Sprintf("%s: %s", e.Error.Code, e.Error.Message)
		}
		return nil, 0, couldNotRun(fmt.Errorf("%w: %d %s", errAuditRefused, resp.StatusCode, msg))
	}
	latest, _ := strconv.ParseUint(resp.Header.Get(httpapi.HeaderLatestHeight), 10, 64)
	return resp.Body, latest, nil
}

// checkCheckpoint verifies --from-checkpoint: signed by a trusted auditor,
// of this chain, and of a block the store holds with the same hash.
func (r *auditRun) checkCheckpoint(g *block.Genesis, dst *ledger.Ledger, key *client.Key) error {
	if r.fromCheckpoint == "" {
		return nil
	}
	b, err := os.ReadFile(r.fromCheckpoint)
	if err != nil {
		return fmt.Errorf("--from-checkpoint: %w", err)
	}
	var cp api.Checkpoint
	if err := json.Unmarshal(b, &cp); err != nil {
		return fmt.Errorf("--from-checkpoint %s: %w: %v", r.fromCheckpoint, client.ErrBadCheckpoint, err)
	}
	trusted := []common.Address{key.Address()}
	if len(r.trustAuditors) > 0 {
		trusted = trusted[:0]
		for _, s := range r.trustAuditors {
			a, err := parseAddress("--trust-auditor", s)
			if err != nil {
				return err
			}
			trusted = append(trusted, a)
		}
	}
	if err := client.VerifyCheckpoint(&cp, trusted...); err != nil {
		return fmt.Errorf("--from-checkpoint %s: %w", r.fromCheckpoint, err)
	}
	if cp.GenesisHash != genesisHash(dst) || cp.ChainID != g.ChainID {
		return fmt.Errorf("--from-checkpoint %s: %w: it is of chain %d genesis %s", r.fromCheckpoint, errOtherChain, cp.ChainID, cp.GenesisHash)
	}
	tip := dst.Latest().Header.Height
	if cp.Height > tip {
		return fmt.Errorf("%w: the checkpoint is at block %d but %s holds blocks up to %d; this audit needs the store the checkpoint was made from", errCheckpointStore, cp.Height, r.dir, tip)
	}
	h, err := dst.Header(cp.Height)
	if err != nil {
		return fmt.Errorf("--to %s: block %d: %w", r.dir, cp.Height, err)
	}
	if h.Hash() != cp.HeaderHash {
		return fmt.Errorf("%w: block %d of %s is %s, the checkpoint has %s; this audit needs the store the checkpoint was made from", errCheckpointStore, cp.Height, r.dir, h.Hash(), cp.HeaderHash)
	}
	return nil
}

// writeCheckpoint signs what the store verified and writes it atomically.
func (r *auditRun) writeCheckpoint(genesis common.Hash, chainID uint64, latest *block.SignedHeader, key *client.Key) (*auditCheckpointRe, error) {
	cp := api.Checkpoint{ChainID: chainID, GenesisHash: genesis, Height: latest.Header.Height, HeaderHash: latest.Hash(),
		StateRoot: latest.Header.StateRoot, LogRoot: latest.Header.LogRoot}
	if err := client.SignCheckpoint(&cp, key); err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(&cp, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode checkpoint: %w", err)
	}
	tmp := r.checkpointOut + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("--checkpoint-out: %w", err)
	}
	if err := os.Rename(tmp, r.checkpointOut); err != nil {
		return nil, fmt.Errorf("--checkpoint-out: %w", err)
	}
	return &auditCheckpointRe{Height: cp.Height, HeaderHash: cp.HeaderHash, StateRoot: cp.StateRoot, LogRoot: cp.LogRoot, File: r.checkpointOut}, nil
}

func (r *auditRun) print(res *auditResult) error {
	w := r.a.stdout
	if r.a.jsonOut {
		return printJSON(w, res)
	}
	var k kv
	switch {
	case res.Mismatch != nil:
		m := res.Mismatch
		fmt.Fprintf(w, "audit FAILED at block %d: %s\n", m.Height, strings.TrimSpace(m.What+" "+m.Field))
	case res.Interrupted:
		fmt.Fprintf(w, "audit interrupted at block %d\n", res.Height)
	default:
		fmt.Fprintf(w, "audit verified blocks %d..%d\n", res.StartHeight+1, res.Height)
	}
	k.add("node", res.Node)
	k.add("chain id", fmt.Sprint(res.ChainID))
	k.add("genesis", res.GenesisHash.Hex())
	k.add("store", res.Store)
	k.add("verified", fmt.Sprintf("blocks 1..%d (%d blocks, %d txs this run)", res.Height, res.Blocks, res.Txs))
	k.add("node claims", fmt.Sprint(res.ClaimedHeight))
	k.add("speed", fmt.Sprintf("%.0f blocks/s, %.0f tx/s in %s", res.BlocksPerSec, res.TxPerSec, time.Duration(res.ElapsedMs)*time.Millisecond))
	if res.ConsensusVerified {
		k.add("consensus", fmt.Sprintf("block %d committed by > 2/3 of the trusted validators' power", res.Height))
	}
	if m := res.Mismatch; m != nil {
		m.addTo(&k)
	}
	if cp := res.Checkpoint; cp != nil {
		k.add("checkpoint", cp.File)
		k.add("height", fmt.Sprint(cp.Height))
		k.add("header hash", cp.HeaderHash.Hex())
		k.add("state root", cp.StateRoot.Hex())
		k.add("log root", cp.LogRoot.Hex())
	}
	return k.print(w)
}
