package cometbft_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/node/cometbft"
)

const peerID = "0123456789abcdef0123456789abcdef01234567"

func TestHomeOptionsValidate(t *testing.T) {
	valid := cometbft.HomeOptions{P2PPort: 26656}
	tests := []struct {
		name   string
		mutate func(*cometbft.HomeOptions)
		want   string // in the error; empty for valid
	}{
		{"valid", func(*cometbft.HomeOptions) {}, ""},
		{"valid with rpc and peers", func(o *cometbft.HomeOptions) {
			o.RPCPort = 26657
			o.Peers = []cometbft.Peer{{ID: peerID, Host: "10.0.0.2", Port: 26656}}
		}, ""},
		{"no p2p port", func(o *cometbft.HomeOptions) { o.P2PPort = 0 }, "p2p port 0"},
		{"p2p port too big", func(o *cometbft.HomeOptions) { o.P2PPort = 70000 }, "p2p port 70000"},
		{"rpc port negative", func(o *cometbft.HomeOptions) { o.RPCPort = -1 }, "rpc port -1"},
		{"rpc port is p2p port", func(o *cometbft.HomeOptions) { o.RPCPort = 26656 }, "both 26656"},
		{"moniker with quote", func(o *cometbft.HomeOptions) { o.Moniker = `a"b` }, "moniker"},
		{"peer id not hex", func(o *cometbft.HomeOptions) {
			o.Peers = []cometbft.Peer{{ID: "zz", Host: "h", Port: 1}}
		}, "peer 0: node id"},
		{"peer without host", func(o *cometbft.HomeOptions) {
			o.Peers = []cometbft.Peer{{ID: peerID, Port: 1}}
		}, "peer 0: address"},
		{"negative timeout", func(o *cometbft.HomeOptions) { o.Timing.TimeoutCommit = -time.Second }, "timeout commit is negative"},
		{"negative empty block interval", func(o *cometbft.HomeOptions) { o.Timing.EmptyBlockInterval = -1 }, "empty block interval"},
		{"negative mempool size", func(o *cometbft.HomeOptions) { o.Mempool.Size = -1 }, "mempool limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := valid
			tt.mutate(&o)
			err := o.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if !errors.Is(err, cometbft.ErrInvalidOptions) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate: %v, want ErrInvalidOptions naming %q", err, tt.want)
			}
		})
	}
}

func TestHomeOptionsWithDefaults(t *testing.T) {
	d := cometbft.DefaultHomeOptions()
	if got := (cometbft.HomeOptions{}).WithDefaults(); got.ListenHost != d.ListenHost || got.Timing != d.Timing || got.Mempool != d.Mempool {
		t.Fatalf("zero options with defaults = %+v, want %+v", got, d)
	}
	set := cometbft.HomeOptions{
		ListenHost: "10.0.0.1",
		Timing:     cometbft.Timing{TimeoutCommit: time.Second, EmptyBlockInterval: time.Minute},
		Mempool:    cometbft.MempoolLimits{Size: 7},
	}.WithDefaults()
	if set.ListenHost != "10.0.0.1" || set.Timing.TimeoutCommit != time.Second || set.Timing.EmptyBlockInterval != time.Minute || set.Mempool.Size != 7 {
		t.Fatalf("set fields lost: %+v", set)
	}
	if set.Timing.PeerGossipSleep != cometbft.DefaultPeerGossipSleep || set.Mempool.MaxTxBytes != cometbft.DefaultMaxTxBytes {
		t.Fatalf("zero fields not defaulted: %+v", set)
	}
}

// The largest transaction the ledger admits must fit the mempool and a
// block, or a deploy of the largest contract would never commit.
func TestDefaultLimitsHoldTheLargestTransaction(t *testing.T) {
	if cometbft.DefaultMaxTxBytes <= tx.DefaultMaxCodeBytes {
		t.Errorf("mempool max tx bytes %d ≤ max code bytes %d", cometbft.DefaultMaxTxBytes, tx.DefaultMaxCodeBytes)
	}
	if int64(cometbft.DefaultMaxTxBytes) >= cometbft.DefaultBlockMaxBytes {
		t.Errorf("mempool max tx bytes %d ≥ block max bytes %d", cometbft.DefaultMaxTxBytes, cometbft.DefaultBlockMaxBytes)
	}
	if int64(cometbft.DefaultMaxTxBytes) > cometbft.DefaultMempoolMaxBytes {
		t.Errorf("one tx exceeds the whole mempool")
	}
}
