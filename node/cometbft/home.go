package cometbft

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"

	cfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/crypto"
	"github.com/cometbft/cometbft/crypto/ed25519"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/spf13/viper"
)

// HomeInfo describes a home InitHome wrote: what a peer needs to dial it and
// what a genesis needs to make it a validator.
type HomeInfo struct {
	// Dir is the home directory.
	Dir string
	// Moniker is the node's name.
	Moniker string
	// NodeID identifies the node on the P2P network (from node_key.json).
	NodeID p2p.ID
	// P2PAddr is host:port peers dial (ExternalHost if set, else
	// ListenHost).
	P2PAddr string
	// RPCAddr is host:port of CometBFT's RPC, empty when it is off.
	RPCAddr string
	// PubKey is the validator's consensus key (priv_validator_key.json).
	PubKey ed25519.PubKey
	// Address is the validator address CometBFT derives from PubKey.
	Address crypto.Address
}

// Peer returns the home as a persistent peer of another node.
func (h HomeInfo) Peer() Peer {
	host, port, _ := net.SplitHostPort(h.P2PAddr)
	p, _ := strconv.Atoi(port)
	return Peer{ID: h.NodeID, Host: host, Port: p}
}

// Validator returns the home's key as a genesis validator with power.
func (h HomeInfo) Validator(power int64) Validator {
	return Validator{Name: h.Moniker, PubKey: h.PubKey, Power: power}
}

// ErrBadHome is wrapped by errors about a home's key or state files that
// exist but cannot be used.
var ErrBadHome = errors.New("unusable cometbft home")

// InitHome writes a CometBFT home in dir: config/config.toml from opts,
// config/node_key.json, config/priv_validator_key.json and
// data/priv_validator_state.json. It is idempotent: keys and the signing
// state of an existing home are kept (a fresh signing state would let the
// validator sign twice at a height it already signed), while config.toml is
// rewritten from opts each time, so hand edits to it do not survive.
// genesis.json is WriteGenesis's.
func InitHome(dir string, opts HomeOptions) (*HomeInfo, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.WithDefaults()
	conf := cometConfig(dir, opts)
	for _, d := range []string{filepath.Dir(conf.NodeKeyFile()), filepath.Dir(conf.PrivValidatorStateFile())} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("cometbft home %s: %w", dir, err)
		}
	}

	nodeKey, err := loadOrGenNodeKey(conf.NodeKeyFile())
	if err != nil {
		return nil, err
	}
	pvKey, err := loadOrGenValidatorKey(conf.PrivValidatorKeyFile())
	if err != nil {
		return nil, err
	}
	if err := ensureSignState(conf.PrivValidatorStateFile()); err != nil {
		return nil, err
	}
	if err := writeConfig(conf); err != nil {
		return nil, err
	}

	p2pHost := opts.ListenHost
	if opts.ExternalHost != "" {
		p2pHost = opts.ExternalHost
	}
	info := &HomeInfo{
		Dir:     dir,
		Moniker: conf.Moniker,
		NodeID:  nodeKey.ID(),
		P2PAddr: net.JoinHostPort(p2pHost, strconv.Itoa(opts.P2PPort)),
		PubKey:  pvKey.PubKey.(ed25519.PubKey),
		Address: pvKey.Address,
	}
	if opts.RPCPort != 0 {
		info.RPCAddr = net.JoinHostPort(opts.ListenHost, strconv.Itoa(opts.RPCPort))
	}
	return info, nil
}

func loadOrGenNodeKey(path string) (*p2p.NodeKey, error) {
	exists, err := fileExists(path)
	if err != nil {
		return nil, err
	}
	if exists {
		k, err := p2p.LoadNodeKey(path)
		if err != nil {
			return nil, fmt.Errorf("%w: node key %s: %v", ErrBadHome, path, err)
		}
		if _, ok := k.PrivKey.(ed25519.PrivKey); !ok {
			return nil, fmt.Errorf("%w: node key %s is not ed25519", ErrBadHome, path)
		}
		return k, nil
	}
	k := &p2p.NodeKey{PrivKey: ed25519.GenPrivKey()}
	if err := k.SaveAs(path); err != nil {
		return nil, fmt.Errorf("write node key: %w", err)
	}
	return k, nil
}

// loadOrGenValidatorKey reads and checks the key file itself, because
// privval's own loader ends the process on a bad file.
func loadOrGenValidatorKey(path string) (*privval.FilePVKey, error) {
	exists, err := fileExists(path)
	if err != nil {
		return nil, err
	}
	if exists {
		return readValidatorKey(path)
	}
	priv := ed25519.GenPrivKey()
	k := &privval.FilePVKey{Address: priv.PubKey().Address(), PubKey: priv.PubKey(), PrivKey: priv}
	b, err := cmtjson.MarshalIndent(k, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode validator key: %w", err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, fmt.Errorf("write validator key: %w", err)
	}
	return k, nil
}

func readValidatorKey(path string) (*privval.FilePVKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read validator key: %w", err)
	}
	var k privval.FilePVKey
	if err := cmtjson.Unmarshal(b, &k); err != nil {
		return nil, fmt.Errorf("%w: validator key %s: %v", ErrBadHome, path, err)
	}
	priv, ok := k.PrivKey.(ed25519.PrivKey)
	if !ok || len(priv) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: validator key %s holds no ed25519 private key", ErrBadHome, path)
	}
	// The file's public key and address are conveniences; the private key
	// decides, as privval's loader does.
	k.PubKey = priv.PubKey()
	k.Address = k.PubKey.Address()
	return &k, nil
}

// ensureSignState writes an empty signing state unless one exists, and
// checks an existing one parses.
func ensureSignState(path string) error {
	exists, err := fileExists(path)
	if err != nil {
		return err
	}
	if exists {
		_, err := readSignState(path)
		return err
	}
	b, err := cmtjson.MarshalIndent(&privval.FilePVLastSignState{}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode validator state: %w", err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return fmt.Errorf("write validator state: %w", err)
	}
	return nil
}

func readSignState(path string) (*privval.FilePVLastSignState, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read validator state: %w", err)
	}
	var s privval.FilePVLastSignState
	if err := cmtjson.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%w: validator state %s: %v", ErrBadHome, path, err)
	}
	return &s, nil
}

// loadFilePV checks both files before handing them to privval, whose loader
// calls os.Exit on any error.
func loadFilePV(conf *cfg.Config) (*privval.FilePV, error) {
	if _, err := readValidatorKey(conf.PrivValidatorKeyFile()); err != nil {
		return nil, err
	}
	if _, err := readSignState(conf.PrivValidatorStateFile()); err != nil {
		return nil, err
	}
	return privval.LoadFilePV(conf.PrivValidatorKeyFile(), conf.PrivValidatorStateFile()), nil
}

// writeConfig renders config.toml with CometBFT's own template, so that the
// file documents every setting as `cometbft init` would. The template writer
// ends the process when it cannot write, so the file is first written here,
// where a failure is an error.
func writeConfig(conf *cfg.Config) error {
	path := configFile(conf.RootDir)
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		return fmt.Errorf("write cometbft config: %w", err)
	}
	cfg.WriteConfigFile(path, conf)
	return nil
}

func configFile(home string) string {
	return filepath.Join(home, cfg.DefaultConfigDir, cfg.DefaultConfigFileName)
}

// LoadConfig reads a home's config.toml the way the cometbft command does:
// CometBFT's defaults, overlaid with the file.
func LoadConfig(home string) (*cfg.Config, error) {
	v := viper.New()
	v.SetConfigFile(configFile(home))
	if err := v.ReadInConfig(); err != nil {
		return nil, fmt.Errorf("read cometbft config in %s: %w", home, err)
	}
	conf := cfg.DefaultConfig()
	if err := v.Unmarshal(conf); err != nil {
		return nil, fmt.Errorf("%w: config %s: %v", ErrBadHome, configFile(home), err)
	}
	conf.SetRoot(home)
	if err := conf.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("%w: config %s: %v", ErrBadHome, configFile(home), err)
	}
	return conf, nil
}

func fileExists(path string) (bool, error) {
	_, err := os.Stat(path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	default:
		return false, fmt.Errorf("cometbft home: %w", err)
	}
}
