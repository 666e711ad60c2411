package main

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/lib/pq"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/apperr/classify"
	"github.com/leasegraph/leasegraph/screening"
	"github.com/leasegraph/leasegraph/viewer"
)

// Subscriptions: GraphQL over a websocket (graphql-transport-ws), each
// connection authenticated by its connection_init payload, and the
// notices that wake subscribers: in-process on SQLite, LISTEN/NOTIFY on
// PostgreSQL so that every server instance hears every change.

// websocketTransport serves subscriptions. Browsers cannot set headers on a
// websocket, so the token comes in connection_init's payload, as
// {"Authorization": "Bearer <token>"} or {"authToken": "<token>"}; a
// connection opened with an Authorization header is authenticated already.
// A connection lives longer than its token may: every operation re-checks
// the token (and spends its rate limit) before it runs, and a watcher
// closes the socket (4401) within limits.SocketRecheck of a revocation.
func (a *app) websocketTransport() socketTransport {
	return socketTransport{a: a, Websocket: transport.Websocket{
		Implementation:        socketAcceptor{},
		KeepAlivePingInterval: 15 * time.Second,
		InitTimeout:           10 * time.Second,
		InitFunc:              a.initSocket,
		CloseFunc: func(ctx context.Context, _ int) {
			if s := socketFrom(ctx); s != nil && s.cancel != nil {
				s.cancel()
			}
		},
	}}
}

// Close codes beyond RFC 6455's, in the 4xxx range graphql-transport-ws
// uses for its own (4401, 4403).
const (
	closeUnauthorized    = 4401
	closeForbidden       = 4403
	closeTooManyRequests = 4429
)

func (a *app) initSocket(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	s := socketFrom(ctx)
	if s == nil {
		s = &socket{addr: "unknown"}
		ctx = withSocket(ctx, s)
	}
	deny := func(code int, reason, msg string) (context.Context, *transport.InitPayload, error) {
		ctx = transport.WithWebsocketCloseCode(ctx, code)
		ctx = transport.AppendCloseReason(ctx, reason)
		return ctx, nil, errors.New(msg)
	}
	v, key := viewer.FromContext(ctx), tokenKeyFrom(ctx)
	if v == nil {
		secret, ok := bearer(p.Authorization())
		if !ok {
			secret = strings.TrimSpace(p.GetString("authToken"))
			ok = secret != ""
		}
		if !ok {
			return deny(closeForbidden, "Forbidden", `send an API token in connection_init's payload: {"Authorization": "Bearer <token>"}`)
		}
		var err error
		v, key, err = a.authenticateSecret(ctx, s.addr, secret)
		if ae, ok := apperr.As(err); ok && ae.Code == apperr.CodeRateLimited {
			return deny(closeTooManyRequests, "Too many requests", ae.Message)
		} else if ok {
			return deny(closeForbidden, "Forbidden", ae.Message)
		} else if err != nil {
			return deny(closeForbidden, "Forbidden", classify.Respond(ctx, a.log, "authenticating a websocket", err).Message)
		}
	}
	if !a.limiters.openSocket(key) {
		return deny(closeTooManyRequests, "Too many requests", "this API token holds the most websockets it may open at once; close one first")
	}
	ctx, cancel := context.WithCancel(ctx)
	s.tokenID, s.tokenKey, s.cancel = v.TokenID, key, cancel
	go func() {
		a.watchSocket(ctx, s) // returns once the socket is closed
		a.limiters.closeSocket(key)
	}()
	return viewer.NewContext(ctx, v), nil, nil
}

// watchSocket closes the socket once its token is revoked, even when the
// client sends nothing (a subscription may stay open for hours). Each open
// socket costs one indexed lookup per interval.
func (a *app) watchSocket(ctx context.Context, s *socket) {
	every := a.limits.SocketRecheck
	if every <= 0 {
		every = defaultSocketRecheck
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := a.recheckToken(ctx, s); err != nil {
			if err.Code == apperr.CodeUnauthenticated {
				s.close(closeUnauthorized, "Unauthorized: the API token was revoked")
				return
			}
		}
	}
}

// recheckToken asks the database whether the socket's token still stands.
// A failure to ask is not a revocation: the socket stays open.
func (a *app) recheckToken(ctx context.Context, s *socket) *apperr.Error {
	if s.tokenID == 0 {
		return nil
	}
	// The check runs before the operation's own deadline starts, so it
	// needs one of its own: a stalled database must not hold the socket.
	check, cancel := context.WithTimeout(ctx, a.timeout())
	defer cancel()
	_, err := a.tenancy.ViewerForToken(check, s.tokenID)
	if err == nil {
		return nil
	}
	if ae, ok := apperr.As(err); ok {
		a.limiters.tokens.Forget(s.tokenKey)
		return ae
	}
	if ctx.Err() == nil && check.Err() != nil {
		return classify.Timeout(a.timeout())
	}
	if ctx.Err() == nil {
		a.log.WarnContext(ctx, "re-checking a websocket's token", "error", err.Error())
		return &apperr.Error{Code: apperr.CodeInternal, Message: "internal error"}
	}
	return nil
}

// socket is one websocket connection's state, shared by the transport's
// hooks through the request context.
type socket struct {
	// addr is the client address's rate-limit key.
	addr string
	// conn is set when the connection is accepted.
	conn *socketConn
	// Set by initSocket, before any operation or the watcher starts.
	tokenID  int
	tokenKey string
	cancel   context.CancelFunc
}

// close ends the connection with code: cancelling the connection's context
// makes gqlgen stop its operations and close the socket, and socketConn
// puts this code and reason on the close frame instead of gqlgen's 1000.
func (s *socket) close(code int, reason string) {
	if s.conn != nil {
		s.conn.closeWith(code, reason)
	}
	if s.cancel != nil {
		s.cancel()
	}
}

type socketCtx struct{}

func withSocket(ctx context.Context, s *socket) context.Context {
	return context.WithValue(ctx, socketCtx{}, s)
}

func socketFrom(ctx context.Context) *socket {
	s, _ := ctx.Value(socketCtx{}).(*socket)
	return s
}

// socketAcceptor is gqlgen's coder/websocket adapter that hands the
// connection to the request's socket, so the server can close it with a
// code of its choosing.
type socketAcceptor struct{}

func (socketAcceptor) Accept(w http.ResponseWriter, r *http.Request, opts transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	conn, err := transport.CoderWebsocketImplementation{}.Accept(w, r, opts)
	if err != nil {
		return nil, err
	}
	c := &socketConn{WebsocketConn: conn}
	if s := socketFrom(r.Context()); s != nil {
		s.conn = c
	}
	return c, nil
}

// socketConn overrides the close code and reason once closeWith was called.
// It keeps the optional read limit and deadline of the connection it wraps
// (without them gqlgen would enforce neither).
type socketConn struct {
	transport.WebsocketConn
	mu     sync.Mutex
	code   int
	reason string
}

func (c *socketConn) closeWith(code int, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.code == 0 {
		c.code, c.reason = code, reason
	}
}

func (c *socketConn) WriteClose(code int, msg string) error {
	c.mu.Lock()
	if c.code != 0 {
		code, msg = c.code, c.reason
	}
	c.mu.Unlock()
	return c.WebsocketConn.WriteClose(code, msg)
}

func (c *socketConn) SetReadLimit(n int64) {
	if l, ok := c.WebsocketConn.(transport.WebsocketReadLimiter); ok {
		l.SetReadLimit(n)
	}
}

func (c *socketConn) SetReadDeadline(t time.Time) error {
	if d, ok := c.WebsocketConn.(transport.WebsocketReadDeadliner); ok {
		return d.SetReadDeadline(t)
	}
	return nil
}

// socketTransport is the websocket transport whose operations pass
// through socketExec.
type socketTransport struct {
	transport.Websocket
	a *app
}

// Do serves one connection.
func (t socketTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	t.Websocket.Do(w, r, socketExec{GraphExecutor: exec, a: t.a})
}

// socketExec admits each operation over a websocket: within the token's
// rate limit, and only while the token stands (a lookup by id). A refused
// operation gets one error (RATE_LIMITED or UNAUTHENTICATED) and runs
// nothing; after an UNAUTHENTICATED one the socket is closed (4401). A
// subscription's later events are checked too, so a revoked token receives
// nothing more.
type socketExec struct {
	graphql.GraphExecutor
	a *app
}

func (x socketExec) DispatchOperation(ctx context.Context, rc *graphql.OperationContext) (graphql.ResponseHandler, context.Context) {
	s := socketFrom(ctx)
	if s == nil {
		return x.GraphExecutor.DispatchOperation(ctx, rc)
	}
	if ok, wait := x.a.limiters.tokens.Allow(s.tokenKey); !ok {
		return graphql.OneShot(errorResponse(rateLimited("this API token's request rate limit is reached", wait))), ctx
	}
	if err := x.a.recheckToken(ctx, s); err != nil {
		return refuseAndClose(s, err), ctx
	}
	h, ctx := x.GraphExecutor.DispatchOperation(ctx, rc)
	if rc.Operation == nil || rc.Operation.Operation != ast.Subscription {
		return h, ctx
	}
	first := true
	return func(ctx context.Context) *graphql.Response {
		resp := h(ctx)
		if resp == nil || first {
			first = false
			return resp
		}
		if err := x.a.recheckToken(ctx, s); err != nil && err.Code == apperr.CodeUnauthenticated {
			h = refuseAndClose(s, err)
			return h(ctx)
		}
		return resp
	}, ctx
}

// refuseAndClose answers err, then closes the socket when err says the
// token no longer stands. The close waits for the transport to ask for the
// next response, by which time the error has been written.
func refuseAndClose(s *socket, err *apperr.Error) graphql.ResponseHandler {
	sent := false
	return func(context.Context) *graphql.Response {
		if !sent {
			sent = true
			return errorResponse(err)
		}
		if err.Code == apperr.CodeUnauthenticated {
			s.close(closeUnauthorized, "Unauthorized: the API token was revoked")
		}
		return nil
	}
}

func errorResponse(e *apperr.Error) *graphql.Response {
	ext := map[string]any{"code": e.Code}
	for k, v := range e.Extensions {
		ext[k] = v
	}
	return &graphql.Response{Errors: gqlerror.List{{Message: e.Message, Extensions: ext}}}
}

// graphQLAuth authenticates /graphql requests by their bearer token; a
// websocket upgrade without one is let through to be authenticated by its
// connection_init payload (websocketTransport).
func (a *app) graphQLAuth(h http.Handler) http.Handler {
	withToken := a.authenticate(h, graphQLDenied)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			r = r.WithContext(withSocket(r.Context(), &socket{addr: a.clientKey(r)}))
			if r.Header.Get("Authorization") == "" {
				h.ServeHTTP(w, r)
				return
			}
		}
		withToken.ServeHTTP(w, r)
	})
}

var notSafeInChannel = regexp.MustCompile(`[^a-z0-9_]`)

// pgNotifier carries screening notices between server instances with
// PostgreSQL's LISTEN/NOTIFY. Channels are database-wide, so the channel is
// named after the schema: instances on other schemas never hear it.
type pgNotifier struct {
	channel  string
	db       *sql.DB
	listener *pq.Listener
}

// startPGNotifier listens for notices on dsn's database and wires broker:
// its Send notifies, and every notice heard is delivered to the local
// subscribers. Call it before the broker is used. stop ends the listener.
func startPGNotifier(ctx context.Context, dsn string, db *sql.DB, broker *screening.Broker, log *slog.Logger) (stop func(), err error) {
	var schema string
	if err := db.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return nil, err
	}
	channel := "leasegraph_screening_" + notSafeInChannel.ReplaceAllString(strings.ToLower(schema), "_")
	if len(channel) > 63 {
		channel = channel[:63]
	}
	listener := pq.NewListener(dsn, 100*time.Millisecond, 10*time.Second, func(ev pq.ListenerEventType, err error) {
		if err != nil {
			log.Warn("screening notice listener", "event", int(ev), "error", err.Error())
		}
	})
	if err := listener.Listen(channel); err != nil {
		listener.Close()
		return nil, err
	}
	n := &pgNotifier{channel: channel, db: db, listener: listener}
	broker.Send = n.send
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case msg, ok := <-listener.Notify:
				if !ok {
					return
				}
				if msg == nil {
					// Reconnected: notices may have been missed; everyone reloads.
					broker.DeliverAll()
					continue
				}
				if id, err := strconv.Atoi(msg.Extra); err == nil {
					broker.Deliver(id)
				}
			case <-time.After(90 * time.Second):
				go func() { _ = listener.Ping() }()
			}
		}
	}()
	return func() {
		listener.Close()
		<-done
	}, nil
}

func (n *pgNotifier) send(ctx context.Context, id int) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_, err := n.db.ExecContext(ctx, "SELECT pg_notify($1, $2)", n.channel, strconv.Itoa(id))
	return err
}

// Hijack lets the websocket transport take over a logged connection.
func (s *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	s.status = http.StatusSwitchingProtocols
	return http.NewResponseController(s.ResponseWriter).Hijack()
}

// Unwrap gives http.ResponseController the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
