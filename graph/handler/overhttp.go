package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/graph/cost"
	"github.com/leasegraph/leasegraph/graph/fastpath"
	"github.com/leasegraph/leasegraph/internal/observe"
)

// GraphQL over HTTP as the current draft of the GraphQL-over-HTTP
// specification has it (docs/api.md#graphql-over-http states each rule
// with the status it answers). gqlgen's own GET and POST transports follow
// an earlier draft: request errors carry "data": null, a document that
// does not parse is 422 (or 400, by the response's media type), a
// mutation over GET 406, a partial success 200, an unsupported method or
// media type 400. One transport serves both methods here, so that every
// answer, the leases fast path's included, is encoded and given its status
// in one place.

// The GraphQL media types.
const (
	MediaJSON            = "application/json"
	MediaGraphQLResponse = "application/graphql-response+json"
)

// StatusPartialSuccess is the draft's 294: the answer has data and errors
// both (a field failed; the rest was answered).
const StatusPartialSuccess = 294

// Codes of requests refused before GraphQL reads them, in extensions.code.
const (
	CodeMethodNotAllowed     = "METHOD_NOT_ALLOWED"
	CodeUnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE"
	CodeNotAcceptable        = "NOT_ACCEPTABLE"
	CodePayloadTooLarge      = "PAYLOAD_TOO_LARGE"
)

// allowed is the Allow header of a 405: the methods /graphql answers
// (OPTIONS is CORS's preflight and gqlgen's Options transport).
const allowed = "GET, POST, OPTIONS"

// overHTTP is the GET and POST transport.
type overHTTP struct{}

var _ graphql.Transport = overHTTP{}

// Supports takes every request but the websocket's upgrade and OPTIONS, so
// that an unsupported method is answered 405 here, not 400 by gqlgen.
func (overHTTP) Supports(r *http.Request) bool {
	return r.Header.Get("Upgrade") == "" && r.Method != http.MethodOptions
}

// Do implements graphql.Transport.
func (overHTTP) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	out := answerer{w: w, accept: negotiate(r.Header.Get("Accept"))}
	if !out.accept.ok {
		out.refuse(ctx, http.StatusNotAcceptable, &apperr.Error{Code: CodeNotAcceptable,
			Message: "this endpoint answers " + MediaGraphQLResponse + " or " + MediaJSON + "; the Accept header allows neither"})
		return
	}
	start := graphql.Now()
	var params *graphql.RawParams
	var status int
	var refusal *apperr.Error
	switch r.Method {
	case http.MethodGet:
		params, status, refusal = fromURL(r.URL.RawQuery)
	case http.MethodPost:
		params, status, refusal = fromBody(r)
	default:
		w.Header().Set("Allow", allowed)
		status, refusal = http.StatusMethodNotAllowed, &apperr.Error{Code: CodeMethodNotAllowed,
			Message: "send GraphQL requests with POST (or GET for queries)"}
	}
	if refusal != nil {
		if status == apperr.StatusClientClosed {
			w.WriteHeader(status) // nobody is left to read a body
			return
		}
		out.refuse(ctx, status, refusal)
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}

	op, errs := exec.CreateOperationContext(ctx, params)
	if errs != nil {
		nameOperation(op, params, errs)
		// Parsing, validation, variables, the cost and input limits: a
		// request error, so the answer has no data entry.
		out.write(ctx, exec.DispatchError(graphql.WithOperationContext(ctx, op), errs), nil)
		return
	}
	switch {
	case r.Method == http.MethodGet && op.Operation.Operation != ast.Query:
		// The draft's rule: GET is safe, so a mutation is never run by one.
		w.Header().Set("Allow", "POST")
		out.refuse(ctx, http.StatusMethodNotAllowed, &apperr.Error{Code: CodeMethodNotAllowed,
			Message: "a " + string(op.Operation.Operation) + " needs POST; GET runs queries only"})
		return
	case op.Operation.Operation == ast.Subscription:
		out.refuse(ctx, http.StatusBadRequest, apperr.BadInput("query",
			"subscriptions are served over the websocket at /graphql (graphql-transport-ws), not over a single HTTP request"))
		return
	}
	fast := &fastpath.Answer{}
	responses, ctx := exec.DispatchOperation(fastpath.WithAnswer(ctx, fast), op)
	resp := responses(ctx)
	if resp == nil {
		// gqlgen's end of stream: the request's context is done, and the
		// deadline's middleware answers if anyone still listens.
		w.WriteHeader(apperr.StatusClientClosed)
		return
	}
	data := fast.Take(resp)
	out.write(ctx, resp, data)
	fastpath.Release(data)
}

// fromURL reads a GET request's parameters from its query string (the
// draft's application/x-www-form-urlencoded encoding; an empty parameter
// is an absent one).
func fromURL(rawQuery string) (*graphql.RawParams, int, *apperr.Error) {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, http.StatusBadRequest, apperr.BadInput("", "the URL's query string cannot be decoded: %v", err)
	}
	p := &graphql.RawParams{Query: q.Get("query"), OperationName: q.Get("operationName")}
	for _, m := range []struct {
		name string
		into *map[string]any
	}{{"variables", &p.Variables}, {"extensions", &p.Extensions}} {
		if v := q.Get(m.name); v != "" {
			if status, e := decodeMap(m.name, []byte(v), m.into); e != nil {
				return nil, status, e
			}
		}
	}
	if e := requireDocument(p); e != nil {
		return nil, http.StatusUnprocessableEntity, e
	}
	return p, 0, nil
}

// fromBody reads a POST request's parameters from its JSON body: a body
// that is not JSON is 400, JSON that is not a request object of the
// draft's shape 422.
func fromBody(r *http.Request) (*graphql.RawParams, int, *apperr.Error) {
	media, mp, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || media != MediaJSON || (mp["charset"] != "" && !strings.EqualFold(mp["charset"], "utf-8")) {
		return nil, http.StatusUnsupportedMediaType, &apperr.Error{Code: CodeUnsupportedMediaType,
			Message: "send the request as Content-Type: " + MediaJSON + " (UTF-8)"}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		if _, over := errors.AsType[*http.MaxBytesError](err); over {
			return nil, http.StatusRequestEntityTooLarge, &apperr.Error{Code: CodePayloadTooLarge, Message: "the request body is too large"}
		}
		return nil, apperr.StatusClientClosed, &apperr.Error{Code: apperr.CodeCancelled, Message: "the request body could not be read"}
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		if _, shape := errors.AsType[*json.UnmarshalTypeError](err); shape {
			return nil, http.StatusUnprocessableEntity, apperr.BadInput("", "the request body must be a JSON object with query, and optionally operationName, variables and extensions")
		}
		// The decoder's message, never the body (it may hold a card number
		// or a token).
		return nil, http.StatusBadRequest, apperr.BadInput("", "the request body is not JSON: %v", err)
	}
	if fields == nil {
		return nil, http.StatusUnprocessableEntity, apperr.BadInput("", "the request body must be a JSON object with query, and optionally operationName, variables and extensions")
	}
	p := &graphql.RawParams{}
	for _, s := range []struct {
		name string
		into *string
	}{{"query", &p.Query}, {"operationName", &p.OperationName}} {
		if raw := fields[s.name]; len(raw) > 0 && !isNull(raw) {
			if json.Unmarshal(raw, s.into) != nil {
				return nil, http.StatusUnprocessableEntity, apperr.BadInput(s.name, "%s must be a string", s.name)
			}
		}
	}
	for _, m := range []struct {
		name string
		into *map[string]any
	}{{"variables", &p.Variables}, {"extensions", &p.Extensions}} {
		if raw := fields[m.name]; len(raw) > 0 && !isNull(raw) {
			if status, e := decodeMap(m.name, raw, m.into); e != nil {
				return nil, status, e
			}
		}
	}
	if e := requireDocument(p); e != nil {
		return nil, http.StatusUnprocessableEntity, e
	}
	return p, 0, nil
}

func isNull(raw json.RawMessage) bool { return string(raw) == "null" }

// decodeMap decodes a JSON object parameter (variables, extensions), with
// numbers kept as written, as gqlgen's transports decode them.
func decodeMap(name string, raw []byte, into *map[string]any) (int, *apperr.Error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		if _, shape := errors.AsType[*json.UnmarshalTypeError](err); shape {
			return http.StatusUnprocessableEntity, apperr.BadInput(name, "%s must be a JSON object", name)
		}
		return http.StatusBadRequest, apperr.BadInput(name, "%s is not JSON: %v", name, err)
	}
	if dec.More() {
		return http.StatusBadRequest, apperr.BadInput(name, "%s holds more than one JSON value", name)
	}
	if m == nil {
		// A JSON null in a GET parameter: absent, as in a POST body.
		return 0, nil
	}
	*into = m
	return 0, nil
}

// requireDocument refuses a request with neither a query nor a persisted
// query's hash (which the persisted-query extension resolves).
func requireDocument(p *graphql.RawParams) *apperr.Error {
	if p.Query != "" || p.Extensions["persistedQuery"] != nil {
		return nil
	}
	return apperr.BadInput("query", "the request has no query")
}

// accepted is what an Accept header lets the answer be.
type accepted struct {
	// ok: one of the GraphQL media types is acceptable.
	ok bool
	// graphQLResponse: the client asked for application/graphql-response+json
	// over application/json.
	graphQLResponse bool
}

// negotiate reads an Accept header (RFC 9110 with its q values). No
// header, a wildcard or application/json is the legacy client's JSON; the
// draft's media type wins when the client ranks it at least as high.
func negotiate(header string) accepted {
	if strings.TrimSpace(header) == "" {
		return accepted{ok: true}
	}
	best, bestGraphQL := -1.0, -1.0
	for part := range strings.SplitSeq(header, ",") {
		media, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		if cs := params["charset"]; cs != "" && !strings.EqualFold(cs, "utf-8") {
			continue // the answer is UTF-8 only
		}
		q := 1.0
		if s, ok := params["q"]; ok {
			if q, err = strconv.ParseFloat(s, 64); err != nil || q < 0 || q > 1 {
				continue
			}
		}
		switch media {
		case MediaGraphQLResponse:
			bestGraphQL = max(bestGraphQL, q)
		case MediaJSON, "application/*", "*/*":
			best = max(best, q)
		}
	}
	switch {
	case bestGraphQL > 0 && bestGraphQL >= best:
		return accepted{ok: true, graphQLResponse: true}
	case best > 0:
		return accepted{ok: true}
	}
	return accepted{}
}

// contentType is the answer's media type: the draft's for a client that
// asked for it, and, as the draft says, for every answer that is not a
// success (a legacy client's 4xx is a GraphQL response too); JSON for a
// legacy client's success, or when the client accepts neither.
func (a accepted) contentType(status int) string {
	if a.ok && (a.graphQLResponse || status/100 != 2) {
		return MediaGraphQLResponse + "; charset=utf-8"
	}
	return MediaJSON + "; charset=utf-8"
}

// answerer writes one GraphQL answer.
type answerer struct {
	w      http.ResponseWriter
	accept accepted
}

// refuse answers a request error of the transport's own, quoting the
// request id as the error presenter does.
func (a answerer) refuse(ctx context.Context, status int, e *apperr.Error) {
	a.send(status, errorResponse(ctx, e), nil)
}

// write answers resp (with fast, the fast path's bytes, as its data when
// set) with the draft's status: 200 for data alone, 294 for data and
// errors, and for errors alone (a request error: no data entry) the 4xx or
// 5xx its first error's code calls for.
func (a answerer) write(ctx context.Context, resp *graphql.Response, fast []byte) {
	status := http.StatusOK
	switch {
	case fast == nil && len(resp.Data) == 0 && len(resp.Errors) > 0:
		status = requestErrorStatus(resp.Errors[0].Extensions["code"])
	case len(resp.Errors) > 0:
		status = StatusPartialSuccess
	}
	if fast == nil && len(resp.Data) == 0 && len(resp.Errors) == 0 {
		resp.Data = json.RawMessage("null") // never an answer with neither
	}
	a.send(status, resp, fast)
}

// send encodes resp: errors, then data (fast as written when set, else
// resp.Data unless the answer has none), then extensions, as gqlgen's
// graphql.Response is encoded.
func (a answerer) send(status int, resp *graphql.Response, fast []byte) {
	head := make([]byte, 0, 256)
	head = append(head, '{')
	if len(resp.Errors) > 0 {
		head = appendJSON(append(head, `"errors":`...), resp.Errors)
	}
	var data []byte
	switch {
	case fast != nil:
		data = fast
	case len(resp.Data) > 0:
		// encoding/json compacts and HTML-escapes gqlgen's data, as
		// gqlgen's transports did.
		data = appendJSON(nil, resp.Data)
	}
	if data != nil {
		if len(head) > 1 {
			head = append(head, ',')
		}
		head = append(head, `"data":`...)
	}
	var tail []byte
	if len(resp.Extensions) > 0 {
		if len(head) > 1 {
			tail = append(tail, ',')
		}
		tail = appendJSON(append(tail, `"extensions":`...), resp.Extensions)
	}
	tail = append(tail, '}')
	h := a.w.Header()
	h.Set("Content-Type", a.accept.contentType(status))
	a.w.WriteHeader(status)
	for _, part := range [][]byte{head, data, tail} {
		if _, err := a.w.Write(part); err != nil {
			return // the client went away
		}
	}
}

// appendJSON appends v encoded; a value that cannot be encoded is a bug
// here, answered as null rather than as a broken document.
func appendJSON(b []byte, v any) []byte {
	enc, err := json.Marshal(v)
	if err != nil {
		return append(b, "null"...)
	}
	return append(b, enc...)
}

// requestErrorStatus is the status of an answer without data, by its
// first error's code: the draft's 400 for a document that does not parse,
// 422 for one that does not validate, variables that do not coerce, or a
// document over a cost limit (validation rules of our own, as the draft
// allows); otherwise the status the error vocabulary gives the code on
// every route.
func requestErrorStatus(code any) int {
	c, _ := code.(string)
	switch c {
	case errcode.ParseFailed:
		return http.StatusBadRequest
	case errcode.ValidationFailed, apperr.CodeBadInput, cost.CodeTooLarge, cost.CodeTooDeep, cost.CodeTooComplex:
		return http.StatusUnprocessableEntity
	case codeIntrospectionDisabled:
		return http.StatusForbidden
	case codePersistedQueryNotFound:
		// Apollo Server's status for it; Apollo's clients read the code in
		// the body and send the query again.
		return http.StatusNotFound
	case "", apperr.CodeInternal:
		return http.StatusInternalServerError
	}
	if s := (&apperr.Error{Code: c}).HTTPStatus(); s != http.StatusInternalServerError {
		return s
	}
	return http.StatusBadRequest
}

// WriteError answers an HTTP request refused before GraphQL ran (401, 429,
// a timeout) as a GraphQL response, in the media type the request accepts,
// so GraphQL clients find extensions.code where they look for it.
func WriteError(w http.ResponseWriter, r *http.Request, status int, e *apperr.Error) {
	ge := gqlError(e)
	if id := w.Header().Get(observe.Header); id != "" {
		ge.Extensions["requestId"] = id
	}
	answerer{w: w, accept: negotiate(r.Header.Get("Accept"))}.send(status, &graphql.Response{Errors: gqlerror.List{ge}}, nil)
}

// nameOperation rewords gqlgen's "operation  not found" (with no name
// between the words) for a document of several operations sent without
// operationName, and says which names the document holds.
func nameOperation(op *graphql.OperationContext, params *graphql.RawParams, errs gqlerror.List) {
	if op == nil || op.Doc == nil || op.Operation != nil {
		return
	}
	var names []string
	for _, o := range op.Doc.Operations {
		if o.Name != "" {
			names = append(names, strconv.Quote(o.Name))
		}
	}
	held := strings.Join(names, ", ")
	if held == "" {
		held = "no named operation"
	}
	for _, e := range errs {
		if e.Message != "operation "+params.OperationName+" not found" {
			continue
		}
		if params.OperationName == "" {
			e.Message = fmt.Sprintf("the document holds %d operations: name the one to run in operationName (%s)", len(op.Doc.Operations), held)
		} else {
			e.Message = fmt.Sprintf("no operation named %q in the document (it holds %s)", params.OperationName, held)
		}
	}
}
