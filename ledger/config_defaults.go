package ledger

import (
	"errors"
	"fmt"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/tx"
)

// DefaultConfig returns the ledger's defaults, every bound set: the one
// place they are gathered (each is written once, beside what it bounds).
// Dir or Store, Genesis, the engine and the store's options are the
// caller's; BlockGasLimit 0 keeps the genesis limit and RecoverWorkers 0
// sizes recovery to the machine.
func DefaultConfig() Config {
	return Config{
		TxGasCap:            block.DefaultTxGasCap,
		BlockDeployGasLimit: block.DefaultBlockDeployGasLimit,
		TxLimits:            tx.DefaultLimits(),
		QueryGasCap:         DefaultQueryGasCap,
		QueryScanLimit:      DefaultQueryScanLimit,
	}
}

// WithDefaults returns c as Open runs it: each zero bound takes its
// DefaultConfig value, TxLimits' fields included. It never fails: a
// negative value, which Validate rejects, is treated as unset.
func (c Config) WithDefaults() Config {
	d := DefaultConfig()
	if c.TxGasCap == 0 {
		c.TxGasCap = d.TxGasCap
	}
	if c.BlockDeployGasLimit == 0 {
		c.BlockDeployGasLimit = d.BlockDeployGasLimit
	}
	if c.QueryGasCap == 0 {
		c.QueryGasCap = d.QueryGasCap
	}
	if c.QueryScanLimit <= 0 {
		c.QueryScanLimit = d.QueryScanLimit
	}
	l := &c.TxLimits
	if l.MaxEnvelopeBytes <= 0 {
		l.MaxEnvelopeBytes = d.TxLimits.MaxEnvelopeBytes
	}
	if l.MaxCodeBytes <= 0 {
		l.MaxCodeBytes = d.TxLimits.MaxCodeBytes
	}
	if l.MaxArgsBytes <= 0 {
		l.MaxArgsBytes = d.TxLimits.MaxArgsBytes
	}
	if l.MaxNameBytes <= 0 {
		l.MaxNameBytes = d.TxLimits.MaxNameBytes
	}
	return c
}

// ErrBadConfig reports a Config that no default can mend.
var ErrBadConfig = errors.New("ledger: bad config")

// Validate reports every bound of c that cannot hold: a negative scan limit
// or transaction size limit. Zero is valid everywhere (the default); where
// the data lives (Dir or Store) and the genesis are checked by Open.
func (c Config) Validate() error {
	var errs []error
	for _, f := range []struct {
		name string
		v    int
	}{
		{"QueryScanLimit", c.QueryScanLimit},
		{"TxLimits.MaxEnvelopeBytes", c.TxLimits.MaxEnvelopeBytes},
		{"TxLimits.MaxCodeBytes", c.TxLimits.MaxCodeBytes},
		{"TxLimits.MaxArgsBytes", c.TxLimits.MaxArgsBytes},
		{"TxLimits.MaxNameBytes", c.TxLimits.MaxNameBytes},
	} {
		if f.v < 0 {
			errs = append(errs, fmt.Errorf("%w: %s is %d; it must not be negative (zero means the default)", ErrBadConfig, f.name, f.v))
		}
	}
	return errors.Join(errs...)
}
