package api

import "net/url"

// Paths of API v1, for clients building URLs. Path parameters are written
// with PathEscape (contract keys are arbitrary bytes: clients should prefer
// the key_hex query parameter for keys that are not UTF-8 text).
const (
	PathChain     = "/v1/chain"
	PathAccounts  = "/v1/accounts/" // + address
	PathTxs       = "/v1/txs"       // POST; GET PathTxs + "/" + hash
	PathTxsBatch  = "/v1/txs/batch" // POST
	PathBlocks    = "/v1/blocks/"   // + "latest" or a height
	PathContracts = "/v1/contracts" // GET; + "/" + address [+ "/state/" + key | "/history/" + key | "/query"]
	PathEvents    = "/v1/events"    // Server-Sent Events
	PathHealth    = "/healthz"
	PathMetrics   = "/metrics"
	PathOpenAPI   = "/openapi.json"
)

// Query parameters.
const (
	ParamWait       = "wait"        // POST /v1/txs?wait=true
	ParamTimeout    = "timeout"     // Go duration or seconds, with wait=true
	ParamHeight     = "height"      // state at a height
	ParamKeyHex     = "key_hex"     // the state key as 0x-hex, instead of the path segment
	ParamCursor     = "cursor"      // history and contract list pagination
	ParamLimit      = "limit"       // history and contract list pagination
	ParamFromHeight = "from_height" // events: first block to send
	ParamContract   = "contract"    // events: only this contract's events
)

// HeaderLastEventID is the SSE resume header; its value is an EventID.
const HeaderLastEventID = "Last-Event-ID"

// StatePath is the path of a contract key's value. The key travels in the
// path, escaped.
func StatePath(contract, key string) string {
	return PathContracts + "/" + contract + "/state/" + url.PathEscape(key)
}

// HistoryPath is the path of a contract key's lineage.
func HistoryPath(contract, key string) string {
	return PathContracts + "/" + contract + "/history/" + url.PathEscape(key)
}
