package cometbft

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	cfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/p2p"

	"github.com/meshledger/meshledger/ledger/tx"
)

// Defaults for HomeOptions. Each is written once here; DefaultHomeOptions
// and WithDefaults read them.
const (
	// DefaultListenHost keeps a node's ports on loopback: a testnet on one
	// machine, and a safe start for a real node until the operator names
	// its public interface.
	DefaultListenHost = "127.0.0.1"

	// DefaultTimeoutCommit is how long a node waits after a commit before
	// the next height. CometBFT's 1 s is for public networks that want
	// late precommits in the next block; a ledger's users wait for their
	// transaction, so the network moves on at once (issue 11 measured
	// 50–100 ms broadcast→commit with this and DefaultPeerGossipSleep).
	DefaultTimeoutCommit = 10 * time.Millisecond

	// DefaultPeerGossipSleep is how often the consensus reactor looks for
	// block parts and votes to send to a peer. CometBFT's 100 ms alone puts
	// several hundred ms on every commit.
	DefaultPeerGossipSleep = 5 * time.Millisecond

	// DefaultTimeoutPropose bounds the wait for a proposal from a proposer
	// that is down: every round whose proposer is stopped costs this long.
	// CometBFT's 3 s makes one stopped validator of four cost seconds per
	// block it would have proposed; 1 s still leaves a loaded 2-core
	// machine time to build and gossip a full block.
	DefaultTimeoutPropose = 1 * time.Second

	// DefaultFlushThrottle is how long a peer connection may hold messages
	// before writing them. CometBFT's 100 ms default adds up to that much
	// to every hop of a vote; 10 ms is what CometBFT's own test config uses.
	DefaultFlushThrottle = 10 * time.Millisecond

	// DefaultMempoolSize is the number of transactions a mempool holds:
	// ten seconds of the 1,000 tx/s target.
	DefaultMempoolSize = 10_000

	// DefaultMempoolCacheSize remembers this many recently seen
	// transactions so that gossip does not run CheckTx twice for one.
	DefaultMempoolCacheSize = 2 * DefaultMempoolSize

	// DefaultMempoolMaxBytes bounds the memory all pending transactions
	// take (CometBFT's 1 GiB is more than a small node should risk).
	DefaultMempoolMaxBytes int64 = 256 << 20

	// DefaultMaxTxBytes admits the largest transaction the ledger accepts:
	// a deploy carrying code of tx.DefaultMaxCodeBytes plus its envelope.
	DefaultMaxTxBytes = tx.DefaultMaxCodeBytes + 1<<20
)

// Timing holds the consensus timeouts a home is written with. Zero fields
// take their defaults (WithDefaults).
type Timing struct {
	// TimeoutCommit is consensus.timeout_commit.
	TimeoutCommit time.Duration
	// TimeoutPropose is consensus.timeout_propose.
	TimeoutPropose time.Duration
	// PeerGossipSleep is consensus.peer_gossip_sleep_duration.
	PeerGossipSleep time.Duration
	// FlushThrottle is p2p.flush_throttle_timeout.
	FlushThrottle time.Duration
	// EmptyBlockInterval, when positive, makes the network produce an
	// empty block after this long without transactions (a heartbeat that
	// advances block time). Zero, the default, produces blocks only for
	// transactions (create_empty_blocks = false): an idle network costs no
	// disk and no CPU, and a transaction does not wait for an empty round
	// to end. CometBFT still adds one empty block after each block that
	// changed the app hash, so that the new hash is signed in a header.
	EmptyBlockInterval time.Duration
}

// MempoolLimits holds the mempool's bounds. Zero fields take their defaults.
type MempoolLimits struct {
	// Size is mempool.size, the number of pending transactions.
	Size int
	// CacheSize is mempool.cache_size.
	CacheSize int
	// MaxBytes is mempool.max_txs_bytes, all pending transactions together.
	MaxBytes int64
	// MaxTxBytes is mempool.max_tx_bytes, one transaction. It must not
	// exceed the genesis block size (GenesisParams.BlockMaxBytes).
	MaxTxBytes int
}

// Peer is a persistent peer a node dials and redials.
type Peer struct {
	// ID is the peer's node ID (hex of its node key's address).
	ID p2p.ID
	// Host is the peer's host name or IP address.
	Host string
	// Port is the peer's P2P port.
	Port int
}

// String gives the peer in CometBFT's id@host:port form.
func (p Peer) String() string {
	return string(p.ID) + "@" + net.JoinHostPort(p.Host, strconv.Itoa(p.Port))
}

// HomeOptions says how InitHome writes a home's config/config.toml.
type HomeOptions struct {
	// Moniker names the node in logs and peer lists (the organisation).
	Moniker string
	// ListenHost is the address the P2P and RPC ports bind.
	ListenHost string
	// ExternalHost, when set, is the host peers are told to dial
	// (p2p.external_address), for a node listening on 0.0.0.0 or behind
	// NAT; HomeInfo.P2PAddr then names it.
	ExternalHost string
	// P2PPort is the port peers dial. Required.
	P2PPort int
	// RPCPort, when positive, serves CometBFT's own RPC on ListenHost;
	// zero leaves it off (the node's HTTP API serves clients).
	RPCPort int
	// Peers are dialled on start and redialled when they drop.
	Peers []Peer
	// Public, when true, writes the settings for validators on separate
	// machines: addr_book_strict = true (refuse private addresses learned
	// from peers) and allow_duplicate_ip = false. False, the default, is
	// for networks on one machine, where every peer is on 127.0.0.1 and
	// CometBFT would otherwise refuse all but one.
	Public bool
	// Timing holds the consensus timeouts.
	Timing Timing
	// Mempool holds the mempool bounds.
	Mempool MempoolLimits
}

// DefaultHomeOptions returns every default, for a node on loopback. P2PPort
// is left zero: a port must be chosen.
func DefaultHomeOptions() HomeOptions {
	return HomeOptions{
		ListenHost: DefaultListenHost,
		Timing: Timing{
			TimeoutCommit:   DefaultTimeoutCommit,
			TimeoutPropose:  DefaultTimeoutPropose,
			PeerGossipSleep: DefaultPeerGossipSleep,
			FlushThrottle:   DefaultFlushThrottle,
		},
		Mempool: MempoolLimits{
			Size:       DefaultMempoolSize,
			CacheSize:  DefaultMempoolCacheSize,
			MaxBytes:   DefaultMempoolMaxBytes,
			MaxTxBytes: DefaultMaxTxBytes,
		},
	}
}

// WithDefaults returns o with each zero field set to its default.
func (o HomeOptions) WithDefaults() HomeOptions {
	d := DefaultHomeOptions()
	if o.ListenHost == "" {
		o.ListenHost = d.ListenHost
	}
	setDuration(&o.Timing.TimeoutCommit, d.Timing.TimeoutCommit)
	setDuration(&o.Timing.TimeoutPropose, d.Timing.TimeoutPropose)
	setDuration(&o.Timing.PeerGossipSleep, d.Timing.PeerGossipSleep)
	setDuration(&o.Timing.FlushThrottle, d.Timing.FlushThrottle)
	if o.Mempool.Size == 0 {
		o.Mempool.Size = d.Mempool.Size
	}
	if o.Mempool.CacheSize == 0 {
		o.Mempool.CacheSize = d.Mempool.CacheSize
	}
	if o.Mempool.MaxBytes == 0 {
		o.Mempool.MaxBytes = d.Mempool.MaxBytes
	}
	if o.Mempool.MaxTxBytes == 0 {
		o.Mempool.MaxTxBytes = d.Mempool.MaxTxBytes
	}
	return o
}

func setDuration(d *time.Duration, def time.Duration) {
	if *d == 0 {
		*d = def
	}
}

// ErrInvalidOptions is wrapped by every error Validate returns.
var ErrInvalidOptions = errors.New("invalid cometbft home options")

// Validate reports what no default can mend.
func (o HomeOptions) Validate() error {
	var problems []string
	if !validPort(o.P2PPort) {
		problems = append(problems, fmt.Sprintf("p2p port %d is not in 1..65535", o.P2PPort))
	}
	if o.RPCPort != 0 && !validPort(o.RPCPort) {
		problems = append(problems, fmt.Sprintf("rpc port %d is not in 1..65535", o.RPCPort))
	}
	if o.RPCPort != 0 && o.RPCPort == o.P2PPort {
		problems = append(problems, fmt.Sprintf("rpc and p2p ports are both %d", o.P2PPort))
	}
	if strings.ContainsAny(o.Moniker, "\"\\\n") {
		problems = append(problems, "moniker holds a quote, backslash or newline")
	}
	for i, p := range o.Peers {
		if !validNodeID(p.ID) {
			problems = append(problems, fmt.Sprintf("peer %d: node id %q is not %d hex bytes", i, p.ID, p2p.IDByteLength))
		}
		if p.Host == "" || !validPort(p.Port) {
			problems = append(problems, fmt.Sprintf("peer %d: address %q port %d", i, p.Host, p.Port))
		}
	}
	for _, d := range []struct {
		name string
		d    time.Duration
	}{
		{"timeout commit", o.Timing.TimeoutCommit}, {"timeout propose", o.Timing.TimeoutPropose},
		{"peer gossip sleep", o.Timing.PeerGossipSleep}, {"flush throttle", o.Timing.FlushThrottle},
		{"empty block interval", o.Timing.EmptyBlockInterval},
	} {
		if d.d < 0 {
			problems = append(problems, fmt.Sprintf("%s is negative (%s)", d.name, d.d))
		}
	}
	if o.Mempool.Size < 0 || o.Mempool.CacheSize < 0 || o.Mempool.MaxBytes < 0 || o.Mempool.MaxTxBytes < 0 {
		problems = append(problems, "a mempool limit is negative")
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrInvalidOptions, strings.Join(problems, "; "))
}

func validPort(p int) bool { return p > 0 && p <= 65535 }

func validNodeID(id p2p.ID) bool {
	b, err := hex.DecodeString(string(id))
	return err == nil && len(b) == p2p.IDByteLength
}

// cometConfig turns options into CometBFT's configuration for home. o must
// have passed Validate and WithDefaults.
func cometConfig(home string, o HomeOptions) *cfg.Config {
	c := cfg.DefaultConfig()
	c.SetRoot(home)
	c.Moniker = o.Moniker
	if c.Moniker == "" {
		c.Moniker = "meshledger"
	}

	c.P2P.ListenAddress = "tcp://" + net.JoinHostPort(o.ListenHost, strconv.Itoa(o.P2PPort))
	peers := make([]string, len(o.Peers))
	for i, p := range o.Peers {
		peers[i] = p.String()
	}
	c.P2P.PersistentPeers = strings.Join(peers, ",")
	if o.ExternalHost != "" {
		c.P2P.ExternalAddress = "tcp://" + net.JoinHostPort(o.ExternalHost, strconv.Itoa(o.P2PPort))
	}
	c.P2P.AddrBookStrict = o.Public
	c.P2P.AllowDuplicateIP = !o.Public
	c.P2P.FlushThrottleTimeout = o.Timing.FlushThrottle
	// Validators are a fixed, known set: peer exchange would only add
	// strangers' addresses to dial.
	c.P2P.PexReactor = false
	// Every peer connection is put to the application first; Start relies
	// on it to refuse connections while the node stops (stopGuard).
	c.FilterPeers = true

	c.RPC.ListenAddress = ""
	if o.RPCPort != 0 {
		c.RPC.ListenAddress = "tcp://" + net.JoinHostPort(o.ListenHost, strconv.Itoa(o.RPCPort))
	}

	c.Consensus.TimeoutCommit = o.Timing.TimeoutCommit
	c.Consensus.TimeoutPropose = o.Timing.TimeoutPropose
	c.Consensus.PeerGossipSleepDuration = o.Timing.PeerGossipSleep
	c.Consensus.CreateEmptyBlocks = o.Timing.EmptyBlockInterval > 0
	c.Consensus.CreateEmptyBlocksInterval = o.Timing.EmptyBlockInterval

	c.Mempool.Size = o.Mempool.Size
	c.Mempool.CacheSize = o.Mempool.CacheSize
	c.Mempool.MaxTxsBytes = o.Mempool.MaxBytes
	c.Mempool.MaxTxBytes = o.Mempool.MaxTxBytes

	// The ledger indexes its own receipts; CometBFT's indexer would write
	// every transaction a second time.
	c.TxIndex.Indexer = "null"
	// Metrics go through the in-process provider (StartOptions), never a
	// second HTTP server.
	c.Instrumentation.Prometheus = false
	return c
}
