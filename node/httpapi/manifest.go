package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/labstack/echo/v4"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/manifest"
)

// contractManifest reads the manifest of the contract at the address
// parameter; a contract without one is not found.
func (s *Server) contractManifest(c echo.Context) (common.Address, []byte, error) {
	addr, err := parseAddress("address", c.Param("address"))
	if err != nil {
		return addr, nil, err
	}
	raw, ok, err := s.deps.Ledger.Manifest(addr)
	if err != nil {
		return addr, nil, fmt.Errorf("manifest of %s: %w", addr, err)
	}
	if !ok {
		return addr, nil, fmt.Errorf("%w: contract %s carries no manifest", ledger.ErrNotFound, addr)
	}
	return addr, raw, nil
}

func (s *Server) handleManifest(c echo.Context) error {
	_, raw, err := s.contractManifest(c)
	if err != nil {
		return err
	}
	return c.JSONBlob(http.StatusOK, raw)
}

func (s *Server) handleContractOpenAPI(c echo.Context) error {
	addr, raw, err := s.contractManifest(c)
	if err != nil {
		return err
	}
	info, err := s.deps.Ledger.Contract(addr)
	if err != nil {
		return fmt.Errorf("contract %s: %w", addr, err)
	}
	m, err := manifest.Parse(raw)
	if err != nil {
		// The ledger validated it at deploy: failing now is the node's
		// fault, not the reader's.
		return fmt.Errorf("manifest of %s no longer parses: %w", addr, err)
	}
	doc, err := json.MarshalIndent(contractOpenAPI(info, m), "", "  ")
	if err != nil {
		return fmt.Errorf("openapi of %s: %w", addr, err)
	}
	return c.JSONBlob(http.StatusOK, doc)
}

// handleMethodQuery is a query whose body is the method's arguments alone:
// what the contract's OpenAPI document describes, so that a generated
// client sends its typed arguments as they are.
func (s *Server) handleMethodQuery(c echo.Context) error {
	addr, err := parseAddress("address", c.Param("address"))
	if err != nil {
		return err
	}
	method, err := url.PathUnescape(c.Param("method"))
	if err != nil || method == "" {
		return fmt.Errorf("%w: method %q", ErrInvalidQuery, c.Param("method"))
	}
	body, err := s.readBody(c)
	if err != nil {
		return err
	}
	if len(strings.TrimSpace(string(body))) > 0 && !json.Valid(body) {
		return fmt.Errorf("%w: the body (the method's arguments) is not JSON", ErrInvalidQuery)
	}
	req := api.QueryRequest{Method: method, Args: body}
	if hs := c.QueryParam(api.ParamHeight); hs != "" {
		h, err := parseUint(api.ParamHeight, hs)
		if err != nil {
			return err
		}
		req.Height = &h
	}
	return s.runQuery(c, addr, req)
}

// componentName makes a method or event name usable as an OpenAPI
// component name (letters, digits, ".", "-", "_").
func componentName(name string) string {
	return strings.Map(func(r rune) rune {
		if r < 128 && (r == '.' || r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return r
		}
		return '_'
	}, name)
}

// contractOpenAPI is the OpenAPI 3.1 document of one contract's methods.
// Each method is one operation, POST /v1/contracts/{address}/methods/
// {method}, whose request body is the method's arguments and whose
// response is a query response with the method's result; its extension
// x-mesh-call says that the same arguments, as the args of a signed Call
// transaction (POST /v1/txs), run the method as a write. Argument, result
// and event schemas are components named <method>Args, <method>Result and
// <event>Event, so generators name their types after them.
func contractOpenAPI(info *ledger.ContractInfo, m *manifest.Manifest) map[string]any {
	sb := &schemaBuilder{defs: map[string]any{}}
	errSchema := sb.schema(reflect.TypeOf(api.ErrorResponse{}))
	querySchema := sb.schema(reflect.TypeOf(api.QueryResponse{}))
	schemas := sb.defs
	addr := strings.ToLower(info.Address.Hex())
	paths := map[string]any{}
	names := make([]string, 0, len(m.Methods))
	for name := range m.Methods {
		names = append(names, name)
	}
	slices.Sort(names)
	used := map[string]bool{}
	for _, name := range names {
		meth := m.Methods[name]
		base := componentName(name)
		for used[base] {
			base += "_"
		}
		used[base] = true
		schemas[base+"Args"] = meth.Args
		schemas[base+"Result"] = meth.Result
		argsRef := map[string]any{"$ref": "#/components/schemas/" + base + "Args"}
		errResp := func(what string) map[string]any {
			return map[string]any{"description": what, "content": map[string]any{"application/json": map[string]any{"schema": errSchema}}}
		}
		paths[api.MethodPath(addr, name)] = map[string]any{"post": map[string]any{
			"operationId": base,
			"summary":     "Query " + name + " (read-only); as a write, send the same arguments in a signed Call transaction",
			"parameters": []any{map[string]any{
				"name": api.ParamHeight, "in": "query", "required": false,
				"description": "a committed height (default: latest)", "schema": map[string]any{"type": "integer", "minimum": 0},
			}},
			"requestBody": map[string]any{
				"required": true,
				"content":  map[string]any{"application/json": map[string]any{"schema": argsRef}},
			},
			"responses": map[string]any{
				"200": map[string]any{"description": "the call's outcome; status ok carries the result", "content": map[string]any{"application/json": map[string]any{
					"schema": map[string]any{"allOf": []any{querySchema, map[string]any{
						"type":       "object",
						"properties": map[string]any{"result": map[string]any{"$ref": "#/components/schemas/" + base + "Result"}},
					}}},
				}}},
				"400": errResp("bad request"),
				"401": errResp("no valid read session"),
				"403": errResp("not a member"),
				"404": errResp("no such contract"),
				"422": errResp("invalid arguments"),
			},
			"security": sessionSecurity(),
			"x-mesh-call": map[string]any{
				"transaction": "call", "contract": addr, "method": name, "args": argsRef,
				"submit": "POST " + api.PathTxs,
			},
		}}
	}
	events := map[string]any{}
	for name, sch := range m.Events {
		schemas[componentName(name)+"Event"] = sch
		events[name] = map[string]any{"$ref": "#/components/schemas/" + componentName(name) + "Event"}
	}
	version := info.CodeHash.Hex()
	if info.ManifestHash != (common.Hash{}) {
		version = info.ManifestHash.Hex()
	}
	return map[string]any{
		"openapi":           "3.1.0",
		"jsonSchemaDialect": manifest.SchemaDialect,
		"info": map[string]any{
			"title":   info.Name + " contract at " + addr,
			"version": version,
			"description": "Generated from the contract's manifest. Each operation is a read-only call; the same arguments " +
				"in a signed Call transaction (x-mesh-call) run the method as a write, validated against the same schema. " +
				"Errors are {\"error\":{\"code\",\"message\",\"pointer\"}} (docs/api.md).",
		},
		"servers": []any{map[string]any{"url": "/"}},
		"paths":   paths,
		"components": map[string]any{
			"schemas":         schemas,
			"securitySchemes": sessionSecuritySchemes(),
		},
		"x-mesh-events": events,
	}
}
