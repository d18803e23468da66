package audit

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/ethereum/go-ethereum/rlp"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/tx"
)

// ExportMagic starts every export stream; the trailing digit is the format
// version.
const ExportMagic = "meshledger-export/1\n"

// MaxExportRecord bounds one record of an export stream, so a corrupt or
// hostile length prefix cannot exhaust memory.
const MaxExportRecord = 1 << 30

// ErrBadExport reports an export stream that cannot be read.
var ErrBadExport = errors.New("bad export stream")

// exportBlock is one block record: RLP([signed header, [[tx body,
// carried code?, code]...], [receipt...]]).
type exportBlock struct {
	Header   block.SignedHeader
	Txs      []exportTx
	Receipts [][]byte
}

type exportTx struct {
	Body    []byte
	Carried bool
	Code    []byte
}

// ExportSource is what an export reads: *ledger.Ledger, or the node API's
// view of it. Blocks must yield committed blocks only.
type ExportSource interface {
	Latest() *block.SignedHeader
	Genesis() *block.Genesis
	Blocks(from, to uint64) ledger.BlockSource
}

// Export writes blocks from..to (inclusive, from >= 1) of l as a stream:
// ExportMagic, then records each prefixed by its uvarint length — first
// the genesis JSON, then one RLP exportBlock per block. A fresh store
// replays it with ReadExport and Replay.
func Export(ctx context.Context, l ExportSource, w io.Writer, from, to uint64) error {
	if from == 0 || from > to || to > l.Latest().Header.Height {
		return fmt.Errorf("%w: export %d..%d of a chain at %d", ledger.ErrBadRequest, from, to, l.Latest().Header.Height)
	}
	return ExportRange(ctx, l, w, from, to)
}

// ExportRange is Export that also accepts the empty range from = to+1: a
// stream of the genesis record alone, which tells a remote auditor already
// at the tip (or auditing an empty chain) which chain it is reading.
// Memory is one block at a time; no lock is held between blocks.
func ExportRange(ctx context.Context, l ExportSource, w io.Writer, from, to uint64) error {
	if latest := l.Latest().Header.Height; from == 0 || from > to+1 || to > latest {
		return fmt.Errorf("%w: export %d..%d of a chain at %d", ledger.ErrBadRequest, from, to, latest)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	if _, err := bw.WriteString(ExportMagic); err != nil {
		return err
	}
	doc, err := json.Marshal(l.Genesis())
	if err != nil {
		return fmt.Errorf("audit: encode genesis: %w", err)
	}
	if err := writeRecord(bw, doc); err != nil {
		return err
	}
	if from > to {
		return bw.Flush()
	}
	src := l.Blocks(from, to)
	for {
		sb, err := src.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		eb := exportBlock{Header: *sb.Header}
		for _, t := range sb.Txs {
			body, err := t.MarshalBinary()
			if err != nil {
				return err
			}
			eb.Txs = append(eb.Txs, exportTx{Body: body, Carried: t.Code() != nil, Code: t.Code()})
		}
		if eb.Receipts, err = block.EncodeReceipts(sb.Receipts); err != nil {
			return err
		}
		rec, err := rlp.EncodeToBytes(&eb)
		if err != nil {
			return fmt.Errorf("audit: encode block %d: %w", sb.Header.Header.Height, err)
		}
		if err := writeRecord(bw, rec); err != nil {
			return err
		}
	}
	return bw.Flush()
}

func writeRecord(w *bufio.Writer, b []byte) error {
	var n [binary.MaxVarintLen64]byte
	if _, err := w.Write(n[:binary.PutUvarint(n[:], uint64(len(b)))]); err != nil {
		return err
	}
	_, err := w.Write(b)
	return err
}

// ExportReader reads an export stream; it is a ledger.BlockSource.
type ExportReader struct {
	r       *bufio.Reader
	genesis *block.Genesis
	limits  tx.Limits
}

// ReadExport starts reading an export stream and parses its genesis.
// Transactions are decoded with lim (zero: tx defaults).
func ReadExport(r io.Reader, lim tx.Limits) (*ExportReader, error) {
	er := &ExportReader{r: bufio.NewReader(r), limits: lim}
	magic := make([]byte, len(ExportMagic))
	if _, err := io.ReadFull(er.r, magic); err != nil || string(magic) != ExportMagic {
		return nil, fmt.Errorf("%w: missing header", ErrBadExport)
	}
	doc, err := er.record()
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = fmt.Errorf("%w: missing genesis", ErrBadExport)
		}
		return nil, err
	}
	if er.genesis, err = block.ParseGenesis(doc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadExport, err)
	}
	return er, nil
}

// Genesis is the genesis of the exported chain.
func (er *ExportReader) Genesis() *block.Genesis { return er.genesis }

func (er *ExportReader) record() ([]byte, error) {
	n, err := binary.ReadUvarint(er.r)
	if errors.Is(err, io.EOF) {
		return nil, io.EOF
	}
	if err != nil {
		return nil, fmt.Errorf("%w: record length: %w", ErrBadExport, err)
	}
	if n > MaxExportRecord {
		return nil, fmt.Errorf("%w: record of %d bytes", ErrBadExport, n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(er.r, b); err != nil {
		// Both wrapped: a reader tells a cut connection (io.ErrUnexpectedEOF,
		// a network error) from a record that is there but malformed.
		return nil, fmt.Errorf("%w: truncated record: %w", ErrBadExport, err)
	}
	return b, nil
}

// Next returns the next block, or io.EOF at the end of the stream.
func (er *ExportReader) Next(ctx context.Context) (*ledger.SourceBlock, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rec, err := er.record()
	if err != nil {
		return nil, err
	}
	var eb exportBlock
	if err := rlp.DecodeBytes(rec, &eb); err != nil {
		return nil, fmt.Errorf("%w: block: %v", ErrBadExport, err)
	}
	sb := &ledger.SourceBlock{Header: &eb.Header, Receipts: []*block.Receipt{}}
	for i, et := range eb.Txs {
		t, err := tx.DecodeRLP(et.Body, er.limits)
		if err != nil {
			return nil, fmt.Errorf("%w: block %d tx %d: %v", ErrBadExport, eb.Header.Header.Height, i, err)
		}
		if et.Carried {
			code := et.Code
			if code == nil {
				code = []byte{}
			}
			if t, err = t.WithCode(code); err != nil {
				return nil, fmt.Errorf("%w: block %d tx %d: %v", ErrBadExport, eb.Header.Header.Height, i, err)
			}
		}
		sb.Txs = append(sb.Txs, t)
	}
	for i, b := range eb.Receipts {
		r, err := block.DecodeReceipt(b)
		if err != nil {
			return nil, fmt.Errorf("%w: block %d receipt %d: %v", ErrBadExport, eb.Header.Header.Height, i, err)
		}
		sb.Receipts = append(sb.Receipts, r)
	}
	return sb, nil
}
