// Package handler is the GraphQL endpoint: gqlgen's server over the schema
// with everything a request passes through on its way to the resolvers:
// the error presenter, the cost and input limits, the write scope for
// mutations, one transaction per mutation operation, the operation
// deadline, the introspection switch, and the websocket transport that
// re-checks its token. package main mounts it at /graphql behind its
// HTTP middleware (authentication, CORS, the request deadline).
package handler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	gqlhandler "github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/apperr/classify"
	"github.com/leasegraph/leasegraph/config"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/graph"
	"github.com/leasegraph/leasegraph/graph/cost"
	"github.com/leasegraph/leasegraph/graph/fastpath"
	"github.com/leasegraph/leasegraph/internal/observe"
	"github.com/leasegraph/leasegraph/tenancy"
	"github.com/leasegraph/leasegraph/tenancy/guard"
	"github.com/leasegraph/leasegraph/viewer"
)

// Connection page sizes: a connection asked for without first or last gets
// DefaultPageSize rows, never the whole table.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// queryCacheSize is how many parsed and validated documents are kept
// (gqlgen's default server keeps 1000).
const queryCacheSize = 100

// defaultRequestTimeout applies where a caller (a test) sets none.
var defaultRequestTimeout = config.Defaults().RequestTimeout

// defaultSocketRecheck applies where a caller (a test) sets none.
var defaultSocketRecheck = config.Defaults().Limits.SocketRecheck

// Config is what a query may cost, whether it may introspect (the
// settings; zero limits: the defaults), the websocket's deadline, and what
// the websocket authenticates with.
type Config struct {
	config.GraphQL
	// OperationTimeout is the deadline of a query or mutation sent over the
	// websocket (the app's request timeout; HTTP requests get theirs from
	// the HTTP middleware). Zero: the setting's default.
	OperationTimeout time.Duration
	// Guard authenticates a websocket's connection_init token within the
	// rate limits, and admits each of its operations.
	Guard *guard.Guard
	// Tenancy re-checks a websocket's token by id.
	Tenancy *tenancy.Service
	// SocketRecheck is how often an open websocket's token is re-checked
	// (zero: the setting's default).
	SocketRecheck time.Duration
	// NoFastPath leaves the leases page to gqlgen's executor too, and
	// FastPathServed is called whenever the fast path answers: the
	// differential test compares the two answers (graph/fastpath). Not
	// settings: the fast path's output is gqlgen's, byte for byte.
	NoFastPath     bool
	FastPathServed func()
	// Sockets, when set, registers the open websockets so that the
	// server can close them when it stops.
	Sockets *OpenSockets
}

// New serves /graphql: POST and GET over HTTP and the websocket
// (graphql-transport-ws), mutations in a transaction, errors with
// extensions.code. It fails when the leases fast path's whitelist
// disagrees with the schema (fastpath.Check): a server that would answer
// from it could skip a resolver or a directive on tenants' personal data.
func New(client *ent.Client, services graph.Services, log *slog.Logger, cfg Config) (*gqlhandler.Server, error) {
	if cfg.Limits == (cost.Limits{}) {
		cfg.Limits = cost.DefaultLimits()
	}
	schema := graph.NewSchema(client, services)
	if !cfg.NoFastPath {
		// gqlgen's Use panics on an extension's Validate error; checked here
		// first, the caller gets an error to refuse to start with.
		if err := fastpath.Check(schema); err != nil {
			return nil, err
		}
	}
	srv := gqlhandler.New(schema)
	srv.AddTransport(transport.Options{})
	// After the websocket's (added last, but gqlgen asks every transport in
	// order: this one refuses an upgrade) and Options'.
	srv.AddTransport(overHTTP{})
	if cfg.OperationTimeout <= 0 {
		cfg.OperationTimeout = defaultRequestTimeout
	}
	if cfg.SocketRecheck <= 0 {
		cfg.SocketRecheck = defaultSocketRecheck
	}
	// The outermost operation interceptor: the transaction a mutation opens
	// inside it lives within the deadline, and is committed before the
	// deadline's context is cancelled.
	srv.AroundOperations(operationDeadline(cfg.OperationTimeout))
	if cfg.NoIntrospection {
		srv.Use(refuseIntrospection{})
	} else {
		srv.Use(extension.Introspection{})
	}
	// The cost extension parses under the same token limit before gqlgen
	// does; gqlgen's own limit stays as the backstop.
	srv.SetParserTokenLimit(cfg.Limits.MaxTokens)
	// A document seen before is neither parsed nor validated again (the
	// schema does not change; every limit and extension still runs per
	// request, and variables are coerced per request): parsing and
	// validating cost the leases page ~370 allocations. Few entries: the
	// hot reads are a handful of documents, and each entry may be as large
	// as the token limit allows.
	srv.SetQueryCache(cost.NewDocumentCache[*ast.QueryDocument](queryCacheSize))
	// Before the cost extension, which reads the document the hash names.
	srv.Use(newPersistedQueries())
	srv.Use(&cost.Extension{Limits: cfg.Limits, DefaultPage: DefaultPageSize, MaxPage: MaxPageSize})
	srv.Use(&inputLimits{})
	srv.AroundOperations(requireWriteForMutations)
	srv.Use(transactioner{client: client, log: log}) // after every operation interceptor (transactions.go)
	srv.AroundFields(limitPages)
	if !cfg.NoFastPath {
		// Last, so that it is the innermost interceptor of operations and
		// fields: it sees what every limit let through, and the leases
		// connection exactly as limitPages and the resolver left it.
		srv.Use(&fastpath.Extension{Log: log, Served: cfg.FastPathServed})
	}
	srv.SetErrorPresenter(presentError(log))
	srv.SetRecoverFunc(func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "panic in resolver", "panic", fmt.Sprint(p))
		return errors.New("internal error")
	})
	srv.AddTransport(websocketTransport(cfg, log))
	return srv, nil
}

// requireWriteForMutations refuses mutations to read-only tokens before any
// resolver runs.
func requireWriteForMutations(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	op := graphql.GetOperationContext(ctx)
	if op.Operation != nil && op.Operation.Operation == ast.Mutation && !viewer.FromContext(ctx).Has(viewer.ScopeWrite) {
		return graphql.OneShot(errorResponse(ctx, apperr.Forbidden("this token is read-only: mutations need the write scope")))
	}
	return next(ctx)
}

// limitPages checks first/last on every connection field and gives a page
// size to a connection asked for without one; the connection counts its
// rows only when totalCount is asked for (graph.WithoutUnaskedCount).
func limitPages(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Definition == nil || !strings.HasSuffix(fc.Field.Definition.Type.Name(), "Connection") {
		return next(ctx)
	}
	first, _ := fc.Args["first"].(*int)
	last, _ := fc.Args["last"].(*int)
	switch {
	case first != nil && last != nil:
		return nil, apperr.BadInput("last", "give first or last, not both")
	case first != nil && (*first < 0 || *first > MaxPageSize):
		return nil, apperr.BadInput("first", "first must be between 0 and %d", MaxPageSize)
	case last != nil && (*last < 0 || *last > MaxPageSize):
		return nil, apperr.BadInput("last", "last must be between 0 and %d", MaxPageSize)
	case first == nil && last == nil && fc.Args != nil:
		if _, ok := fc.Args["first"]; ok {
			n := DefaultPageSize
			fc.Args["first"] = &n
		}
	}
	return next(graph.WithoutUnaskedCount(ctx))
}

// codeIntrospectionDisabled refuses __schema and __type when introspection
// is switched off (__typename still answers).
const codeIntrospectionDisabled = "INTROSPECTION_DISABLED"

func init() { errcode.RegisterErrorType(codeIntrospectionDisabled, errcode.KindProtocol) }

// refuseIntrospection refuses an introspection query up front: gqlgen would
// run it and fail each field with an error that is not the caller's to read.
type refuseIntrospection struct{}

func (refuseIntrospection) ExtensionName() string                   { return "RefuseIntrospection" }
func (refuseIntrospection) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext implements graphql.OperationContextMutator.
func (refuseIntrospection) MutateOperationContext(_ context.Context, op *graphql.OperationContext) *gqlerror.Error {
	seen := map[string]bool{}
	var find func(ast.SelectionSet) *ast.Field
	find = func(set ast.SelectionSet) *ast.Field {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				if s.Name == "__schema" || s.Name == "__type" {
					return s
				}
			case *ast.InlineFragment:
				if f := find(s.SelectionSet); f != nil {
					return f
				}
			case *ast.FragmentSpread:
				if !seen[s.Name] && s.Definition != nil {
					seen[s.Name] = true
					if f := find(s.Definition.SelectionSet); f != nil {
						return f
					}
				}
			}
		}
		return nil
	}
	if f := find(op.Operation.SelectionSet); f != nil {
		err := gqlerror.ErrorPosf(f.Position, "introspection is switched off on this server")
		errcode.Set(err, codeIntrospectionDisabled)
		return err
	}
	return nil
}

// presentError gives every error a code, as apperr/classify decides for
// every route; GraphQL adds only what is its own (gqlgen's parse,
// validation and coercion errors). Anything else is logged and shown as
// "internal error", so driver messages (table names, SQL) never reach a
// client.
func presentError(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gerr := graphql.DefaultErrorPresenter(ctx, err)
		if gerr.Extensions == nil {
			gerr.Extensions = map[string]any{}
		}
		ae, internal := classify.Classify(ctx, err)
		switch {
		case !internal:
			for k, v := range ae.Extensions {
				gerr.Extensions[k] = v
			}
			gerr.Message = ae.Message
			gerr.Extensions["code"] = ae.Code
			if len(ae.Field) > 0 {
				gerr.Extensions["field"] = ae.Field
			}
		case isInputError(ctx, gerr):
			gerr.Extensions["code"] = apperr.CodeBadInput
		case gerr.Extensions["code"] != nil:
			// gqlgen's own parse and validation errors already say what is wrong.
		default:
			classify.LogInternal(ctx, log, "graphql error", err, "path", gerr.Path.String())
			gerr.Message = ae.Message
			gerr.Extensions["code"] = ae.Code
		}
		// What a caller quotes to support, who find the request's log
		// lines by it.
		if id := observe.RequestIDFrom(ctx); id != "" {
			gerr.Extensions["requestId"] = id
		}
		return gerr
	}
}

// isInputError tells errors in the values a caller sent from errors in the
// query itself, so that every bad value gets BAD_USER_INPUT however it was
// written. gqlgen reports a bad value at one of three stages:
//
//   - validation, for a literal of the wrong type or shape in the query
//     (rule ValuesOfCorrectType: an unknown enum value, a missing input field);
//   - variable coercion, before execution, for a variable that does not fit
//     its declared type: gqlparser places these at ["variable", name, ...];
//   - argument coercion, as a field starts, for a value only the scalar or
//     enum's own unmarshaler can judge (a malformed Date or Cursor, an enum
//     variable in the wrong case), literal or variable alike: these are
//     placed at the field's path followed by the argument's.
//
// The last two name the input at fault; it moves to extensions.field (as
// apperr errors carry it), and the error keeps only a response path.
func isInputError(ctx context.Context, e *gqlerror.Error) bool {
	if e.Rule == "ValuesOfCorrectType" {
		return true
	}
	if e.Extensions["code"] == errcode.ValidationFailed && len(e.Path) > 0 && e.Path[0] == ast.PathName("variable") {
		setInputField(e, e.Path[1:])
		e.Path = nil
		return true
	}
	if e.Extensions["code"] != nil {
		return false
	}
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Definition == nil {
		return false
	}
	field := fc.Path()
	if len(e.Path) <= len(field) || !slices.Equal(e.Path[:len(field)], field) {
		return false
	}
	arg, ok := e.Path[len(field)].(ast.PathName)
	if !ok || fc.Field.Definition.Arguments.ForName(string(arg)) == nil {
		return false
	}
	setInputField(e, e.Path[len(field):])
	e.Path = field
	return true
}

// setInputField records the path of the input at fault in extensions.field.
func setInputField(e *gqlerror.Error, path ast.Path) {
	if len(path) == 0 {
		return
	}
	field := make([]string, len(path))
	for i, p := range path {
		switch p := p.(type) {
		case ast.PathName:
			field[i] = string(p)
		case ast.PathIndex:
			field[i] = strconv.Itoa(int(p))
		}
	}
	e.Extensions["field"] = field
}

// gqlError is an apperr error as GraphQL shows it: the code, the error's
// extensions, and the input at fault in extensions.field.
func gqlError(e *apperr.Error) *gqlerror.Error {
	ext := map[string]any{"code": e.Code}
	for k, v := range e.Extensions {
		ext[k] = v
	}
	if len(e.Field) > 0 {
		ext["field"] = e.Field
	}
	return &gqlerror.Error{Message: e.Message, Extensions: ext}
}

// errorResponse answers an operation with e alone, quoting the request id
// as the error presenter does.
func errorResponse(ctx context.Context, e *apperr.Error) *graphql.Response {
	ge := gqlError(e)
	if id := observe.RequestIDFrom(ctx); id != "" {
		ge.Extensions["requestId"] = id
	}
	return &graphql.Response{Errors: gqlerror.List{ge}}
}
