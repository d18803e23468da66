package client

import (
	"encoding/json"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/tx"
)

func TestEncodeArgs(t *testing.T) {
	tests := []struct {
		name    string
		in      any
		want    string
		wantErr bool
	}{
		{name: "nil", in: nil, want: ""},
		{name: "raw", in: json.RawMessage(`{"a":1}`), want: `{"a":1}`},
		{name: "bytes", in: []byte(`[1,2]`), want: `[1,2]`},
		{name: "empty bytes", in: []byte{}, want: ""},
		{name: "value", in: map[string]int{"id": 3}, want: `{"id":3}`},
		{name: "string is a JSON string", in: "x", want: `"x"`},
		{name: "invalid raw", in: []byte(`{x`), wantErr: true},
		{name: "unmarshalable", in: func() {}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := encodeArgs(tt.in)
			if (err != nil) != tt.wantErr || string(got) != tt.want {
				t.Fatalf("encodeArgs = %q, %v; want %q, err %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestOpSign(t *testing.T) {
	k, _ := GenerateKey()
	contract := common.Address{9}
	tests := []struct {
		name    string
		op      Op
		gas     uint64
		wantGas uint64
	}{
		{"call takes the default", CallOp(contract, "pay", map[string]int{"amount": 1}), 1000, 1000},
		{"call with its own gas", CallOp(contract, "pay", nil).WithGas(77), 1000, 77},
		{"deploy gets at least the deploy default", DeployOp([]byte("\x00asm"), "x", nil), 1000, DefaultDeployGasLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			signed, err := tt.op.Sign(k, 1337, 5, tt.gas)
			if err != nil {
				t.Fatal(err)
			}
			m := signed.Message()
			if m.Gas() != tt.wantGas || m.AccountNonce() != 5 || m.Sender() != k.Address() || signed.ChainID() != 1337 {
				t.Fatalf("signed %+v", m)
			}
			if from, err := signed.Verify(1337); err != nil || from != k.Address() {
				t.Fatalf("Verify = %s, %v", from, err)
			}
		})
	}
	if _, err := CallOp(contract, "m", []byte("{x")).Sign(k, 1, 0, 1); err == nil {
		t.Fatal("invalid args signed")
	}
	if _, err := (Op{}).Sign(k, 1, 0, 1); err == nil {
		t.Fatal("empty op signed")
	}
	var _ *tx.Tx // the Sign result type is ledger/tx's
}

func TestReceiptError(t *testing.T) {
	if ReceiptError(nil) != nil {
		t.Fatal("nil record")
	}
	e := &CallFailedError{Status: "error", Message: "m"}
	if e.Error() != "call failed: error: m" {
		t.Fatal(e.Error())
	}
}
