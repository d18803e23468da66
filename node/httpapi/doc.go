// Package httpapi is the node's HTTP API v1, served with Echo: JSON
// request/response types from sdk/api, Server-Sent Events, Prometheus
// metrics and an OpenAPI 3 document generated from the same route table
// that registers the handlers.
//
// Guarantees: every route is under /v1 (plus /healthz, /metrics,
// /openapi.json) and listed in the OpenAPI document; every error response
// is {"error":{"code":...,"message":...}} with a code from sdk/api, decided
// in one place (errors.go) from typed errors; every request body, batch,
// wait, stream and query is bounded by Config. Only /healthz, GET
// /v1/chain, /openapi.json, /metrics and transaction submission are
// served without a read session; every other route first authenticates
// the reader by its signed session (SessionAuthWithConfig, 401) and
// refuses readers outside every organisation (403 not_a_member).
//
// Who may read what is decided by the ledger (Ledger.CanReadKey,
// CanReadTx, SeesEvent, QueryAs with the reader as caller), the same way
// on every node; the API asks before it reads and answers a refusal with
// 403 forbidden and nothing more, or, for a transaction, exactly as if it
// did not exist.
//
// Handlers translate between HTTP and the node: they never decide validity
// themselves and never write to the ledger. The package depends on the
// ledger only through the Ledger interface, which lists exactly the methods
// it calls. It must never bind an address itself: the caller owns the
// listener.
package httpapi
