// Package ledgertest holds what the ledger's tests and the audit package's
// tests both need to build chains: keys, a header signer, signed
// transactions and the benchmarks' throughput figures. It does not import
// the ledger, so the ledger's in-package tests can use it.
package ledgertest

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/json"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/ledger/tx"
)

// The test chains' chain ID, genesis time and time between blocks.
const (
	ChainID       = 1337
	GenesisTimeMs = 1_700_000_000_000
	BlockStepMs   = 1_000
)

// CallGas is the gas limit of the calls CallTx signs.
const CallGas = 100_000_000

// MustKey is the private key whose 32 bytes are all seed.
func MustKey(tb testing.TB, seed byte) *ecdsa.PrivateKey {
	k, err := crypto.ToECDSA(bytes.Repeat([]byte{seed}, 32))
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// AddrOf is k's address.
func AddrOf(k *ecdsa.PrivateKey) common.Address { return crypto.PubkeyToAddress(k.PublicKey) }

// KeySigner signs headers with an in-memory key.
type KeySigner struct{ Key *ecdsa.PrivateKey }

func (s KeySigner) Address() common.Address { return AddrOf(s.Key) }
func (s KeySigner) SignHash(h common.Hash) ([]byte, error) {
	return crypto.Sign(h[:], s.Key)
}

// DeployTx is k's deploy of code named name (by hash only, unless
// withCode), signed for ChainID.
func DeployTx(tb testing.TB, k *ecdsa.PrivateKey, name string, code []byte, nonce, gas uint64, withCode bool) *tx.Tx {
	tb.Helper()
	d := tx.Deploy{From: AddrOf(k), Nonce: nonce, CodeHash: crypto.Keccak256Hash(code), Name: name, GasLimit: gas}
	if !withCode {
		code = nil
	}
	t, err := tx.SignDeploy(d, code, ChainID, k)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// CallTx is k's call of method with args as JSON and CallGas, signed for
// ChainID.
func CallTx(tb testing.TB, k *ecdsa.PrivateKey, nonce uint64, contract common.Address, method string, args any) *tx.Tx {
	tb.Helper()
	raw, err := json.Marshal(args)
	if err != nil {
		tb.Fatal(err)
	}
	t, err := tx.SignCall(tx.Call{From: AddrOf(k), Nonce: nonce, Contract: contract, Method: method, Args: raw, GasLimit: CallGas}, ChainID, k)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// Reparse makes fresh copies of signed transactions, so that each use
// pays for signature recovery as a node receiving them would (Tx caches
// its sender).
func Reparse(tb testing.TB, txs []*tx.Tx) []*tx.Tx {
	out := make([]*tx.Tx, len(txs))
	for i, t := range txs {
		enc, err := t.MarshalBinary()
		if err != nil {
			tb.Fatal(err)
		}
		if out[i], err = tx.DecodeRLP(enc, tx.Limits{}); err != nil {
			tb.Fatal(err)
		}
		if t.Code() != nil {
			if out[i], err = out[i].WithCode(t.Code()); err != nil {
				tb.Fatal(err)
			}
		}
	}
	return out
}

// ReportThroughput reports tx/s (wall) and the process's CPU time per
// transaction, every goroutine included: on a shared machine the wall
// figure moves with other jobs' load, the CPU figure much less.
func ReportThroughput(b *testing.B, txs int, elapsed, cpu time.Duration) {
	b.ReportMetric(float64(txs)/elapsed.Seconds(), "tx/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(txs), "cpu-µs/tx")
}

// CPUTime is the process's user+system CPU time so far.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// LoanCreateArgs are the arguments of the loan contract's create: loan id
// to borrower, serviced by servicer, first due 30 days after genesis.
func LoanCreateArgs(id string, borrower, servicer common.Address) map[string]any {
	return map[string]any{
		"id": id, "borrower": borrower.Hex(), "servicer": servicer.Hex(),
		"principal": 30_000_000, "rate_bps": 650, "term_months": 360,
		"first_due": GenesisTimeMs/1000 + 30*86400,
	}
}

// Genesis is the test chains' genesis: block.DevGenesis with admin as the
// development organisation's admin (and deployer and auditor), and
// members as plain members of it with the given role (e.g. a loan's
// servicer), so that they may transact under access control.
func Genesis(admin common.Address, role string, members ...common.Address) *block.Genesis {
	g := block.DevGenesis(ChainID, GenesisTimeMs, admin)
	for _, m := range members {
		g.Orgs[0].Members = append(g.Orgs[0].Members, registry.GenesisMember{Address: m, Roles: []string{role}})
	}
	return g
}
