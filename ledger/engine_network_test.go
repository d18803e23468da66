package ledger_test

import (
	"encoding/json"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/enginetest"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/runtime"
)

// fakeCodeV2 is the scripted contract's "new code": another hash, the
// same scripted behaviour.
var fakeCodeV2 = []byte("\x00asm scripted contract, version 2")

// A call's env carries the registry (Directory) at the block's state:
// the caller's organisation and roles, and nothing for an outsider.
// An upgrade's migrate runs on the new code with the proposer as caller;
// its gas is charged on top of the intrinsic gas, and its failure fails
// the upgrade with its status.
func TestEngineDirectoryAndMigrate(t *testing.T) {
	t.Parallel()
	var migrateCaller runtime.Address
	c := enginetest.Methods(map[string]method{
		"mesh.methods": func(runtime.Env, []byte, runtime.State) (*runtime.Result, error) {
			return &runtime.Result{Code: runtime.CodeOK, Return: []byte(`["get","migrate","who"]`)}, nil
		},
		"who": func(env runtime.Env, _ []byte, _ runtime.State) (*runtime.Result, error) {
			me, ok, err := env.Directory.Participant(env.Caller)
			if err != nil || !ok {
				return nil, err
			}
			_, outsider, err := env.Directory.Participant(runtime.Address{0x99})
			if err != nil {
				return nil, err
			}
			ret, _ := json.Marshal(map[string]any{"org": me.Org, "roles": me.Roles, "outsider": outsider})
			return &runtime.Result{Code: runtime.CodeOK, Return: ret, GasUsed: 1}, nil
		},
		"migrate": func(env runtime.Env, args []byte, _ runtime.State) (*runtime.Result, error) {
			migrateCaller = env.Caller
			if string(args) == `{"fail":true}` {
				return &runtime.Result{Code: runtime.CodeError, Message: "no", GasUsed: 777}, nil
			}
			return &runtime.Result{Code: runtime.CodeOK, GasUsed: 555, Writes: []runtime.Write{{Key: []byte("k"), Value: []byte(`"migrated"`)}}}, nil
		},
		"get": func(_ runtime.Env, _ []byte, st runtime.State) (*runtime.Result, error) {
			v, _, err := st.Get([]byte("k"))
			return &runtime.Result{Code: runtime.CodeOK, Return: v, GasUsed: 1}, err
		},
	})
	ch := newMockChain(t, enginetest.Loading(c))
	addr := ch.apply(ch.deploy()).ContractAddress
	rc := ch.apply(ch.call(addr, "who", 1_000_000))
	if got := string(rc.Return); got != `{"org":"dev","outsider":false,"roles":["admin","auditor","deployer"]}` {
		t.Fatalf("who = %s (%s %s)", got, rc.Status, rc.Message)
	}

	upgrade := func(args string) *block.Receipt {
		u := tx.Upgrade{From: ch.sender(), Nonce: ch.nonce, Contract: addr, MigrateArgs: []byte(args), GasLimit: block.DefaultBlockDeployGasLimit}
		ut, err := tx.SignUpgrade(u, fakeCodeV2, mockChainID, ch.key)
		if err != nil {
			t.Fatal(err)
		}
		ch.nonce++
		return ch.apply(ut)
	}
	intrinsic, _ := runtime.DeployGas(fakeCodeV2)
	if rc := upgrade(`{"fail":true}`); rc.Status != runtime.CodeError || rc.GasUsed != intrinsic+777 || len(rc.Writes) != 0 {
		t.Fatalf("failing migrate: %+v", rc)
	}
	if info, _ := ch.l.Contract(addr); info.CodeHash != crypto.Keccak256Hash(fakeCode) || len(info.Versions) != 1 {
		t.Fatalf("a failed upgrade changed the contract: %+v", info)
	}
	rc = upgrade(`{}`)
	if !rc.OK() || rc.GasUsed != intrinsic+555 || migrateCaller != runtime.Address(ch.sender()) {
		t.Fatalf("migrate: %+v caller %x", rc, migrateCaller)
	}
	if got := ch.get(addr); got != `"migrated"` {
		t.Fatalf("state after migrate: %s", got)
	}
	info, err := ch.l.Contract(addr)
	if err != nil || info.CodeHash != crypto.Keccak256Hash(fakeCodeV2) || len(info.Versions) != 2 || info.Versions[1].TxHash != rc.TxHash {
		t.Fatalf("upgraded contract %+v %v", info, err)
	}
}
