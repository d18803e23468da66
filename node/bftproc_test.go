package node_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/client/bft"
)

// buildMeshledger builds the meshledger command with the failpoints tag
// (node/failpoint_crash.go) into a temporary directory.
func buildMeshledger(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build meshledger with")
	}
	bin := filepath.Join(t.TempDir(), "meshledger")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, goBin, "build", "-tags", "failpoints", "-o", bin, "github.com/meshledger/meshledger/cmd/meshledger").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// procNode is one organisation's node running as a child process.
type procNode struct {
	org  node.TestnetOrg
	log  string      // its stdout and stderr, across restarts
	up   atomic.Bool // serving; senders use only nodes that are up
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
}

// procNet is a testnet whose nodes are processes of the meshledger binary.
type procNet struct {
	t     *testing.T
	bin   string
	tn    *node.Testnet
	nodes []*procNode
	hc    *http.Client
	// retries counts transactions offered again after a node did not
	// answer them committed.
	retries atomic.Int64
}

// start starts organisation i's node, with env added to its environment,
// and waits until it serves.
func (p *procNet) start(i int, env ...string) {
	p.t.Helper()
	p.launch(i, env...)
	n := p.nodes[i]
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-n.done:
			p.t.Fatalf("org%d exited while starting: %v\n%s", i+1, n.cmd.ProcessState, p.logTail(i))
		default:
		}
		if res, err := p.hc.Get("http://" + n.org.Listen + api.PathHealth); err == nil {
			_ = res.Body.Close()
			if res.StatusCode == http.StatusOK {
				n.up.Store(true)
				return
			}
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("org%d does not serve after a minute\n%s", i+1, p.logTail(i))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// launch starts organisation i's node process without waiting for it.
func (p *procNet) launch(i int, env ...string) {
	p.t.Helper()
	n := p.nodes[i]
	logf, err := os.OpenFile(n.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		p.t.Fatal(err)
	}
	defer logf.Close()
	n.cmd = exec.Command(p.bin, "node", "--data-dir", n.org.DataDir, "--listen", n.org.Listen,
		"--consensus", node.ConsensusCometBFT, "--comet-home", n.org.DataDir, "--comet-log-level", "error")
	n.cmd.Env = append(os.Environ(), env...)
	n.cmd.Stdout, n.cmd.Stderr = logf, logf
	if err := n.cmd.Start(); err != nil {
		p.t.Fatalf("start org%d: %v", i+1, err)
	}
	n.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { _ = cmd.Wait(); close(done) }(n.cmd, n.done)
}

// kill SIGKILLs organisation i's node and waits for the process to end.
func (p *procNet) kill(i int) {
	p.t.Helper()
	n := p.nodes[i]
	n.up.Store(false)
	if err := n.cmd.Process.Kill(); err != nil {
		p.t.Fatalf("kill org%d: %v", i+1, err)
	}
	p.waitExit(i, 10*time.Second)
}

// waitExit waits for organisation i's process to end.
func (p *procNet) waitExit(i int, within time.Duration) *os.ProcessState {
	p.t.Helper()
	select {
	case <-p.nodes[i].done:
		p.nodes[i].up.Store(false)
		return p.nodes[i].cmd.ProcessState
	case <-time.After(within):
		p.t.Fatalf("org%d still running after %v\n%s", i+1, within, p.logTail(i))
		return nil
	}
}

// stopAll interrupts every node and waits for them to exit cleanly.
func (p *procNet) stopAll() {
	p.t.Helper()
	for i, n := range p.nodes {
		n.up.Store(false)
		if err := n.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			p.t.Fatalf("interrupt org%d: %v", i+1, err)
		}
	}
	for i := range p.nodes {
		if st := p.waitExit(i, 30*time.Second); !st.Success() && st.ExitCode() != 130 {
			p.t.Fatalf("org%d exited %v\n%s", i+1, st, p.logTail(i))
		}
	}
}

func (p *procNet) logTail(i int) string {
	b, _ := os.ReadFile(p.nodes[i].log)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// chain is organisation i's GET /v1/chain.
func (p *procNet) chain(i int) (*api.Chain, error) {
	res, err := p.hc.Get("http://" + p.nodes[i].org.Listen + api.PathChain)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", api.PathChain, res.Status)
	}
	var c api.Chain
	return &c, json.NewDecoder(res.Body).Decode(&c)
}

// rejoin waits until organisation i's validator, restarted, signs a
// block again: a commit after the height the others had reached holds its
// precommit. A node that merely serves or syncs blocks does not vote, and
// killing another validator then would leave two of four.
func (p *procNet) rejoin(i int) {
	p.t.Helper()
	from := uint64(0)
	for j := range p.nodes {
		if j != i {
			if c, err := p.chain(j); err == nil {
				from = max(from, c.ConsensusHeight)
			}
		}
	}
	addr := p.nodes[i].org.Comet.Address
	auth := nodetest.SessionAt(p.t, p.tn.Genesis.ChainID, p.tn.Orgs[0].Key, time.Now())
	deadline := time.Now().Add(60 * time.Second)
	for h := from + 1; ; {
		via := (i + 1) % len(p.nodes)
		lb, err := p.lightBlock(via, h, auth)
		if err == nil {
			for _, sig := range lb.Commit.Signatures {
				if sig.BlockIDFlag == cmttypes.BlockIDFlagCommit && bytes.Equal(sig.ValidatorAddress, addr) {
					return
				}
			}
			h++
			continue
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("org%d signed no block above %d within a minute (last: %v)\n%s", i+1, from, err, p.logTail(i))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// lightBlock is consensus height h's light block as organisation i's node
// serves it.
func (p *procNet) lightBlock(i int, h uint64, auth string) (*cmttypes.LightBlock, error) {
	req, err := http.NewRequest(http.MethodGet, fmt.Sprintf("http://%s%s%d", p.nodes[i].org.Listen, api.PathConsensusLightBlocks, h), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set(api.HeaderAuthorization, auth)
	res, err := p.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("light block %d: %s", h, res.Status)
	}
	var out api.ConsensusLightBlock
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return nil, err
	}
	return bft.DecodeLightBlock(out.LightBlock)
}

// acked is a transaction a node answered committed, with its receipt.
type acked struct {
	hash    common.Hash
	status  string
	gasUsed uint64
}

// errNotCommitted: the node did not answer a transaction committed (it
// died, or the wait timed out); the sender offers it again.
var errNotCommitted = errors.New("not committed")

// submitWait posts t to organisation i's node with ?wait=true.
func (p *procNet) submitWait(ctx context.Context, i int, t *tx.Tx) (*api.Tx, error) {
	body, err := json.Marshal(t)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+p.nodes[i].org.Listen+api.PathTxs+"?wait=true&timeout=10s", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := p.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNotCommitted, err)
	}
	defer res.Body.Close()
	var out api.Tx
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", errNotCommitted, res.Status, err)
	}
	switch {
	case res.StatusCode == http.StatusOK && out.Status == api.TxCommitted && out.Receipt != nil:
		return &out, nil
	case res.StatusCode == http.StatusAccepted || res.StatusCode == http.StatusTooManyRequests || res.StatusCode >= 500:
		return nil, fmt.Errorf("%w: %s", errNotCommitted, res.Status)
	default:
		return nil, fmt.Errorf("%s: %+v", res.Status, out)
	}
}

// sendLoad makes organisation org's admin send one transaction after
// another through whichever nodes are up until ctx ends. A transaction
// is offered again, the same signed bytes, until a node answers it
// committed: one that a dying node took, or that a node committed while
// the answer was lost, is then found committed or admitted anew, never
// doubled (its nonce is spent once).
func (p *procNet) sendLoad(ctx context.Context, org int, rng *rand.Rand, record func(acked)) error {
	o := p.tn.Orgs[org]
	args, err := json.Marshal(map[string]any{"address": o.Address, "roles": []string{registry.RoleAdmin, registry.RoleDeployer}})
	if err != nil {
		return err
	}
	for nonce := uint64(0); ; nonce++ {
		t, err := tx.SignCall(tx.Call{From: o.Address, Nonce: nonce, Contract: registry.Address, Method: "setRoles", Args: args, GasLimit: nodetest.DefaultGas}, p.tn.Genesis.ChainID, o.Key)
		if err != nil {
			return err
		}
		for {
			if ctx.Err() != nil {
				return nil
			}
			via := rng.IntN(len(p.nodes))
			if !p.nodes[via].up.Load() {
				continue
			}
			out, err := p.submitWait(ctx, via, t)
			if err == nil {
				record(acked{hash: t.Hash(), status: string(out.Receipt.Status), gasUsed: out.Receipt.GasUsed})
				break
			}
			if !errors.Is(err, errNotCommitted) {
				return fmt.Errorf("org%d nonce %d via org%d: %w", org+1, nonce, via+1, err)
			}
			p.retries.Add(1)
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// Four validators run as processes while every organisation sends a
// steady stream of transactions through whichever nodes are up. Ten
// times, a validator chosen at random is killed (SIGKILL) at a random
// moment — between or within the blocks the others keep making — and
// restarted; then one is crashed by the failpoint between FinalizeBlock
// and the ledger's Commit, and restarted. At the end all four ledgers
// hold the same header at every height, and every transaction a node
// answered committed is in each of them with the same receipt.
func TestBFTNetworkSurvivesKills(t *testing.T) {
	if testing.Short() || raceEnabled {
		// Under -race the child processes are not raced anyway; the
		// build and the network's contract compilation only cost time.
		t.Skip("builds meshledger and runs a four-validator network of processes")
	}
	bin := buildMeshledger(t)
	tn, err := node.WriteTestnet(t.TempDir(), node.TestnetOptions{Orgs: 4})
	if err != nil {
		t.Fatal(err)
	}
	p := &procNet{t: t, bin: bin, tn: tn, hc: &http.Client{Timeout: 15 * time.Second}}
	for i, o := range tn.Orgs {
		p.nodes = append(p.nodes, &procNode{org: o, log: filepath.Join(tn.Dir, fmt.Sprintf("org%d.log", i+1))})
	}
	t.Cleanup(func() {
		for _, n := range p.nodes {
			if n.cmd == nil {
				continue
			}
			select {
			case <-n.done:
			default:
				_ = n.cmd.Process.Kill()
				<-n.done
			}
		}
	})
	for i := range p.nodes {
		p.start(i)
	}

	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	var (
		mu   sync.Mutex
		acks []acked
	)
	record := func(a acked) { mu.Lock(); acks = append(acks, a); mu.Unlock() }
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(acks) }
	// On failure too, the senders stop before the nodes are killed.
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, stopLoad := context.WithTimeout(context.Background(), 3*time.Minute)
	defer stopLoad()
	loadErr := make(chan error, len(tn.Orgs))
	for org := range tn.Orgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.sendLoad(ctx, org, rand.New(rand.NewPCG(seed, uint64(org))), record); err != nil {
				loadErr <- err
			}
		}()
	}
	waitFor(t, 30*time.Second, "the first committed transactions", func() bool { return count() >= 8 })

	rng := rand.New(rand.NewPCG(seed, 99))
	const kills = 10
	for k := range kills {
		victim := rng.IntN(len(p.nodes))
		time.Sleep(time.Duration(50+rng.IntN(700)) * time.Millisecond)
		before := count()
		p.kill(victim)
		p.start(victim)
		p.rejoin(victim)
		t.Logf("kill %d: org%d; %d transactions committed before it", k+1, victim+1, before)
	}

	// A crash exactly between FinalizeBlock and Commit: the node executed
	// a block holding transactions, CometBFT stored it, the ledger did
	// not. Restarted, it replays the height.
	victim := rng.IntN(len(p.nodes))
	p.kill(victim)
	// It may crash replaying a height at start, syncing blocks, or in
	// consensus: whichever first commits a block with transactions.
	p.launch(victim, "MESHLEDGER_FAILPOINT=crash-before-commit") // node/failpoint_crash.go
	st := p.waitExit(victim, 60*time.Second)
	if ws, ok := st.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("org%d ended %v, not killed by its failpoint\n%s", victim+1, st, p.logTail(victim))
	}
	crash := regexp.MustCompile(`failpoint: crashing before commit.*height=(\d+)`).FindStringSubmatch(p.logTail(victim))
	if crash == nil {
		t.Fatalf("org%d died, but not at the failpoint\n%s", victim+1, p.logTail(victim))
	}
	t.Logf("org%d crashed at its failpoint before committing consensus height %s", victim+1, crash[1])
	// Its ledger stopped one height short: the crashed height was executed
	// but not written.
	func() {
		l, err := ledger.Open(context.Background(), ledger.Config{Dir: filepath.Join(tn.Orgs[victim].DataDir, node.ChainDir), Genesis: tn.Genesis})
		if err != nil {
			t.Fatalf("open org%d's ledger after the crash: %v", victim+1, err)
		}
		defer l.Close(context.Background())
		cs, err := l.ConsensusState()
		if err != nil {
			t.Fatal(err)
		}
		if want, _ := strconv.ParseUint(crash[1], 10, 64); cs.Height != want-1 {
			t.Fatalf("org%d's ledger is at consensus height %d after crashing before committing %d", victim+1, cs.Height, want)
		}
	}()
	p.start(victim)
	p.rejoin(victim)
	waitFor(t, 30*time.Second, "transactions committed after the failpoint crash", func() bool { return count() >= 20 })

	stopLoad()
	wg.Wait()
	close(loadErr)
	for err := range loadErr {
		t.Fatal(err)
	}
	// Every node reaches the same ledger tip, then stops.
	waitFor(t, 60*time.Second, "all four nodes at one ledger tip", func() bool {
		var tip common.Hash
		for i := range p.nodes {
			c, err := p.chain(i)
			if err != nil || (i > 0 && c.LatestHash != tip) {
				return false
			}
			tip = c.LatestHash
		}
		return true
	})
	p.stopAll()

	ls := make([]*ledger.Ledger, len(tn.Orgs))
	for i, o := range tn.Orgs {
		l, err := ledger.Open(context.Background(), ledger.Config{Dir: filepath.Join(o.DataDir, node.ChainDir), Genesis: tn.Genesis})
		if err != nil {
			t.Fatalf("open org%d's ledger: %v", i+1, err)
		}
		defer l.Close(context.Background())
		ls[i] = l
	}
	height := sameHistory(t, ls...)
	for i, l := range ls {
		if got := l.Latest().Header.Height; got != height {
			t.Fatalf("org%d's ledger ends at %d, another's at %d", i+1, got, height)
		}
	}
	for _, a := range acks {
		for i, l := range ls {
			rec, err := l.Tx(a.hash)
			if err != nil {
				t.Fatalf("org%d lacks committed transaction %s: %v", i+1, a.hash, err)
			}
			if string(rec.Receipt.Status) != a.status || rec.Receipt.GasUsed != a.gasUsed {
				t.Fatalf("org%d: receipt of %s is %s/%d, the node answered %s/%d", i+1, a.hash, rec.Receipt.Status, rec.Receipt.GasUsed, a.status, a.gasUsed)
			}
		}
	}
	t.Logf("%d kills and a failpoint crash; %d committed transactions (%d offered again after a node died or did not answer) in %d ledger blocks, identical on four nodes",
		kills, len(acks), p.retries.Load(), height)
}
