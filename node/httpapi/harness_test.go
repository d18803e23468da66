package httpapi_test

import (
	"crypto/ecdsa"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/api"
)

// testNode is a node under test whose calls carry a read session of its
// own key, an admin and auditor of the development organisation, so that
// tests about something else read everything. Anon calls carry none.
type testNode struct {
	*nodetest.Node
	Session string // Authorization value of the node key's session
	members int    // member keys handed out by NewMember
	total   int    // member keys in the genesis
}

// Do calls the API in-process with the node key's session, unless the
// headers carry an Authorization of their own.
func (n *testNode) Do(method, path string, body any, headers ...string) nodetest.Response {
	n.T.Helper()
	return n.Node.Do(method, path, body, n.withSession(headers)...)
}

// HTTP calls the API over the network with the node key's session, unless
// the headers carry an Authorization of their own.
func (n *testNode) HTTP(method, path string, body any, headers ...string) nodetest.Response {
	n.T.Helper()
	return n.Node.HTTP(method, path, body, n.withSession(headers)...)
}

// Anon calls the API in-process without a session.
func (n *testNode) Anon(method, path string, body any, headers ...string) nodetest.Response {
	n.T.Helper()
	return n.Node.Do(method, path, body, headers...)
}

func (n *testNode) withSession(headers []string) []string {
	for i := 0; i+1 < len(headers); i += 2 {
		if strings.EqualFold(headers[i], api.HeaderAuthorization) {
			return headers
		}
	}
	return append([]string{api.HeaderAuthorization, n.Session}, headers...)
}

// NewMember hands out the next member account of the genesis: a member of
// the development organisation with the roles admin, deployer and auditor.
func (n *testNode) NewMember() *nodetest.Account {
	n.T.Helper()
	if n.members >= n.total {
		n.T.Fatalf("only %d genesis members", n.total)
	}
	n.members++
	return nodetest.AccountOf(memberKey(n.members))
}

// devMembers is how many member keys the test genesis lists besides the
// node key.
const devMembers = 64

// memberKey is the i-th test member key: derived, so that every node of a
// test lists the same members in its genesis without sharing state.
func memberKey(i int) *ecdsa.PrivateKey {
	var seed [8]byte
	binary.BigEndian.PutUint64(seed[:], uint64(i))
	k, err := crypto.ToECDSA(crypto.Keccak256([]byte("meshledger httpapi test member"), seed[:]))
	if err != nil {
		panic(err)
	}
	return k
}

// prepare writes into cfg's data directory a node key and a development
// genesis whose organisation holds the node key and `members` member keys,
// and returns the node key.
func prepare(t testing.TB, cfg *node.Config, members int) *ecdsa.PrivateKey {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg.DataDir, node.KeyFile), fmt.Appendf(nil, "0x%x", crypto.FromECDSA(key)), 0o600); err != nil {
		t.Fatal(err)
	}
	admins := []common.Address{crypto.PubkeyToAddress(key.PublicKey)}
	for i := 1; i <= members; i++ {
		admins = append(admins, crypto.PubkeyToAddress(memberKey(i).PublicKey))
	}
	writeGenesis(t, cfg.DataDir, block.DevGenesis(1337, time.Now().UnixMilli(), admins...))
	return key
}

func writeGenesis(t testing.TB, dir string, g *block.Genesis) {
	t.Helper()
	b, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, node.GenesisFile), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// start is nodetest.Start on the test genesis.
func start(t testing.TB, cfg node.Config) *testNode {
	t.Helper()
	key := prepare(t, &cfg, devMembers)
	return wrap(t, nodetest.Start(t, cfg), key, devMembers)
}

// openNode is nodetest.Open on the test genesis.
func openNode(t testing.TB, cfg node.Config) *testNode {
	t.Helper()
	return openMembers(t, cfg, devMembers)
}

// openMembers is openNode with a genesis of `members` member keys.
func openMembers(t testing.TB, cfg node.Config, members int) *testNode {
	t.Helper()
	key := prepare(t, &cfg, members)
	return wrap(t, nodetest.Open(t, cfg), key, members)
}

func wrap(t testing.TB, n *nodetest.Node, key *ecdsa.PrivateKey, members int) *testNode {
	t.Helper()
	return &testNode{Node: n, Session: sessionHeader(t, key, n.ChainID(), time.Now(), time.Hour), total: members}
}

// sessionHeader signs a read session of key for chainID, issued at issued,
// lasting life, and returns its Authorization value.
func sessionHeader(t testing.TB, key *ecdsa.PrivateKey, chainID uint64, issued time.Time, life time.Duration) string {
	t.Helper()
	s := tx.ReadSession{
		Reader:    crypto.PubkeyToAddress(key.PublicKey),
		IssuedMs:  uint64(issued.UnixMilli()),
		ExpiresMs: uint64(issued.Add(life).UnixMilli()),
	}
	signed, err := tx.SignSession(s, chainID, key)
	if err != nil {
		t.Fatal(err)
	}
	return signed.Header()
}
