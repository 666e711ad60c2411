package handler

import (
	"context"
	"errors"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/leasegraph/leasegraph/apperr/classify"
)

// Every query and mutation runs under a deadline (LEASEGRAPH_REQUEST_TIMEOUT):
// over HTTP, the route's middleware sets it for the whole request; over the
// websocket, operationDeadline sets it per operation.

// operationDeadline gives each query and mutation that arrives without a
// request deadline (those sent over a websocket) one of d, answering
// TIMEOUT on time even if the work cannot stop. Subscriptions are left
// alone: they are meant to live as long as the socket.
func operationDeadline(d time.Duration) graphql.OperationMiddleware {
	return func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		op := graphql.GetOperationContext(ctx)
		if _, ok := classify.Deadline(ctx); ok || op.Operation == nil || op.Operation.Operation == ast.Subscription {
			return next(ctx)
		}
		ctx, cancel := context.WithTimeout(classify.WithDeadline(ctx, d), d)
		handler := next(ctx)
		// Transports call a response handler until it returns nil; a query
		// or mutation answers once.
		first, timedOut := true, false
		return func(rctx context.Context) *graphql.Response {
			if !first {
				if timedOut {
					return nil // the abandoned call may still be running: never call it again
				}
				return handler(rctx)
			}
			first = false
			defer cancel()
			// Resolvers run in the context the response handler is called
			// with. gqlgen's transports pass one that descends from ctx;
			// deriving it again keeps the deadline on resolvers' SQL
			// whatever context a transport passes.
			deadline, _ := ctx.Deadline()
			rctx, cancelRun := context.WithDeadline(rctx, deadline)
			stop := context.AfterFunc(ctx, cancelRun)
			defer stop()
			res := make(chan *graphql.Response, 1)
			go func() { defer cancelRun(); res <- handler(rctx) }()
			select {
			case r := <-res:
				return r
			case <-ctx.Done():
				select {
				case r := <-res:
					return r
				default:
				}
				timedOut = true
				if errors.Is(ctx.Err(), context.Canceled) {
					return nil // the socket closed or the client stopped the operation
				}
				return errorResponse(ctx, classify.Timeout(d))
			}
		}
	}
}
