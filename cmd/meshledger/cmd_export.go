package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ethereum/go-ethereum/common"
	"github.com/spf13/cobra"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/audit"
	"github.com/meshledger/meshledger/ledger/storage"
	"github.com/meshledger/meshledger/node"
)

// errNoChain reports a directory that holds no chain store.
var errNoChain = errors.New("no chain store")

func newExportCmd(a *app) *cobra.Command {
	var (
		dataDir  string
		from, to uint64
		out      string
	)
	cmd := &cobra.Command{
		Use:   "export --data-dir DIR -o FILE [--from H] [--to H]",
		Short: "Write a data directory's blocks as an export stream for audit and replay",
		Long: `Write blocks --from..--to of a data directory's chain (default: all of them)
as an export stream: the genesis, then every block with its signed header,
transactions, deployed code and stored receipts. 'meshledger replay' rebuilds
a fresh store from it and checks every block.

The store is opened read-only, but LevelDB admits one process at a time: stop
the node first (or export from a copy of its data directory). -o - writes the
stream to stdout and the summary to stderr.`,
		Example: `  meshledger export --data-dir ./data -o chain.export
  meshledger export --data-dir /var/lib/meshledger --to 5000 -o upto-5000.export
  meshledger export -o - | gzip > chain.export.gz`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return errors.New("-o FILE is required (- for stdout)")
			}
			ctx := cmd.Context()
			l, err := openSourceLedger(ctx, dataDir)
			if err != nil {
				return err
			}
			defer l.Close(context.WithoutCancel(ctx))
			tip := l.Latest().Header.Height
			if !cmd.Flags().Changed("to") {
				to = tip
			}
			switch {
			case tip == 0:
				return fmt.Errorf("nothing to export: the chain in %s has no block after genesis", dataDir)
			case from == 0:
				return errors.New("--from: blocks start at 1 (0 is the genesis, always included)")
			case to > tip:
				return fmt.Errorf("--to %d: the chain's latest block is %d", to, tip)
			case from > to:
				return fmt.Errorf("--from %d is after --to %d", from, to)
			}
			res, err := exportTo(ctx, l, out, a.stdout, from, to)
			if err != nil {
				return err
			}
			w := a.stdout
			if out == "-" {
				w = a.stderr
			}
			if a.jsonOut {
				return printJSON(w, res)
			}
			var k kv
			k.add("file", res.File)
			k.add("chain id", fmt.Sprint(res.ChainID))
			k.add("genesis", res.GenesisHash.Hex())
			k.add("blocks", fmt.Sprintf("%d..%d", res.From, res.To))
			k.add("last hash", res.Hash.Hex())
			k.add("state root", res.StateRoot.Hex())
			k.add("bytes", fmt.Sprint(res.Bytes))
			return k.print(w)
		},
	}
	f := cmd.Flags()
	f.StringVar(&dataDir, "data-dir", node.DefaultDataDir, "the node's data directory (or its chain/ store)")
	f.Uint64Var(&from, "from", 1, "first block to export")
	f.Uint64Var(&to, "to", 0, "last block to export (default: the latest)")
	f.StringVarP(&out, "output", "o", "", "file to write (- for stdout)")
	return cmd
}

// exportResult is the summary of an export, --json's output.
type exportResult struct {
	File        string      `json:"file"`
	ChainID     uint64      `json:"chainId"`
	GenesisHash common.Hash `json:"genesisHash"`
	From        uint64      `json:"from"`
	To          uint64      `json:"to"`
	Hash        common.Hash `json:"hash"`      // of block To
	StateRoot   common.Hash `json:"stateRoot"` // of block To
	Bytes       int64       `json:"bytes"`
}

// exportTo writes the stream to out ("-": stdout) through a temporary file
// renamed into place, so a failed or interrupted export never leaves a
// truncated stream that looks complete.
func exportTo(ctx context.Context, l *ledger.Ledger, out string, stdout io.Writer, from, to uint64) (*exportResult, error) {
	last, err := l.Header(to)
	if err != nil {
		return nil, err
	}
	res := &exportResult{
		File: out, ChainID: l.ChainID(), GenesisHash: l.Genesis().Hash(), From: from, To: to,
		Hash: last.Hash(), StateRoot: last.Header.StateRoot,
	}
	if out == "-" {
		cw := &countingWriter{w: stdout}
		if err := audit.Export(ctx, l, cw, from, to); err != nil {
			return nil, fmt.Errorf("export: %w", err)
		}
		res.Bytes = cw.n
		return res, nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	cw := &countingWriter{w: tmp}
	err = audit.Export(ctx, l, cw, from, to)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), out)
	}
	if err != nil {
		return nil, fmt.Errorf("export to %s: %w", out, err)
	}
	res.Bytes = cw.n
	return res, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// chainStoreDir finds the LevelDB store of a data directory: DIR/chain as
// the node lays it out, or DIR itself when it is a store.
func chainStoreDir(dataDir string) (string, error) {
	fi, err := os.Stat(dataDir)
	if err != nil {
		return "", fmt.Errorf("data dir: %w", err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("data dir %s: not a directory", dataDir)
	}
	for _, dir := range []string{filepath.Join(dataDir, node.ChainDir), dataDir} {
		if _, err := os.Stat(filepath.Join(dir, "CURRENT")); err == nil {
			return dir, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("data dir: %w", err)
		}
	}
	return "", fmt.Errorf("%w in %s (a node's data directory holds %s/)", errNoChain, dataDir, node.ChainDir)
}

// openSourceLedger opens a data directory's chain read-only. Read-only
// still takes LevelDB's directory lock (shared), so a running node, which
// holds it exclusively, keeps others out: say so plainly.
func openSourceLedger(ctx context.Context, dataDir string) (*ledger.Ledger, error) {
	dir, err := chainStoreDir(dataDir)
	if err != nil {
		return nil, err
	}
	l, err := ledger.Open(ctx, ledger.Config{Dir: dir, StorageOptions: storage.Options{ReadOnly: true}})
	if errors.Is(err, storage.ErrLocked) {
		return nil, fmt.Errorf("data dir %s is locked by a running node: stop the node first, or use a copy of the directory (a LevelDB store is open in one process at a time): %w", dataDir, err)
	}
	if err != nil {
		return nil, fmt.Errorf("data dir %s: %w", dataDir, err)
	}
	return l, nil
}
