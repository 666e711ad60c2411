package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/cards"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/privacy"
	"github.com/leasegraph/leasegraph/graph"
	"github.com/leasegraph/leasegraph/viewer"
)

// Connection page sizes: a connection asked for without first or last gets
// defaultPageSize rows, never the whole table.
const (
	defaultPageSize = 50
	maxPageSize     = 500
	// maxComplexity bounds one query's cost: its fields, with a connection's
	// counted once per row of the page size asked for (see pageWeighted). A
	// full page of 500 leases with every field, property and tenants costs
	// about 37000; a connection nested in a full page of another is refused.
	maxComplexity = 50000
)

// newGraphQLHandler serves /graphql: POST and GET over HTTP, mutations in a
// transaction, errors with extensions.code.
func newGraphQLHandler(client *ent.Client, services graph.Services, log *slog.Logger) *handler.Server {
	srv := handler.New(graph.NewSchema(client, services))
	srv.AddTransport(websocketTransport(client, log))
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.Use(extension.Introspection{})
	srv.Use(pagedComplexityLimit{extension.FixedComplexityLimit(maxComplexity)})
	srv.Use(&inputLimits{})
	srv.Use(transactioner{entgql.Transactioner{TxOpener: client, SkipTxFunc: screeningMutations}})
	srv.AroundOperations(requireWriteForMutations)
	srv.AroundFields(limitPages)
	srv.SetErrorPresenter(presentError(log))
	srv.SetRecoverFunc(func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "panic in resolver", "panic", fmt.Sprint(p))
		return errors.New("internal error")
	})
	return srv
}

// transactioner runs each mutation in a transaction. entgql's reads the
// operation context unconditionally, which panics for a request that failed
// before it had one (a body that is not JSON): such a request runs nothing,
// so it needs no transaction.
type transactioner struct{ entgql.Transactioner }

// InterceptResponse implements graphql.ResponseInterceptor.
func (t transactioner) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if !graphql.HasOperationContext(ctx) {
		return next(ctx)
	}
	return t.Transactioner.InterceptResponse(ctx, next)
}

// requireWriteForMutations refuses mutations to read-only tokens before any
// resolver runs.
func requireWriteForMutations(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	op := graphql.GetOperationContext(ctx)
	if op.Operation != nil && op.Operation.Operation == ast.Mutation && !viewer.FromContext(ctx).Has(viewer.ScopeWrite) {
		return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{{
			Message:    "this token is read-only: mutations need the write scope",
			Extensions: map[string]any{"code": apperr.CodeForbidden},
		}}})
	}
	return next(ctx)
}

// limitPages checks first/last on every connection field and gives a page
// size to a connection asked for without one.
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
	case first != nil && (*first < 0 || *first > maxPageSize):
		return nil, apperr.BadInput("first", "first must be between 0 and %d", maxPageSize)
	case last != nil && (*last < 0 || *last > maxPageSize):
		return nil, apperr.BadInput("last", "last must be between 0 and %d", maxPageSize)
	case first == nil && last == nil && fc.Args != nil:
		if _, ok := fc.Args["first"]; ok {
			n := defaultPageSize
			fc.Args["first"] = &n
		}
	}
	return next(ctx)
}

// pagedComplexityLimit is gqlgen's complexity limit over a schema whose
// connections cost per row (pageWeighted). gqlgen's own default counts every
// field once, so leases(first: 500) { ... property { leases(first: 500) } }
// would cost as little as a single lease.
type pagedComplexityLimit struct{ *extension.ComplexityLimit }

// Validate hands the limit the page-weighted schema.
func (c pagedComplexityLimit) Validate(es graphql.ExecutableSchema) error {
	return c.ComplexityLimit.Validate(pageWeighted{es})
}

// pageWeighted gives every connection field without a complexity function
// of its own the cost of its selection times the rows it may return: first
// or last, else the default page size (limitPages refuses sizes over the
// maximum, so they count as the maximum here).
type pageWeighted struct{ graphql.ExecutableSchema }

func (s pageWeighted) Complexity(ctx context.Context, typeName, field string, childComplexity int, args map[string]any) (int, bool) {
	if n, ok := s.ExecutableSchema.Complexity(ctx, typeName, field, childComplexity, args); ok {
		return n, ok
	}
	def := s.Schema().Types[typeName]
	if def == nil {
		return 0, false
	}
	fd := def.Fields.ForName(field)
	if fd == nil || !strings.HasSuffix(fd.Type.Name(), "Connection") {
		return 0, false
	}
	rows := 0
	for _, name := range []string{"first", "last"} {
		if n, ok := intArg(args[name]); ok {
			rows = max(rows, min(max(n, 1), maxPageSize))
		}
	}
	if rows == 0 {
		rows = defaultPageSize
	}
	if childComplexity > math.MaxInt/rows-1 {
		return math.MaxInt, true
	}
	return 1 + childComplexity*rows, true
}

// intArg reads an Int argument as the complexity walker sees it: an int64
// from a literal, a json.Number or a number from variables.
func intArg(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(max(min(n, math.MaxInt32), math.MinInt32)), true
	case float64:
		return int(max(min(n, math.MaxInt32), math.MinInt32)), true
	case json.Number:
		i, err := n.Int64()
		return int(max(min(i, math.MaxInt32), math.MinInt32)), err == nil
	}
	return 0, false
}

// presentError gives every error a code. Errors the caller can act on keep
// their message; anything else is logged and shown as "internal error", so
// driver messages (table names, SQL) never reach a client.
func presentError(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gerr := graphql.DefaultErrorPresenter(ctx, err)
		if gerr.Extensions == nil {
			gerr.Extensions = map[string]any{}
		}
		var (
			ae *apperr.Error
			ve *ent.ValidationError
		)
		switch {
		case errors.As(err, &ae):
			for k, v := range ae.Extensions {
				gerr.Extensions[k] = v
			}
			gerr.Message = ae.Message
			gerr.Extensions["code"] = ae.Code
			if len(ae.Field) > 0 {
				gerr.Extensions["field"] = ae.Field
			}
		case ent.IsNotFound(err), errors.Is(err, privacy.Deny):
			// Not existing and not being the caller's look the same.
			gerr.Message = "not found"
			gerr.Extensions["code"] = apperr.CodeNotFound
		case errors.As(err, &ve):
			gerr.Message = fmt.Sprintf("%s is not valid", ve.Name)
			gerr.Extensions["code"] = apperr.CodeBadInput
			gerr.Extensions["field"] = []string{ve.Name}
		case ent.IsConstraintError(err):
			gerr.Message = "conflicts with an existing row"
			gerr.Extensions["code"] = apperr.CodeConflict
		case isInputError(ctx, gerr):
			gerr.Extensions["code"] = apperr.CodeBadInput
		case gerr.Extensions["code"] != nil:
			// gqlgen's own parse and validation errors already say what is wrong.
		case isUnreadableBody(gerr.Message):
			// gqlgen's message quotes the whole body, which may hold a card
			// number or a token: say what is wrong without it, log nothing.
			reason, _, _ := strings.Cut(gerr.Message, " body:")
			gerr.Message = "the request body is not a GraphQL request in JSON (" + strings.TrimPrefix(reason, "input: ") + ")"
			gerr.Extensions["code"] = apperr.CodeBadInput
		default:
			log.ErrorContext(ctx, "graphql error", "error", cards.RedactNumbers(err.Error()), "path", gerr.Path.String())
			gerr.Message = "internal error"
			gerr.Extensions["code"] = apperr.CodeInternal
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

// isUnreadableBody recognises gqlgen's errors for a request body it could
// not read or decode (transport/http_post.go).
func isUnreadableBody(msg string) bool {
	msg = strings.TrimPrefix(msg, "input: ")
	return strings.HasPrefix(msg, "json request body could not be decoded") || strings.HasPrefix(msg, "could not read request body")
}
