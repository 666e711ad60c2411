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
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/lib/pq"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/screening"
	"github.com/leasegraph/leasegraph/tenancy"
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
func websocketTransport(client *ent.Client, log *slog.Logger) transport.Websocket {
	return transport.Websocket{
		KeepAlivePingInterval: 15 * time.Second,
		InitTimeout:           10 * time.Second,
		InitFunc: func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
			if viewer.FromContext(ctx) != nil {
				return ctx, nil, nil
			}
			secret, ok := bearer(p.Authorization())
			if !ok {
				secret = strings.TrimSpace(p.GetString("authToken"))
				ok = secret != ""
			}
			deny := func(msg string) (context.Context, *transport.InitPayload, error) {
				ctx = transport.WithWebsocketCloseCode(ctx, 4403)
				ctx = transport.AppendCloseReason(ctx, "Forbidden")
				return ctx, nil, errors.New(msg)
			}
			if !ok {
				return deny(`send an API token in connection_init's payload: {"Authorization": "Bearer <token>"}`)
			}
			v, err := tenancy.Authenticate(ctx, client, secret)
			if err != nil {
				if ae, ok := apperr.As(err); ok {
					return deny(ae.Message)
				}
				log.ErrorContext(ctx, "authenticating a websocket", "error", err.Error())
				return deny("internal error")
			}
			return viewer.NewContext(ctx, v), nil, nil
		},
	}
}

// graphQLAuth authenticates /graphql requests by their bearer token; a
// websocket upgrade without one is let through to be authenticated by its
// connection_init payload (websocketTransport).
func (a *app) graphQLAuth(h http.Handler) http.Handler {
	withToken := a.authenticate(h, graphQLUnauthenticated)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") && r.Header.Get("Authorization") == "" {
			h.ServeHTTP(w, r)
			return
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
