package ledger

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
)

// Errors of the history log's proofs. Both wrap a general class (errors.Is
// ErrNotFound, ErrBadRequest) that callers already map, and are sentinels
// of their own for callers that branch on them.
var (
	// ErrLogSizeUnavailable: a log size past the latest header's. Only the
	// logs some header commits can be proved against (sizes 0..latest
	// height); the next block's header will commit the next.
	ErrLogSizeUnavailable = fmt.Errorf("%w: log size past the latest header", ErrNotFound)
	// ErrLogBadRange: a block not inside the log asked about (height ≥
	// size), or a consistency proof from a larger log to a smaller one.
	ErrLogBadRange = fmt.Errorf("%w: log range", ErrBadRequest)
)

// LogInclusion proves that the block at Height, whose header hashes to
// BlockHash, is leaf Height of the history log of Size blocks, whose root
// the header at height Size commits as LogRoot.
type LogInclusion struct {
	Height    uint64
	BlockHash common.Hash
	Size      uint64
	Root      common.Hash
	Hashes    []common.Hash // RFC 6962 audit path, leaf to root
}

// LogConsistency proves that the history log of To blocks extends the log
// of From blocks.
type LogConsistency struct {
	From, To         uint64
	FromRoot, ToRoot common.Hash
	Hashes           []common.Hash
}

// LogInclusion proves the block at height is in the log of size blocks
// (height < size ≤ latest height).
func (l *Ledger) LogInclusion(height, size uint64) (*LogInclusion, error) {
	if err := l.checkOpen(); err != nil {
		return nil, err
	}
	latest := l.latest.Load().Header.Height
	switch {
	case size > latest:
		return nil, fmt.Errorf("%w: size %d, latest header %d commits size %d", ErrLogSizeUnavailable, size, latest, latest)
	case height >= size:
		return nil, fmt.Errorf("%w: block %d is not in the log of %d blocks (heights 0..%d)", ErrLogBadRange, height, size, int64(size)-1)
	}
	sh, err := l.readHeader(height)
	if err != nil {
		return nil, fmt.Errorf("ledger: log inclusion of block %d: %w", height, err)
	}
	root, err := l.log.Root(size)
	if err != nil {
		return nil, fmt.Errorf("ledger: log root of size %d: %w", size, err)
	}
	path, err := l.log.InclusionProof(height, size)
	if err != nil {
		return nil, fmt.Errorf("ledger: log inclusion of block %d: %w", height, err)
	}
	return &LogInclusion{Height: height, BlockHash: sh.Hash(), Size: size, Root: root, Hashes: path}, nil
}

// LogConsistency proves the log of to blocks extends the log of from
// blocks (from ≤ to ≤ latest height).
func (l *Ledger) LogConsistency(from, to uint64) (*LogConsistency, error) {
	if err := l.checkOpen(); err != nil {
		return nil, err
	}
	latest := l.latest.Load().Header.Height
	switch {
	case to > latest:
		return nil, fmt.Errorf("%w: size %d, latest header %d commits size %d", ErrLogSizeUnavailable, to, latest, latest)
	case from > to:
		return nil, fmt.Errorf("%w: from %d is past to %d", ErrLogBadRange, from, to)
	}
	fromRoot, err := l.log.Root(from)
	if err != nil {
		return nil, fmt.Errorf("ledger: log root of size %d: %w", from, err)
	}
	toRoot, err := l.log.Root(to)
	if err != nil {
		return nil, fmt.Errorf("ledger: log root of size %d: %w", to, err)
	}
	path, err := l.log.ConsistencyProof(from, to)
	if err != nil {
		return nil, fmt.Errorf("ledger: log consistency of %d with %d: %w", from, to, err)
	}
	return &LogConsistency{From: from, To: to, FromRoot: fromRoot, ToRoot: toRoot, Hashes: path}, nil
}
