package handler

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/apperr/classify"
	"github.com/leasegraph/leasegraph/tenancy"
	"github.com/leasegraph/leasegraph/tenancy/guard"
	"github.com/leasegraph/leasegraph/viewer"
)

// Subscriptions (and any operation): GraphQL over a websocket
// (graphql-transport-ws), each connection authenticated by its
// connection_init payload.

// websocketTransport serves subscriptions. Browsers cannot set headers on a
// websocket, so the token comes in connection_init's payload, as
// {"Authorization": "Bearer <token>"} or {"authToken": "<token>"}; a
// connection opened with an Authorization header is authenticated already.
// A connection lives longer than its token may: every operation re-checks
// the token (and spends its rate limit) before it runs, and a watcher
// closes the socket (4401) within cfg.SocketRecheck of a revocation.
func websocketTransport(cfg Config, log *slog.Logger) socketTransport {
	a := &sockets{guard: cfg.Guard, tenancy: cfg.Tenancy, log: log, timeout: cfg.OperationTimeout, recheck: cfg.SocketRecheck, open: cfg.Sockets}
	if a.open == nil {
		a.open = &OpenSockets{}
	}
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
	// CloseGoingAway is RFC 6455's 1001: the server is stopping, and a
	// client may reconnect (to another instance, or to this one restarted).
	CloseGoingAway       = 1001
	CloseUnauthorized    = 4401
	CloseForbidden       = 4403
	CloseTooManyRequests = 4429
)

// sockets is what the websocket transport's hooks share.
type sockets struct {
	guard   *guard.Guard
	tenancy *tenancy.Service
	log     *slog.Logger
	// timeout bounds a token re-check; recheck is how often an idle
	// socket's token is re-checked.
	timeout, recheck time.Duration
	open             *OpenSockets
}

// OpenSockets is the registry of a server's open websockets, so that a
// stopping server can close them: net/http's Shutdown neither tracks nor
// waits for a hijacked connection, which would otherwise just be cut when
// the process exits, without a close frame.
type OpenSockets struct {
	mu      sync.Mutex
	open    map[*socket]chan struct{} // closed once the connection has ended
	closing bool
}

// add registers s; false once GoingAway was called.
func (o *OpenSockets) add(s *socket) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closing {
		return false
	}
	if o.open == nil {
		o.open = map[*socket]chan struct{}{}
	}
	o.open[s] = make(chan struct{})
	return true
}

// ended unregisters s once its connection has ended (close frame sent).
func (o *OpenSockets) ended(s *socket) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if done, ok := o.open[s]; ok {
		close(done)
		delete(o.open, s)
	}
}

// GoingAway closes every open websocket with 1001 (their operations are
// cancelled, so subscriptions end) and refuses any socket that completes
// its connection_init afterwards. It does not wait: see Wait.
func (o *OpenSockets) GoingAway() {
	o.mu.Lock()
	o.closing = true
	open := make([]*socket, 0, len(o.open))
	for s := range o.open {
		open = append(open, s)
	}
	o.mu.Unlock()
	for _, s := range open {
		s.close(CloseGoingAway, "Going away: the server is stopping")
	}
}

// Wait returns once every registered websocket's connection has ended, or
// when ctx ends, so that the process does not exit before the close
// frames are written.
func (o *OpenSockets) Wait(ctx context.Context) error {
	o.mu.Lock()
	pending := make([]chan struct{}, 0, len(o.open))
	for _, done := range o.open {
		pending = append(pending, done)
	}
	o.mu.Unlock()
	for _, done := range pending {
		select {
		case <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (a *sockets) initSocket(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
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
	v, key := viewer.FromContext(ctx), guard.TokenKey(ctx)
	if v == nil {
		secret, ok := guard.Bearer(p.Authorization())
		if !ok {
			secret = strings.TrimSpace(p.GetString("authToken"))
			ok = secret != ""
		}
		if !ok {
			return deny(CloseForbidden, "Forbidden", `send an API token in connection_init's payload: {"Authorization": "Bearer <token>"}`)
		}
		var err error
		v, key, err = a.guard.Authenticate(ctx, s.addr, secret)
		if ae, ok := apperr.As(err); ok && ae.Code == apperr.CodeRateLimited {
			return deny(CloseTooManyRequests, "Too many requests", ae.Message)
		} else if ok {
			return deny(CloseForbidden, "Forbidden", ae.Message)
		} else if err != nil {
			return deny(CloseForbidden, "Forbidden", classify.Respond(ctx, a.log, "authenticating a websocket", err).Message)
		}
	}
	if !a.open.add(s) {
		return deny(CloseGoingAway, "Going away", "the server is stopping; connect again")
	}
	if !a.guard.OpenSocket(key) {
		return deny(CloseTooManyRequests, "Too many requests", "this API token holds the most websockets it may open at once; close one first")
	}
	ctx, cancel := context.WithCancel(ctx)
	s.tokenID, s.tokenKey, s.cancel = v.TokenID, key, cancel
	go func() {
		a.watchSocket(ctx, s) // returns once the socket is closed
		a.guard.CloseSocket(key)
	}()
	return viewer.NewContext(ctx, v), nil, nil
}

// watchSocket closes the socket once its token is revoked, even when the
// client sends nothing (a subscription may stay open for hours). Each open
// socket costs one indexed lookup per interval.
func (a *sockets) watchSocket(ctx context.Context, s *socket) {
	t := time.NewTicker(a.recheck)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := a.recheckToken(ctx, s); err != nil {
			if err.Code == apperr.CodeUnauthenticated {
				s.close(CloseUnauthorized, "Unauthorized: the API token was revoked")
				return
			}
		}
	}
}

// recheckToken asks the database whether the socket's token still stands.
// A failure to ask is not a revocation: the socket stays open.
func (a *sockets) recheckToken(ctx context.Context, s *socket) *apperr.Error {
	if s.tokenID == 0 {
		return nil
	}
	// The check runs before the operation's own deadline starts, so it
	// needs one of its own: a stalled database must not hold the socket.
	check, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	_, err := a.tenancy.ViewerForToken(check, s.tokenID)
	if err == nil {
		return nil
	}
	if ae, ok := apperr.As(err); ok {
		a.guard.ForgetToken(s.tokenKey)
		return ae
	}
	if ctx.Err() == nil && check.Err() != nil {
		return classify.Timeout(a.timeout)
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

// WithSocketAddr marks a websocket upgrade request with its client
// address's rate-limit key, which connection_init's authentication spends
// from. The HTTP middleware calls it before the transport accepts.
func WithSocketAddr(ctx context.Context, addr string) context.Context {
	return withSocket(ctx, &socket{addr: addr})
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
	a *sockets
}

// Do serves one connection.
// It returns once the connection has ended, which is when the registry
// lets the socket go.
func (t socketTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	s := socketFrom(r.Context())
	if s == nil { // not through the server's middleware (WithSocketAddr)
		s = &socket{addr: "unknown"}
		r = r.WithContext(withSocket(r.Context(), s))
	}
	defer t.a.open.ended(s)
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
	a *sockets
}

func (x socketExec) DispatchOperation(ctx context.Context, rc *graphql.OperationContext) (graphql.ResponseHandler, context.Context) {
	s := socketFrom(ctx)
	if s == nil {
		return x.GraphExecutor.DispatchOperation(ctx, rc)
	}
	if ok, wait := x.a.guard.AllowToken(s.tokenKey); !ok {
		return graphql.OneShot(errorResponse(ctx, guard.RateLimited("this API token's request rate limit is reached", wait))), ctx
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
// token no longer stands. The close waits until the transport has finished
// the operation: gqlgen writes the operation's "complete" and only then
// cancels the operation's context, so a client reads the error and the
// complete before the close frame.
func refuseAndClose(s *socket, err *apperr.Error) graphql.ResponseHandler {
	sent := false
	return func(ctx context.Context) *graphql.Response {
		if !sent {
			sent = true
			return errorResponse(ctx, err)
		}
		if err.Code == apperr.CodeUnauthenticated {
			go func() {
				<-ctx.Done()
				s.close(CloseUnauthorized, "Unauthorized: the API token was revoked")
			}()
		}
		return nil
	}
}
