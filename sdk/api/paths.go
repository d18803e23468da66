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
	PathContracts = "/v1/contracts" // GET; + "/" + address [+ "/state/" + key | "/history/" + key | "/query" | "/manifest" | "/openapi.json" | "/methods/" + method]
	PathEvents    = "/v1/events"    // Server-Sent Events
	PathHealth    = "/healthz"
	PathMetrics   = "/metrics"
	PathOpenAPI   = "/openapi.json"
	PathOrgs      = "/v1/orgs"      // GET; + "/" + id
	PathMembers   = "/v1/members/"  // + address
	PathProposals = "/v1/proposals" // GET; + "/" + id
	PathPolicy    = "/v1/policy"
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
	ParamStatus     = "status"      // proposals: only those with this status
)

// HeaderLastEventID is the SSE resume header; its value is an EventID.
const HeaderLastEventID = "Last-Event-ID"

// Authentication. Reads other than the anonymous routes need
//
//	Authorization: MeshSession <signed ReadSession>
//
// where the value after the scheme is what the reader's signed session
// encodes to (ledger/tx: SignedSession.Header gives the whole value). A
// 401 carries WWW-Authenticate: MeshSession.
const (
	HeaderAuthorization   = "Authorization"
	HeaderWWWAuthenticate = "WWW-Authenticate"
	SessionScheme         = "MeshSession"
	// SessionType is the EIP-712 primary type of a read session, in the
	// types GET /v1/chain serves.
	SessionType = "ReadSession"
)

// StatePath is the path of a contract key's value. The key travels in the
// path, escaped.
func StatePath(contract, key string) string {
	return PathContracts + "/" + contract + "/state/" + url.PathEscape(key)
}

// HistoryPath is the path of a contract key's lineage.
func HistoryPath(contract, key string) string {
	return PathContracts + "/" + contract + "/history/" + url.PathEscape(key)
}

// ManifestPath is the path of a contract's manifest: its methods' argument
// and result schemas, its events and state records (docs/abi.md).
func ManifestPath(contract string) string {
	return PathContracts + "/" + contract + "/manifest"
}

// ContractOpenAPIPath is the path of the OpenAPI 3.1 document of a
// contract's methods, for generating a typed client.
func ContractOpenAPIPath(contract string) string {
	return PathContracts + "/" + contract + "/openapi.json"
}

// MethodPath is the path of a read-only call of one method with its
// arguments as the whole request body: the operation the contract's
// OpenAPI document describes for each method.
func MethodPath(contract, method string) string {
	return PathContracts + "/" + contract + "/methods/" + url.PathEscape(method)
}
