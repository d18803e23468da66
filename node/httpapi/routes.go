package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/meshledger/meshledger/sdk/api"
)

// route is one API operation: how it is served and how it is documented.
// The OpenAPI document is generated from this table, so a route cannot be
// served without being documented.
type route struct {
	method, path string // Echo path, ":name" for parameters
	name         string // OpenAPI operationId
	summary      string
	params       []param
	body         any // request body type (nil: none)
	ok           int // success status
	resp         any // success body type; string for non-JSON media
	media        string
	errors       []int // error statuses this route may return
	handler      echo.HandlerFunc
	// anonymous routes are served without a read session; every other
	// route needs one from a member (401 without, 403 not_a_member), and
	// documents both.
	anonymous bool
}

type param struct {
	name, in, desc string
	typ            string // "string", "integer", "boolean"
	required       bool
}

var (
	pAddress  = param{name: "address", in: "path", desc: "0x-prefixed 20-byte address", typ: "string", required: true}
	pKey      = param{name: "key", in: "path", desc: "the state key, URL-path-escaped (ignored when key_hex is given; send any placeholder such as _)", typ: "string", required: true}
	pKeyHex   = param{name: api.ParamKeyHex, in: "query", desc: "the state key as 0x-hex; wins over the path key", typ: "string"}
	pHeight   = param{name: api.ParamHeight, in: "query", desc: "a committed height (default: latest)", typ: "integer"}
	pTxHash   = param{name: "hash", in: "path", desc: "0x-prefixed 32-byte transaction hash (the EIP-712 digest)", typ: "string", required: true}
	pBlockH   = param{name: "height", in: "path", desc: "block height", typ: "integer", required: true}
	pWait     = param{name: api.ParamWait, in: "query", desc: "wait until the transaction commits (200) or the timeout passes (202)", typ: "boolean"}
	pTimeout  = param{name: api.ParamTimeout, in: "query", desc: fmt.Sprintf("wait bound: a duration (5s, 1500ms) or seconds; capped at %v by default", DefaultConfig().MaxWait), typ: "string"}
	pCursor   = param{name: api.ParamCursor, in: "query", desc: "nextCursor of the previous page", typ: "string"}
	pFromH    = param{name: api.ParamFromHeight, in: "query", desc: "first block to send (default: the next block to commit)", typ: "integer"}
	pContract = param{name: api.ParamContract, in: "query", desc: "only this contract's events (blocks are always sent)", typ: "string"}
	pLastID   = param{name: api.HeaderLastEventID, in: "header", desc: "resume right after this event id (height:seq); wins over from_height", typ: "string"}
	pMethod   = param{name: "method", in: "path", desc: "a method the contract's manifest lists, URL-path-escaped", typ: "string", required: true}
	pOrgID    = param{name: "id", in: "path", desc: "organisation id", typ: "string", required: true}
	pPropID   = param{name: "id", in: "path", desc: "proposal id (decimal)", typ: "integer", required: true}
	pStatus   = param{name: api.ParamStatus, in: "query", desc: "only proposals with this status: open, executed, rejected or expired (default: any)", typ: "string"}
	// The consensus evidence routes (consensus.go).
	pLedgerH    = param{name: "height", in: "path", desc: "ledger block height", typ: "integer", required: true}
	pConsensusH = param{name: "height", in: "path", desc: "CometBFT height (from 1)", typ: "integer", required: true}
)

// Page sizes, as the handlers apply them: the bounds are written once, in
// package api.
var (
	pContractsLimit = param{name: api.ParamLimit, in: "query", desc: fmt.Sprintf("page size, 1..%d (default %d)", api.MaxContractsLimit, api.DefaultContractsLimit), typ: "integer"}
	pHistoryLimit   = param{name: api.ParamLimit, in: "query", desc: fmt.Sprintf("page size, 1..%d (default %d)", api.MaxHistoryLimit, api.DefaultHistoryLimit), typ: "integer"}
	pProposalsLimit = param{name: api.ParamLimit, in: "query", desc: fmt.Sprintf("page size, 1..%d (default %d)", api.MaxProposalsLimit, api.DefaultProposalsLimit), typ: "integer"}
)

func (s *Server) routeTable() []route {
	const (
		s400 = http.StatusBadRequest
		s401 = http.StatusUnauthorized
		s403 = http.StatusForbidden
		s404 = http.StatusNotFound
		s409 = http.StatusConflict
		s413 = http.StatusRequestEntityTooLarge
		s422 = http.StatusUnprocessableEntity
		s429 = http.StatusTooManyRequests
		s500 = http.StatusInternalServerError
		s503 = http.StatusServiceUnavailable
	)
	// What admitting a transaction can answer: 404 is unknown_contract (a call
	// to an address with no contract and no pending deploy).
	txErrors := []int{s400, s401, s403, s404, s409, s413, s422, s500, s503}
	return []route{
		{method: http.MethodGet, path: api.PathChain, name: "getChain", summary: "Chain identity, latest height and the EIP-712 signing description",
			ok: 200, resp: api.Chain{}, errors: []int{s500}, handler: s.handleChain, anonymous: true},
		{method: http.MethodGet, path: api.PathAccounts + ":address", name: "getAccount", summary: "An account's committed and pending next nonce",
			params: []param{pAddress}, ok: 200, resp: api.Account{}, errors: []int{s400, s500}, handler: s.handleAccount},
		{method: http.MethodPost, path: api.PathTxs, name: "submitTx", summary: "Submit a signed transaction (202 pending; with wait=true, 200 once committed)",
			params: []param{pWait, pTimeout}, body: rawTx{}, ok: 202, resp: api.Tx{}, errors: append([]int{s429}, txErrors...), handler: s.handleSubmitTx, anonymous: true},
		{method: http.MethodPost, path: api.PathTxsBatch, name: "submitTxBatch", summary: "Submit up to 256 signed transactions; one result per item, in order",
			body: []rawTx{}, ok: 200, resp: []api.BatchItem{}, errors: []int{s400, s413, s500, s503}, handler: s.handleSubmitBatch, anonymous: true},
		{method: http.MethodGet, path: api.PathTxs + "/:hash", name: "getTx", summary: "A transaction: pending, rejected with its reason, or committed with receipt and proofs",
			params: []param{pTxHash}, ok: 200, resp: api.Tx{}, errors: []int{s400, s404, s500}, handler: s.handleGetTx},
		{method: http.MethodGet, path: api.PathBlocks + "latest", name: "getLatestBlock", summary: "The latest block",
			ok: 200, resp: api.Block{}, errors: []int{s500}, handler: s.handleLatestBlock},
		{method: http.MethodGet, path: api.PathBlocks + ":height", name: "getBlock", summary: "A block by height",
			params: []param{pBlockH}, ok: 200, resp: api.Block{}, errors: []int{s400, s404, s500}, handler: s.handleBlock},
		{method: http.MethodGet, path: api.PathLogInclusion, name: "getLogInclusion", summary: "Proof that a block is in the history log a header commits (RFC 6962 audit path)",
			params: []param{pLogHeight, pLogSize}, ok: 200, resp: api.LogInclusionProof{}, errors: []int{s400, s404, s500}, handler: s.handleLogInclusion},
		{method: http.MethodGet, path: api.PathLogConsistency, name: "getLogConsistency", summary: "Proof that the history log of one size extends the log of a smaller size (RFC 6962)",
			params: []param{pLogFrom, pLogTo}, ok: 200, resp: api.LogConsistencyProof{}, errors: []int{s400, s404, s500}, handler: s.handleLogConsistency},
		{method: http.MethodGet, path: api.PathContracts, name: "listContracts", summary: "Deployed contracts in address order, paginated",
			params: []param{pCursor, pContractsLimit}, ok: 200, resp: api.Contracts{}, errors: []int{s400, s500}, handler: s.handleContracts},
		{method: http.MethodGet, path: api.PathContracts + "/:address", name: "getContract", summary: "One deployed contract",
			params: []param{pAddress}, ok: 200, resp: api.Contract{}, errors: []int{s400, s404, s500}, handler: s.handleContract},
		{method: http.MethodGet, path: api.PathContracts + "/:address/state/:key", name: "getState", summary: "A key's value (or absence) at a height, with its Merkle-Patricia proof",
			params: []param{pAddress, pKey, pKeyHex, pHeight}, ok: 200, resp: api.State{}, errors: []int{s400, s404, s500}, handler: s.handleState},
		{method: http.MethodGet, path: api.PathContracts + "/:address/history/:key", name: "getHistory", summary: "A key's lineage: every change, oldest first, paginated",
			params: []param{pAddress, pKey, pKeyHex, pCursor, pHistoryLimit}, ok: 200, resp: api.History{}, errors: []int{s400, s404, s500}, handler: s.handleHistory},
		{method: http.MethodPost, path: api.PathContracts + "/:address/query", name: "queryContract", summary: "A read-only call at a height, with proofs of every key read",
			params: []param{pAddress}, body: api.QueryRequest{}, ok: 200, resp: api.QueryResponse{}, errors: []int{s400, s404, s413, s422, s429, s500}, handler: s.handleQuery},
		{method: http.MethodPost, path: api.PathContracts + "/:address/methods/:method", name: "queryMethod", summary: "A read-only call of one method, its arguments the whole body (the operations of the contract's OpenAPI document)",
			params: []param{pAddress, pMethod, pHeight}, body: json.RawMessage{}, ok: 200, resp: api.QueryResponse{}, errors: []int{s400, s404, s413, s422, s429, s500}, handler: s.handleMethodQuery},
		{method: http.MethodGet, path: api.PathContracts + "/:address/manifest", name: "getManifest", summary: "A contract's manifest: its methods' argument and result schemas, events, state records and read policy",
			params: []param{pAddress}, ok: 200, resp: map[string]any{}, errors: []int{s400, s404, s500}, handler: s.handleManifest},
		{method: http.MethodGet, path: api.PathContracts + "/:address/openapi.json", name: "getContractOpenAPI", summary: "An OpenAPI 3.1 document of a contract's methods, for generating a typed client",
			params: []param{pAddress}, ok: 200, resp: map[string]any{}, errors: []int{s400, s404, s500}, handler: s.handleContractOpenAPI},
		{method: http.MethodGet, path: api.PathEvents, name: "streamEvents", summary: "Server-Sent Events of committed blocks (event: block) and contract events (event: event), resumable",
			params: []param{pFromH, pContract, pLastID}, ok: 200, resp: "", media: "text/event-stream", errors: []int{s400, s429, s503}, handler: s.handleEvents},
		{method: http.MethodGet, path: api.PathOrgs, name: "listOrgs", summary: "Every organisation, in id order, at the latest block",
			ok: 200, resp: api.Orgs{}, errors: []int{s500}, handler: s.handleOrgs},
		{method: http.MethodGet, path: api.PathOrgs + "/:id", name: "getOrg", summary: "An organisation and its members",
			params: []param{pOrgID}, ok: 200, resp: api.OrgDetail{}, errors: []int{s400, s404, s500}, handler: s.handleOrg},
		{method: http.MethodGet, path: api.PathMembers + ":address", name: "getMember", summary: "A member: its organisation and roles",
			params: []param{pAddress}, ok: 200, resp: api.MemberDetail{}, errors: []int{s400, s404, s500}, handler: s.handleMember},
		{method: http.MethodGet, path: api.PathProposals, name: "listProposals", summary: "Governance proposals in id order, paginated, optionally by status",
			params: []param{pStatus, pCursor, pProposalsLimit}, ok: 200, resp: api.Proposals{}, errors: []int{s400, s500}, handler: s.handleProposals},
		{method: http.MethodGet, path: api.PathProposals + "/:id", name: "getProposal", summary: "One governance proposal with its votes",
			params: []param{pPropID}, ok: 200, resp: api.ProposalDetail{}, errors: []int{s400, s404, s500}, handler: s.handleProposal},
		{method: http.MethodGet, path: api.PathPolicy, name: "getPolicy", summary: "The network policy",
			ok: 200, resp: api.PolicyDetail{}, errors: []int{s500}, handler: s.handlePolicy},
		{method: http.MethodGet, path: api.PathConsensusCommits + ":height", name: "getConsensusCommit", summary: "On a CometBFT chain, the light block whose validators' commit signs a ledger block's hash (its app hash)",
			params: []param{pLedgerH}, ok: 200, resp: api.ConsensusCommit{}, errors: []int{s400, s404, s500}, handler: s.handleConsensusCommit},
		{method: http.MethodGet, path: api.PathConsensusLightBlocks + ":height", name: "getConsensusLightBlock", summary: "On a CometBFT chain, the light block of a consensus height, for following validator-set changes",
			params: []param{pConsensusH}, ok: 200, resp: api.ConsensusLightBlock{}, errors: []int{s400, s404, s500}, handler: s.handleConsensusLightBlock},
		{method: http.MethodGet, path: api.PathExport, name: "exportChain", summary: "Stream blocks from..to with transactions and receipts in the export format (auditor role); header Meshledger-Latest-Height",
			params: []param{pExportFrom, pExportTo}, ok: 200, resp: "", media: ExportMedia, errors: []int{s400, s401, s403, s429, s500}, handler: s.handleExport},
		{method: http.MethodGet, path: api.PathHealth, name: "health", summary: "Liveness and latest height",
			ok: 200, resp: api.Health{}, errors: []int{s503}, handler: s.handleHealth, anonymous: true},
		{method: http.MethodGet, path: api.PathMetrics, name: "metrics", summary: "Prometheus metrics",
			ok: 200, resp: "", media: "text/plain", handler: s.handleMetrics, anonymous: true},
		{method: http.MethodGet, path: api.PathOpenAPI, name: "openapi", summary: "This OpenAPI 3 document",
			ok: 200, resp: map[string]any{}, handler: s.handleOpenAPI, anonymous: true},
	}
}

// rawTx documents the signed transaction wire form (package ledger/tx).
type rawTx struct {
	Type      string         `json:"type" doc:"deploy, call or upgrade"`
	ChainID   string         `json:"chainId" doc:"decimal chain id the transaction was signed for"`
	Message   map[string]any `json:"message" doc:"the EIP-712 message (see GET /v1/chain types)"`
	Signature string         `json:"signature" doc:"0x-hex 65-byte r‖s‖v signature"`
	Code      string         `json:"code,omitempty" doc:"deploy and upgrade: 0x-hex Wasm code"`
}
