package httpapi

import (
	"encoding/json"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/labstack/echo/v4"

	"github.com/meshledger/meshledger/sdk/api"
)

// The OpenAPI 3 document is generated from the route table and the sdk/api
// types by reflection, so it cannot drift from what is served.

func (s *Server) handleOpenAPI(c echo.Context) error {
	return c.JSONBlob(http.StatusOK, s.OpenAPI())
}

// OpenAPI returns the OpenAPI 3.0 document of the routes this server
// serves.
func (s *Server) OpenAPI() []byte {
	s.openAPIOnce.Do(func() {
		b, err := json.MarshalIndent(buildOpenAPI(s.routes), "", "  ")
		if err != nil {
			// Only reachable by a programming error in the schema builder.
			panic(err)
		}
		s.openAPI = b
	})
	return s.openAPI
}

// OpenAPIPath converts an Echo path (":name") to OpenAPI form ("{name}").
func OpenAPIPath(echoPath string) string {
	parts := strings.Split(echoPath, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, ":") {
			parts[i] = "{" + p[1:] + "}"
		}
	}
	return strings.Join(parts, "/")
}

func buildOpenAPI(routes []route) map[string]any {
	sb := &schemaBuilder{defs: map[string]any{}}
	paths := map[string]map[string]any{}
	for _, r := range routes {
		op := map[string]any{"operationId": r.name, "summary": r.summary}
		var params []any
		for _, p := range r.params {
			params = append(params, map[string]any{
				"name": p.name, "in": p.in, "description": p.desc, "required": p.required,
				"schema": map[string]any{"type": p.typ},
			})
		}
		if params != nil {
			op["parameters"] = params
		}
		if r.body != nil {
			op["requestBody"] = map[string]any{
				"required": true,
				"content":  map[string]any{"application/json": map[string]any{"schema": sb.schema(reflect.TypeOf(r.body))}},
			}
		}
		responses := map[string]any{}
		media := r.media
		if media == "" {
			media = "application/json"
		}
		var okSchema any = map[string]any{"type": "string"}
		if _, isString := r.resp.(string); !isString {
			okSchema = sb.schema(reflect.TypeOf(r.resp))
		}
		responses[strconv.Itoa(r.ok)] = map[string]any{
			"description": "success",
			"content":     map[string]any{media: map[string]any{"schema": okSchema}},
		}
		if r.name == "submitTx" {
			responses["200"] = map[string]any{
				"description": "committed (wait=true, or already committed)",
				"content":     map[string]any{"application/json": map[string]any{"schema": okSchema}},
			}
		}
		errSchema := sb.schema(reflect.TypeOf(api.ErrorResponse{}))
		statuses := r.errors
		if !r.anonymous {
			// Every session route may refuse the session (401) or the
			// reader (403), whatever else it documents.
			statuses = append([]int{http.StatusUnauthorized, http.StatusForbidden}, statuses...)
			op["security"] = sessionSecurity()
		}
		for _, st := range statuses {
			responses[strconv.Itoa(st)] = map[string]any{
				"description": http.StatusText(st),
				"content":     map[string]any{"application/json": map[string]any{"schema": errSchema}},
			}
		}
		op["responses"] = responses
		p := OpenAPIPath(r.path)
		if paths[p] == nil {
			paths[p] = map[string]any{}
		}
		paths[p][strings.ToLower(r.method)] = op
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":       "meshledger HTTP API",
			"version":     "1",
			"description": "Errors are {\"error\":{\"code\",\"message\"}}; see docs/api.md for every code.",
		},
		"paths": paths,
		"components": map[string]any{
			"schemas":         sb.defs,
			"securitySchemes": sessionSecuritySchemes(),
		},
	}
}

// sessionSecuritySchemes is the OpenAPI securitySchemes of a document
// whose operations need a read session (this API's and each contract's).
func sessionSecuritySchemes() map[string]any {
	return map[string]any{
		"meshSession": map[string]any{
			"type": "apiKey", "in": "header", "name": api.HeaderAuthorization,
			"description": "MeshSession <signed EIP-712 ReadSession>: see docs/api.md, Authentication",
		},
	}
}

// sessionSecurity is the security requirement of an operation that needs
// a read session.
func sessionSecurity() []any { return []any{map[string]any{"meshSession": []string{}}} }

// schemaBuilder turns Go types into JSON Schema (the OpenAPI 3.0 subset),
// with named structs as components.
type schemaBuilder struct {
	defs map[string]any
}

var (
	typAddress = reflect.TypeOf(common.Address{})
	typHash    = reflect.TypeOf(common.Hash{})
	typBytes   = reflect.TypeOf(hexutil.Bytes{})
	typRaw     = reflect.TypeOf(json.RawMessage{})
)

func (sb *schemaBuilder) schema(t reflect.Type) map[string]any {
	switch t {
	case typAddress:
		return map[string]any{"type": "string", "pattern": "^0x[0-9a-fA-F]{40}$", "description": "address"}
	case typHash:
		return map[string]any{"type": "string", "pattern": "^0x[0-9a-fA-F]{64}$", "description": "32-byte hash"}
	case typBytes:
		return map[string]any{"type": "string", "pattern": "^0x([0-9a-fA-F]{2})*$", "description": "0x-hex bytes"}
	case typRaw:
		return map[string]any{"description": "any JSON value"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		s := sb.schema(t.Elem())
		s["nullable"] = true
		return s
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer", "format": "int64"}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": sb.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": sb.schema(t.Elem())}
	case reflect.Interface:
		return map[string]any{"description": "any JSON value"}
	case reflect.Struct:
		name := t.Name()
		if _, ok := sb.defs[name]; !ok {
			sb.defs[name] = nil // break cycles
			sb.defs[name] = sb.object(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

func (sb *schemaBuilder) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		s := sb.schema(f.Type)
		if d := f.Tag.Get("doc"); d != "" {
			s["description"] = d
		}
		props[name] = s
		if !strings.Contains(opts, "omitempty") && f.Type.Kind() != reflect.Pointer {
			required = append(required, name)
		}
	}
	out := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		sort.Strings(required)
		out["required"] = required
	}
	return out
}
