package cometbft_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/types"

	"github.com/meshledger/meshledger/node/cometbft"
)

// key returns a fixed public key, so that genesis bytes are comparable.
func key(seed string) ed25519.PubKey {
	return ed25519.GenPrivKeyFromSecret([]byte(seed)).PubKey().(ed25519.PubKey)
}

func validGenesis() cometbft.GenesisParams {
	return cometbft.GenesisParams{
		ChainID:     "meshledger-1",
		GenesisTime: genesisTime,
		Validators: []cometbft.Validator{
			{Name: "org1", PubKey: key("org1"), Power: 10},
			{Name: "org2", PubKey: key("org2"), Power: 10},
		},
	}
}

func TestNewGenesisDoc(t *testing.T) {
	doc, err := cometbft.NewGenesisDoc(validGenesis())
	if err != nil {
		t.Fatalf("NewGenesisDoc: %v", err)
	}
	if doc.ChainID != "meshledger-1" || !doc.GenesisTime.Equal(genesisTime) || doc.InitialHeight != 1 || len(doc.AppHash) != 0 {
		t.Fatalf("doc = %+v", doc)
	}
	cp := doc.ConsensusParams
	if cp.Block.MaxBytes != cometbft.DefaultBlockMaxBytes || cp.Block.MaxGas != -1 {
		t.Errorf("block params %+v", cp.Block)
	}
	if len(cp.Validator.PubKeyTypes) != 1 || cp.Validator.PubKeyTypes[0] != types.ABCIPubKeyTypeEd25519 {
		t.Errorf("validator key types %v", cp.Validator.PubKeyTypes)
	}
	if len(doc.Validators) != 2 || doc.Validators[1].Name != "org2" || !bytes.Equal(doc.Validators[1].Address, key("org2").Address()) {
		t.Errorf("validators %+v", doc.Validators)
	}

	p := validGenesis()
	p.BlockMaxBytes, p.BlockMaxGas, p.AppVersion = 1<<20, 5_000_000, 3
	p.AppState = []byte(`{"ledger":"genesis"}`)
	// A time in another zone is the same instant; the file is in UTC.
	p.GenesisTime = genesisTime.In(time.FixedZone("X", 3600))
	doc, err = cometbft.NewGenesisDoc(p)
	if err != nil {
		t.Fatal(err)
	}
	if doc.ConsensusParams.Block.MaxBytes != 1<<20 || doc.ConsensusParams.Block.MaxGas != 5_000_000 || doc.ConsensusParams.Version.App != 3 {
		t.Errorf("params not applied: %+v", doc.ConsensusParams)
	}
	if string(doc.AppState) != `{"ledger":"genesis"}` {
		t.Errorf("app state %s", doc.AppState)
	}
	if doc.GenesisTime.Location() != time.UTC {
		t.Errorf("genesis time in %v", doc.GenesisTime.Location())
	}
}

func TestNewGenesisDocRefuses(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*cometbft.GenesisParams)
		want   string
	}{
		{"no chain id", func(p *cometbft.GenesisParams) { p.ChainID = " " }, "chain id is empty"},
		{"chain id too long", func(p *cometbft.GenesisParams) { p.ChainID = strings.Repeat("c", 51) }, "chain_id"},
		{"no genesis time", func(p *cometbft.GenesisParams) { p.GenesisTime = time.Time{} }, "genesis time is not set"},
		{"no validators", func(p *cometbft.GenesisParams) { p.Validators = nil }, "no validators"},
		{"short key", func(p *cometbft.GenesisParams) { p.Validators[0].PubKey = p.Validators[0].PubKey[:31] }, "public key is 31 bytes"},
		{"zero power", func(p *cometbft.GenesisParams) { p.Validators[1].Power = 0 }, "power 0 is not positive"},
		{"same key twice", func(p *cometbft.GenesisParams) { p.Validators[1].PubKey = p.Validators[0].PubKey }, "has the key of validator 0"},
		{"negative block bytes", func(p *cometbft.GenesisParams) { p.BlockMaxBytes = -2 }, "block max bytes -2"},
		{"negative block gas", func(p *cometbft.GenesisParams) { p.BlockMaxGas = -2 }, "block max gas -2"},
		{"app state not json", func(p *cometbft.GenesisParams) { p.AppState = []byte("{") }, "app state is not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := validGenesis()
			p.Validators = append([]cometbft.Validator(nil), p.Validators...)
			tt.mutate(&p)
			_, err := cometbft.NewGenesisDoc(p)
			if !errors.Is(err, cometbft.ErrInvalidGenesis) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewGenesisDoc: %v, want ErrInvalidGenesis naming %q", err, tt.want)
			}
			dir := t.TempDir()
			if _, err := cometbft.WriteGenesis(dir, p); !errors.Is(err, cometbft.ErrInvalidGenesis) {
				t.Fatalf("WriteGenesis: %v", err)
			}
			if _, err := os.Stat(filepath.Join(dir, "config", "genesis.json")); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("a refused genesis was written: %v", err)
			}
		})
	}
}

// Every home of a network must hold the same bytes, whoever writes them.
func TestWriteGenesisIsDeterministic(t *testing.T) {
	var files [][]byte
	for range 2 {
		dir := t.TempDir()
		if _, err := cometbft.WriteGenesis(dir, validGenesis()); err != nil {
			t.Fatalf("WriteGenesis: %v", err)
		}
		b, err := os.ReadFile(filepath.Join(dir, "config", "genesis.json"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, b)
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Fatalf("two writes differ:\n%s\n%s", files[0], files[1])
	}
	doc, err := types.GenesisDocFromJSON(files[0])
	if err != nil {
		t.Fatalf("CometBFT cannot read the file: %v", err)
	}
	if doc.ChainID != "meshledger-1" || len(doc.Validators) != 2 {
		t.Fatalf("read back %+v", doc)
	}
}
