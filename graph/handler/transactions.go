package handler

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/apperr/classify"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/graph/cost"
)

// The one transaction rule for GraphQL mutations, over HTTP and the
// websocket alike:
//
//   - A mutation operation runs in one database transaction: all its fields
//     commit together, and an operation that answers with any error commits
//     nothing (its data is dropped, so no answer describes rows that were
//     rolled back).
//   - A standalone mutation commits its own short transactions, so it
//     cannot share an atomic operation: it must be the only field of its
//     operation. Any other mix is refused before a resolver or a SQL
//     statement runs. Two kinds are standalone: a partner mutation (one the
//     schema marks @partner, cost.IsPartner) calls a partner such as
//     SmartMove, which cannot be rolled back, and commits around the call
//     (its idempotency record: a partner call must not hold a database
//     transaction open); one the schema marks @standalone (importLeases)
//     is too long for one transaction, which on SQLite would keep every
//     other write waiting for the whole of it.

// transactioner applies the rule above. It replaces entgql.Transactioner,
// which (v0.7.0) cannot serve the websocket: a streaming transport calls an
// operation's response handler until it answers nil, entgql opens a second
// transaction for that call and then dereferences the nil response, so
// every mutation over the websocket panicked after its commit and the
// client saw "internal error". Its SkipTxFunc also saw only the operation's
// direct fields, so a partner mutation beside another mutation left that
// one without a transaction (a nil-client panic), and a partner mutation
// inside a fragment ran in the GraphQL transaction.
type transactioner struct {
	client *ent.Client
	log    *slog.Logger
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
	graphql.OperationInterceptor
} = transactioner{}

// ExtensionName implements graphql.HandlerExtension.
func (transactioner) ExtensionName() string { return "Transactioner" }

// Validate implements graphql.HandlerExtension.
func (transactioner) Validate(graphql.ExecutableSchema) error { return nil }

// mutationFields are the operation's root mutation fields as they will run:
// fragments spread, @skip and @include applied, __typename left out.
func mutationFields(oc *graphql.OperationContext) []graphql.CollectedField {
	if oc.Operation == nil || oc.Operation.Operation != ast.Mutation {
		return nil
	}
	var out []graphql.CollectedField
	for _, f := range graphql.CollectFields(oc, oc.Operation.SelectionSet, []string{"Mutation"}) {
		if f.Name != "__typename" {
			out = append(out, f)
		}
	}
	return out
}

// standaloneDirective marks a mutation that commits on its own without
// calling a partner (schema.graphqls declares it).
const standaloneDirective = "standalone"

// standalone reports whether f runs outside the operation's transaction.
func standalone(f *ast.FieldDefinition) bool {
	return cost.IsPartner(f) || (f != nil && f.Directives.ForName(standaloneDirective) != nil)
}

// standaloneOnly reports whether the operation is a lone standalone mutation.
func standaloneOnly(fields []graphql.CollectedField) bool {
	return len(fields) == 1 && standalone(fields[0].Definition)
}

// MutateOperationContext refuses a standalone mutation that shares its
// operation, and serialises the resolvers of a transactional one: a
// transaction is one connection, which runs one statement at a time.
func (transactioner) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	fields := mutationFields(oc)
	if len(fields) == 0 || standaloneOnly(fields) {
		return nil
	}
	for _, f := range fields {
		if standalone(f.Definition) {
			why := "commits on its own"
			if cost.IsPartner(f.Definition) {
				why = "calls a partner and commits on its own"
			}
			err := gqlerror.ErrorPosf(f.Position, "%s %s, so it must be the only field of its mutation operation "+
				"(this one has %d): send the others in operations of their own; nothing was run", f.Name, why, len(fields))
			err.Extensions = map[string]any{"code": apperr.CodeBadInput}
			return err
		}
	}
	previous := oc.ResolverMiddleware
	var mu sync.Mutex
	oc.ResolverMiddleware = func(ctx context.Context, next graphql.Resolver) (any, error) {
		mu.Lock()
		defer mu.Unlock()
		return previous(ctx, next)
	}
	return nil
}

// InterceptOperation runs a mutation's resolvers in one transaction. Add it
// after every other operation interceptor: the innermost, it opens no
// transaction for an operation another one refuses.
func (t transactioner) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	fields := mutationFields(graphql.GetOperationContext(ctx))
	if len(fields) == 0 || standaloneOnly(fields) {
		return next(ctx)
	}
	responses := next(ctx)
	// A mutation has one response. The websocket asks again until it gets
	// nil, and that call must neither open a transaction nor run anything.
	var answered atomic.Bool
	return func(ctx context.Context) *graphql.Response {
		if !answered.CompareAndSwap(false, true) {
			return nil
		}
		return t.inTx(ctx, responses)
	}
}

// errAnswered rolls back an operation that answered with errors (or not
// at all): ent.WithTx commits only what returns no error.
var errAnswered = errors.New("the mutation answered with errors")

// inTx runs one response in a transaction (ent.WithTx, which puts it in the
// context the resolvers and the services they call join): committed when it
// has no error, rolled back otherwise.
func (t transactioner) inTx(ctx context.Context, responses graphql.ResponseHandler) *graphql.Response {
	ran := false
	rsp, err := ent.WithTx(ctx, t.client, func(ctx context.Context, _ *ent.Client) (*graphql.Response, error) {
		ran = true
		rsp := responses(ctx)
		if rsp == nil || len(rsp.Errors) > 0 {
			return rsp, errAnswered
		}
		return rsp, nil
	})
	switch {
	case errors.Is(err, errAnswered):
		if rsp == nil {
			return nil
		}
		// Executed, then rolled back: data null (none of it stands) beside
		// the errors, not a request error (the GraphQL-over-HTTP draft's 294).
		return &graphql.Response{Data: json.RawMessage("null"), Errors: rsp.Errors, Extensions: rsp.Extensions}
	case err != nil && !ran:
		return t.failed(ctx, "could not open a transaction for the mutation; nothing was run", err)
	case err != nil:
		return t.failed(ctx, "did not commit the mutation", err)
	}
	return rsp
}

// failed answers a transaction the database refused: TIMEOUT or
// UNAVAILABLE when the deadline or the database is at fault (the one
// classifier decides), else an internal error logged once, redacted, and
// answered without the driver's message (it names tables).
func (t transactioner) failed(ctx context.Context, what string, err error) *graphql.Response {
	e := classify.Respond(ctx, t.log, "mutation transaction", err)
	msg := e.Message
	if e.Code == apperr.CodeInternal {
		msg = "internal error: the database " + what
	}
	return errorResponse(ctx, &apperr.Error{Code: e.Code, Message: msg})
}
