package ledger

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/internal/ledgertest"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/status"
)

func TestDeployUnderApproval(t *testing.T) {
	t.Parallel()
	cases := []struct {
		orgs      int
		approvers []string // in voting order after o1's proposal
	}{
		{1, []string{"o1"}},
		{3, []string{"o1", "o2"}},
		{4, []string{"o1", "o2", "o3"}},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%d orgs", c.orgs), func(t *testing.T) {
			t.Parallel()
			nw := newNetwork(t, c.orgs, approvalPolicy())
			e := nw.env
			code := counterCode(t)
			rc := e.okReceipt(e.deployWith(nw.admins[0], code, map[string]any{"start": 41}))
			p := proposalOf(t, rc)
			want := tx.ContractAddress(ledgertest.AddrOf(nw.admins[0]), 0)
			if p.Address != want {
				t.Fatalf("proposal reserves %s, want %s", p.Address, want)
			}
			executedAt := rc
			for i := 1; i < len(c.approvers); i++ {
				if _, err := e.l.Contract(want); !errors.Is(err, ErrUnknownContract) {
					t.Fatalf("contract exists after %d approvals: %v", i, err)
				}
				executedAt = e.okReceipt(e.registryTx(nw.admins[i], registry.MethodApprove, map[string]any{"id": p.Proposal}))
			}
			if executedAt.ContractAddress != want {
				t.Fatalf("executing receipt's contract %s, want %s", executedAt.ContractAddress, want)
			}
			info := e.contractInfo(want)
			if info.Org != "o1" || info.Deployer != ledgertest.AddrOf(nw.admins[0]) || info.CodeHash != crypto.Keccak256Hash(code) {
				t.Fatalf("contract info %+v", info)
			}
			if len(info.Versions) != 1 || !slices.Equal(info.Versions[0].Approvers, c.approvers) ||
				info.Versions[0].TxHash != executedAt.TxHash || info.Versions[0].Height != executedAt.Height {
				t.Fatalf("versions %+v, want approvers %v in tx %s", info.Versions, c.approvers, executedAt.TxHash)
			}
			if st := e.proposalState(p.Proposal).Status; st != registry.StatusExecuted {
				t.Fatalf("proposal status %s", st)
			}
			// init ran with the deployer as caller.
			if n := e.callInt(nw.admins[0], want, "get"); n != 41 {
				t.Fatalf("get after init = %d, want 41", n)
			}
		})
	}
}

// TestFailedEffectLeavesNothing: an approval whose deploy fails (init
// refuses) fails as a whole: no contract, the vote not recorded, the
// proposal still open; a later approval can still be cast.
func TestFailedEffectLeavesNothing(t *testing.T) {
	t.Parallel()
	nw := newNetwork(t, 3, approvalPolicy())
	e := nw.env
	p := proposalOf(t, e.okReceipt(e.deployWith(nw.admins[0], counterCode(t), map[string]any{"fail": true})))
	root := e.l.Latest().Header.StateRoot
	rc := e.one(e.registryTx(nw.admins[1], registry.MethodApprove, map[string]any{"id": p.Proposal}))
	if rc.OK() || !strings.Contains(rc.Message, fmt.Sprintf("proposal %d", p.Proposal)) || len(rc.Writes) != 0 || len(rc.Events) != 0 {
		t.Fatalf("failing approval receipt %+v", rc)
	}
	if rc.GasUsed <= registry.CallGas {
		t.Fatalf("failing approval used %d gas: init's gas not charged", rc.GasUsed)
	}
	if _, err := e.l.Contract(p.Address); !errors.Is(err, ErrUnknownContract) {
		t.Fatalf("contract after a failed init: %v", err)
	}
	pr := e.proposalState(p.Proposal)
	if pr.Status != registry.StatusOpen || !slices.Equal(pr.Approvals, []string{"o1"}) {
		t.Fatalf("proposal after a failed execution: %s approvals %v", pr.Status, pr.Approvals)
	}
	// Only the sender's nonce moved.
	changed, _, err := e.l.state.Get(SystemAddress, NonceStateKey(ledgertest.AddrOf(nw.admins[1])))
	if err != nil || len(changed) != 8 || e.l.Latest().Header.StateRoot == root {
		t.Fatalf("nonce of the voter: %x %v", changed, err)
	}
	// The vote can be cast again (and fails again, the same way).
	if rc := e.one(e.registryTx(nw.admins[1], registry.MethodApprove, map[string]any{"id": p.Proposal})); rc.OK() {
		t.Fatal("second approval of a failing deploy succeeded")
	}
}

func TestUpgradeOpenPolicy(t *testing.T) {
	t.Parallel()
	nw := newNetwork(t, 2, openPolicy())
	e := nw.env
	v1, v2 := counterCode(t), counterV2Code(t)
	rc := e.okReceipt(e.deployWith(nw.admins[0], v1, map[string]any{"start": 5}))
	c := rc.ContractAddress
	if info := e.contractInfo(c); len(info.Versions) != 1 || info.Versions[0].Approvers != nil || info.Org != "o1" {
		t.Fatalf("open deploy info %+v", info)
	}
	if n := e.callInt(nw.admins[0], c, "inc"); n != 6 {
		t.Fatalf("inc = %d", n)
	}

	// Refusals: a member without the deployer role (at admission), a
	// deployer of another organisation and an unknown contract (failed
	// receipts), a failing migrate (failed receipt, old code kept).
	if rej := e.applyRejected(e.upgradeTx(e.servicer, c, v2, map[string]any{})); len(rej) != 1 || !errors.Is(rej[0].Err, ErrForbidden) {
		t.Fatalf("upgrade by a non-deployer: %v", rej)
	}
	if rc := e.one(e.upgradeTx(nw.admins[1], c, v2, map[string]any{})); rc.Status != "forbidden" {
		t.Fatalf("upgrade by another org's deployer: %s %s", rc.Status, rc.Message)
	}
	if rc := e.one(e.upgradeTx(nw.admins[0], common.HexToAddress("0x1234"), v2, map[string]any{})); rc.Status != status.UnknownContract {
		t.Fatalf("upgrade of no contract: %s %s", rc.Status, rc.Message)
	}
	if rc := e.one(e.upgradeTx(nw.admins[0], c, v2, map[string]any{"fail": true})); rc.OK() || len(rc.Writes) != 0 {
		t.Fatalf("failing migrate: %+v", rc)
	}
	if v := e.callInt(nw.admins[0], c, "version"); v != 1 {
		t.Fatalf("version after refused upgrades = %d", v)
	}
	// migrate cannot be called directly.
	if rc := e.one(e.callTx(nw.admins[0], e.next(nw.admins[0]), c, "migrate", map[string]any{})); rc.Status != status.UnknownMethod {
		t.Fatalf("direct migrate call: %s", rc.Status)
	}

	rc = e.okReceipt(e.upgradeTx(nw.admins[0], c, v2, map[string]any{"add": 10}))
	if v := e.callInt(nw.admins[0], c, "version"); v != 2 {
		t.Fatalf("version after upgrade = %d", v)
	}
	if n := e.callInt(nw.admins[0], c, "get"); n != 16 {
		t.Fatalf("count after migrate = %d, want 6 kept + 10", n)
	}
	if n := e.callInt(nw.admins[0], c, "inc"); n != 18 {
		t.Fatalf("v2 inc = %d, want 18", n)
	}
	info := e.contractInfo(c)
	if info.CodeHash != crypto.Keccak256Hash(v2) || !slices.Contains(info.Methods, "migrate") || len(info.Versions) != 2 ||
		info.Versions[1].CodeHash != crypto.Keccak256Hash(v2) || info.Versions[1].TxHash != rc.TxHash || info.Versions[0].CodeHash != crypto.Keccak256Hash(v1) {
		t.Fatalf("upgraded contract info %+v", info)
	}
	// The proven record and a reopened ledger agree.
	pr, err := e.l.ProveContract(c)
	if err != nil || pr.Info.CodeHash != info.CodeHash || len(pr.Info.Versions) != 2 {
		t.Fatalf("proven record %+v %v", pr, err)
	}
	e.reopen()
	if v := e.callInt(nw.admins[0], c, "version"); v != 2 {
		t.Fatalf("version after reopening = %d", v)
	}
}

// TestUpgradeUnderApproval: a rejected upgrade leaves the old code
// running; an approved one keeps the state and runs migrate.
func TestUpgradeUnderApproval(t *testing.T) {
	t.Parallel()
	nw := newNetwork(t, 3, approvalPolicy())
	e := nw.env
	v2 := counterV2Code(t)
	p := proposalOf(t, e.okReceipt(e.deployWith(nw.admins[0], counterCode(t), map[string]any{"start": 1})))
	e.okReceipt(e.registryTx(nw.admins[1], registry.MethodApprove, map[string]any{"id": p.Proposal}))
	c := p.Address
	e.callInt(nw.admins[0], c, "inc") // 2

	up := proposalOf(t, e.okReceipt(e.upgradeTx(nw.admins[0], c, v2, map[string]any{"add": 100})))
	if up.Address != c {
		t.Fatalf("upgrade proposal names %s", up.Address)
	}
	e.okReceipt(e.registryTx(nw.admins[1], registry.MethodReject, map[string]any{"id": up.Proposal}))
	e.okReceipt(e.registryTx(nw.admins[2], registry.MethodReject, map[string]any{"id": up.Proposal}))
	if st := e.proposalState(up.Proposal).Status; st != registry.StatusRejected {
		t.Fatalf("upgrade proposal %s", st)
	}
	if v, n := e.callInt(nw.admins[0], c, "version"), e.callInt(nw.admins[0], c, "get"); v != 1 || n != 2 {
		t.Fatalf("after a rejected upgrade: version %d count %d", v, n)
	}

	up = proposalOf(t, e.okReceipt(e.upgradeTx(nw.admins[0], c, v2, map[string]any{"add": 100})))
	if v := e.callInt(nw.admins[0], c, "version"); v != 1 {
		t.Fatalf("upgrade ran before approval: version %d", v)
	}
	rc := e.okReceipt(e.registryTx(nw.admins[2], registry.MethodApprove, map[string]any{"id": up.Proposal}))
	if v, n := e.callInt(nw.admins[0], c, "version"), e.callInt(nw.admins[0], c, "get"); v != 2 || n != 102 {
		t.Fatalf("after an approved upgrade: version %d count %d, want 2 and 102", v, n)
	}
	info := e.contractInfo(c)
	if len(info.Versions) != 2 || !slices.Equal(info.Versions[1].Approvers, []string{"o1", "o3"}) || info.Versions[1].TxHash != rc.TxHash {
		t.Fatalf("versions %+v", info.Versions)
	}
}

// TestUpgradeGasAndCode: an upgrade pays its intrinsic deploy gas before
// loading code like a deploy (out_of_gas below it, nothing changes), and
// one by hash of code never stored is rejected.
func TestUpgradeGasAndCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.okReceipt(e.deployWith(e.owner, counterCode(t), map[string]any{"start": 1})).ContractAddress
	v2 := counterV2Code(t)
	u := tx.Upgrade{From: ledgertest.AddrOf(e.owner), Nonce: e.next(e.owner), Contract: c, GasLimit: 1000}
	low, err := tx.SignUpgrade(u, v2, ledgertest.ChainID, e.owner)
	if err != nil {
		t.Fatal(err)
	}
	rc := e.one(low)
	if rc.Status != status.OutOfGas || rc.GasUsed != 1000 || len(rc.Writes) != 0 {
		t.Fatalf("upgrade below its intrinsic gas: %+v", rc)
	}
	if v := e.callInt(e.owner, c, "version"); v != 1 {
		t.Fatalf("version after an upgrade out of gas: %d", v)
	}
	byHash := tx.Upgrade{From: ledgertest.AddrOf(e.owner), Nonce: e.nonce(e.owner), Contract: c,
		CodeHash: crypto.Keccak256Hash([]byte("never stored")), GasLimit: block.DefaultBlockDeployGasLimit}
	unknown, err := tx.SignUpgrade(byHash, nil, ledgertest.ChainID, e.owner)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.l.CheckTx(unknown); !errors.Is(err, ErrUnknownCode) {
		t.Fatalf("CheckTx of an upgrade to unknown code: %v", err)
	}
	if rej := e.applyRejected(unknown); len(rej) != 1 || !errors.Is(rej[0].Err, ErrUnknownCode) {
		t.Fatalf("upgrade to unknown code in a block: %v", rej)
	}
	// The code stored by the failed upgrade serves a later one by hash.
	byHash.CodeHash, byHash.MigrateArgs = crypto.Keccak256Hash(v2), []byte(`{"add":1}`)
	stored, err := tx.SignUpgrade(byHash, nil, ledgertest.ChainID, e.owner)
	if err != nil {
		t.Fatal(err)
	}
	e.okReceipt(stored)
	if v, n := e.callInt(e.owner, c, "version"), e.callInt(e.owner, c, "get"); v != 2 || n != 2 {
		t.Fatalf("after an upgrade by hash: version %d count %d", v, n)
	}
}

// TestDeployKeepsDeployersOrg: a contract belongs to its deployer's
// organisation as it was when it deployed, even if the deployer left
// before the approval that made the contract.
func TestDeployKeepsDeployersOrg(t *testing.T) {
	t.Parallel()
	nw := newNetwork(t, 3, approvalPolicy())
	e := nw.env
	dev := ledgertest.MustKey(t, 40)
	e.okReceipt(e.registryTx(nw.admins[0], registry.MethodAddMember, map[string]any{"address": ledgertest.AddrOf(dev), "roles": []string{registry.RoleDeployer}}))
	p := proposalOf(t, e.okReceipt(e.deployWith(dev, counterCode(t), map[string]any{"start": 3})))
	e.okReceipt(e.registryTx(nw.admins[0], registry.MethodRemoveMember, map[string]any{"address": ledgertest.AddrOf(dev)}))
	e.okReceipt(e.registryTx(nw.admins[1], registry.MethodApprove, map[string]any{"id": p.Proposal}))
	info := e.contractInfo(p.Address)
	if info.Org != "o1" || info.Deployer != ledgertest.AddrOf(dev) {
		t.Fatalf("contract of a departed deployer: org %q deployer %s", info.Org, info.Deployer)
	}
	if n := e.callInt(nw.admins[0], p.Address, "get"); n != 3 {
		t.Fatalf("init of a departed deployer's contract: %d", n)
	}
}
