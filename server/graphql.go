package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
	// maxComplexity bounds one query's cost (fields, with lists counted once
	// per page size asked for).
	maxComplexity = 20000
)

// newGraphQLHandler serves /graphql: POST and GET over HTTP, mutations in a
// transaction, errors with extensions.code.
func newGraphQLHandler(client *ent.Client, log *slog.Logger) *handler.Server {
	srv := handler.New(graph.NewSchema(client))
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.Use(extension.Introspection{})
	srv.Use(extension.FixedComplexityLimit(maxComplexity))
	srv.Use(entgql.Transactioner{TxOpener: client})
	srv.AroundOperations(requireWriteForMutations)
	srv.AroundFields(limitPages)
	srv.SetErrorPresenter(presentError(log))
	srv.SetRecoverFunc(func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "panic in resolver", "panic", fmt.Sprint(p))
		return errors.New("internal error")
	})
	return srv
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
		case gerr.Rule == "ValuesOfCorrectType", gerr.Extensions["code"] == errcode.ValidationFailed && isInputError(gerr):
			gerr.Extensions["code"] = apperr.CodeBadInput
		case gerr.Extensions["code"] != nil:
			// gqlgen's own parse and validation errors already say what is wrong.
		default:
			log.ErrorContext(ctx, "graphql error", "error", err.Error(), "path", gerr.Path.String())
			gerr.Message = "internal error"
			gerr.Extensions["code"] = apperr.CodeInternal
		}
		return gerr
	}
}

// isInputError tells argument and variable coercion failures (a malformed
// Date, an unknown enum value in a variable) from errors in the query itself.
func isInputError(e *gqlerror.Error) bool {
	return strings.Contains(e.Message, "variable") || strings.Contains(e.Message, "Date") ||
		strings.Contains(e.Message, "enum") || len(e.Path) > 0
}
