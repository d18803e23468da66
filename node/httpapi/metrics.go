package httpapi

import (
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// httpMetrics are the API's own metrics. Node-level metrics (admission,
// blocks) are registered by the node on the same registry.
type httpMetrics struct {
	reg      *prometheus.Registry
	duration *prometheus.HistogramVec
	inflight prometheus.Gauge
	streams  prometheus.Gauge
	waits    prometheus.Gauge
	sessions *prometheus.CounterVec
}

func newHTTPMetrics(reg *prometheus.Registry) (*httpMetrics, error) {
	m := &httpMetrics{
		reg: reg,
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "meshledger_http_request_duration_seconds",
			Help:    "HTTP request latency by route (the registered path pattern), method and status.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "method", "status"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "meshledger_http_requests_in_flight",
			Help: "HTTP requests being served.",
		}),
		streams: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "meshledger_http_event_streams",
			Help: "Open GET /v1/events streams.",
		}),
		waits: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "meshledger_http_tx_waits",
			Help: "POST /v1/txs?wait=true requests waiting for their block.",
		}),
		sessions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "meshledger_http_session_checks_total",
			Help: "Read sessions checked, by how: verified (a signature recovery) or cached (a session verified before).",
		}, []string{"how"}),
	}
	for _, c := range []prometheus.Collector{m.duration, m.inflight, m.streams, m.waits, m.sessions} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// middleware records latency by route pattern, never by raw path, so that
// the label set stays bounded.
func (m *httpMetrics) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		m.inflight.Inc()
		err := next(c)
		m.inflight.Dec()
		if err != nil {
			// Let the central handler write the response now, so the
			// status recorded is the one the client gets.
			c.Error(err)
		}
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		status := strconv.Itoa(c.Response().Status)
		m.duration.WithLabelValues(route, c.Request().Method, status).Observe(time.Since(start).Seconds())
		return nil
	}
}

// observeSession counts a session check.
func (m *httpMetrics) observeSession(cached bool) {
	how := "verified"
	if cached {
		how = "cached"
	}
	m.sessions.WithLabelValues(how).Inc()
}

func (s *Server) handleMetrics(c echo.Context) error {
	var g prometheus.Gatherer = s.metrics.reg
	if extra := s.extraGatherers.Load(); extra != nil {
		g = append(prometheus.Gatherers{s.metrics.reg}, *extra...)
	}
	promhttp.HandlerFor(g, promhttp.HandlerOpts{Registry: s.metrics.reg}).ServeHTTP(c.Response(), c.Request())
	return nil
}

// AddGatherer serves g's metrics at /metrics beside the node's own: the
// consensus engine's, which start after the API is built. Metric names
// must not collide with the node's (the engine's carry their own
// namespace).
func (s *Server) AddGatherer(g prometheus.Gatherer) {
	s.gathererMu.Lock()
	defer s.gathererMu.Unlock()
	var next prometheus.Gatherers
	if cur := s.extraGatherers.Load(); cur != nil {
		next = append(next, *cur...)
	}
	next = append(next, g)
	s.extraGatherers.Store(&next)
}
