// Package notify carries screening notices between server instances with
// PostgreSQL's LISTEN/NOTIFY, so that a subscriber on one instance hears a
// change made on another. On SQLite (one process) the broker's in-process
// delivery is all there is, and nothing here runs.
package notify

import (
	"context"
	"database/sql"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/leasegraph/leasegraph/screening"
)

var notSafeInChannel = regexp.MustCompile(`[^a-z0-9_]`)

// pgNotifier carries screening notices between server instances with
// PostgreSQL's LISTEN/NOTIFY. Channels are database-wide, so the channel is
// named after the schema: instances on other schemas never hear it.
type pgNotifier struct {
	channel  string
	db       *sql.DB
	listener *pq.Listener
}

// Start listens for notices on dsn's database and wires broker:
// its Send notifies, and every notice heard is delivered to the local
// subscribers. Call it before the broker is used. stop ends the listener.
func Start(ctx context.Context, dsn string, db *sql.DB, broker *screening.Broker, log *slog.Logger) (stop func(), err error) {
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
