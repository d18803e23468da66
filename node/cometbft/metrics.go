package cometbft

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cometbft/cometbft/blocksync"
	cs "github.com/cometbft/cometbft/consensus"
	"github.com/cometbft/cometbft/mempool"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/proxy"
	sm "github.com/cometbft/cometbft/state"
	"github.com/cometbft/cometbft/statesync"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// ErrMetricsInUse is returned by Start when CometBFT's metrics cannot be
// registered because a node in this process registered them already.
//
// CometBFT builds its metrics with go-kit, which registers every collector
// in prometheus.DefaultRegisterer and panics on a second registration of a
// name; no option takes another Registerer. So at most one node per
// process, once per process, can turn its metrics on, and its collectors
// are read back from prometheus.DefaultGatherer, filtered to their
// namespace so that whatever else sits in the default registry is not
// served twice.
var ErrMetricsInUse = errors.New("cometbft metrics already registered in this process")

// metricsProvider hands NewNode its metrics and remembers a registration
// failure, which NewNode's provider signature cannot return.
type metricsProvider struct {
	namespace string
	err       error
}

func newMetricsProvider(namespace string) *metricsProvider {
	return &metricsProvider{namespace: namespace}
}

func (m *metricsProvider) provide(chainID string) (*cs.Metrics, *p2p.Metrics, *mempool.Metrics, *sm.Metrics, *proxy.Metrics, *blocksync.Metrics, *statesync.Metrics) {
	nop := func() (*cs.Metrics, *p2p.Metrics, *mempool.Metrics, *sm.Metrics, *proxy.Metrics, *blocksync.Metrics, *statesync.Metrics) {
		return cs.NopMetrics(), p2p.NopMetrics(), mempool.NopMetrics(), sm.NopMetrics(), proxy.NopMetrics(), blocksync.NopMetrics(), statesync.NopMetrics()
	}
	if m.namespace == "" {
		return nop()
	}
	var (
		csm  *cs.Metrics
		p2pm *p2p.Metrics
		mpm  *mempool.Metrics
		smm  *sm.Metrics
		pxm  *proxy.Metrics
		bsm  *blocksync.Metrics
		ssm  *statesync.Metrics
	)
	func() {
		defer func() {
			if r := recover(); r != nil {
				m.err = fmt.Errorf("%w: %v", ErrMetricsInUse, r)
			}
		}()
		ns, label := m.namespace, "chain_id"
		csm = cs.PrometheusMetrics(ns, label, chainID)
		p2pm = p2p.PrometheusMetrics(ns, label, chainID)
		mpm = mempool.PrometheusMetrics(ns, label, chainID)
		smm = sm.PrometheusMetrics(ns, label, chainID)
		pxm = proxy.PrometheusMetrics(ns, label, chainID)
		bsm = blocksync.PrometheusMetrics(ns, label, chainID)
		ssm = statesync.PrometheusMetrics(ns, label, chainID)
	}()
	if m.err != nil {
		return nop()
	}
	return csm, p2pm, mpm, smm, pxm, bsm, ssm
}

// gatherer returns CometBFT's families from the default registry, or nil
// when metrics are off.
func (m *metricsProvider) gatherer() prometheus.Gatherer {
	if m.namespace == "" || m.err != nil {
		return nil
	}
	prefix := m.namespace + "_"
	return prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		all, err := prometheus.DefaultGatherer.Gather()
		kept := all[:0]
		for _, f := range all {
			if strings.HasPrefix(f.GetName(), prefix) {
				kept = append(kept, f)
			}
		}
		return kept, err
	})
}
