package smartmovetest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Delivery is one postback attempt, for tests to inspect.
type Delivery struct {
	URL           string
	Authorization string // as sent; empty when no credentials were given
	Body          []byte
	Status        int    // the receiver's answer, 0 on a transport error
	Err           string // the transport error, if any
}

type postback struct {
	url, auth string
	body      []byte
}

// postbackQueue is guarded by Server.mu. Postbacks go out in order, one at a
// time, from a single worker; HoldPostbacks lets a test reorder them.
type postbackQueue struct {
	queue      []postback
	held       bool
	inFlight   int
	deliveries []Delivery
	wake       chan struct{}
}

// postbackOut is the spec's postback message (docs/partners/smartmove.md#postbacks):
// applicationId a number, the reference ids strings (or numbers, see
// Options.PostbackNumericIDs), referenceId null when none was posted.
type postbackOut struct {
	ApplicationID       int     `json:"applicationId"`
	CustomerReferenceID any     `json:"customerReferenceId"`
	NotificationText    string  `json:"notificationText"`
	ReportStatus        string  `json:"reportStatus"`
	ReferenceID         any     `json:"referenceId"`
	ReferenceText       *string `json:"referenceText"`
}

// idOut is a reference id as the postback carries it.
func (s *Server) idOut(v string) any {
	if s.opts.PostbackNumericIDs {
		// Only a canonical integer: "007" or "+5" parse but are not JSON numbers.
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && strconv.FormatInt(n, 10) == v {
			return json.Number(v)
		}
	}
	return v
}

// enqueuePostbackLocked queues a postback for a with the application's
// current report status; nothing without a postbackUri. Caller holds s.mu.
func (s *Server) enqueuePostbackLocked(a *application, text string) {
	p := a.params
	if p == nil || p.PostbackURI == "" {
		return
	}
	msg := postbackOut{
		ApplicationID: a.id, CustomerReferenceID: s.idOut(a.ref), NotificationText: text,
		ReportStatus: a.reportStatus(), ReferenceText: p.ReferenceText,
	}
	if p.ReferenceID != nil {
		msg.ReferenceID = s.idOut(p.ReferenceID.value())
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return // unreachable: every id above is a string or a canonical integer
	}
	pb := postback{url: p.PostbackURI, body: body}
	if p.PostbackUsername != "" || p.PostbackPassword != "" {
		// The spec's form, not Basic: base64(user) ":" base64(password).
		enc := base64.StdEncoding
		pb.auth = enc.EncodeToString([]byte(p.PostbackUsername)) + ":" + enc.EncodeToString([]byte(p.PostbackPassword))
	}
	for range s.opts.PostbackCopies {
		s.pb.queue = append(s.pb.queue, pb)
	}
	s.wakeWorker()
}

func (s *Server) wakeWorker() {
	select {
	case s.pb.wake <- struct{}{}:
	default:
	}
}

// HoldPostbacks queues postbacks without sending them until
// ReleasePostbacks or ReleasePostbacksReversed.
func (s *Server) HoldPostbacks() {
	s.mu.Lock()
	s.pb.held = true
	s.mu.Unlock()
}

// ReleasePostbacks sends the held postbacks in order.
func (s *Server) ReleasePostbacks() { s.release(false) }

// ReleasePostbacksReversed sends the held postbacks newest first: the
// out-of-order delivery a receiver must survive.
func (s *Server) ReleasePostbacksReversed() { s.release(true) }

func (s *Server) release(reversed bool) {
	s.mu.Lock()
	if reversed {
		slices.Reverse(s.pb.queue)
	}
	s.pb.held = false
	s.mu.Unlock()
	s.wakeWorker()
}

// Deliveries returns the postback attempts so far, in the order sent.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.pb.deliveries)
}

// FlushPostbacks waits until every postback not held has been attempted.
func (s *Server) FlushPostbacks(ctx context.Context) error {
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for {
		s.mu.Lock()
		idle := s.pb.inFlight == 0 && (s.pb.held || len(s.pb.queue) == 0)
		s.mu.Unlock()
		if idle {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

func (s *Server) deliverLoop() {
	defer s.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { <-s.stop; cancel() }()
	for {
		s.mu.Lock()
		if s.pb.held || len(s.pb.queue) == 0 {
			s.mu.Unlock()
			select {
			case <-s.stop:
				return
			case <-s.pb.wake:
				continue
			}
		}
		next := s.pb.queue[0]
		s.pb.queue = s.pb.queue[1:]
		s.pb.inFlight++
		s.mu.Unlock()

		d := s.send(ctx, next)

		s.mu.Lock()
		s.pb.inFlight--
		s.pb.deliveries = append(s.pb.deliveries, d)
		s.mu.Unlock()
	}
}

// send posts one postback. No retries: the receiver's answer is recorded
// and a test decides what it means.
func (s *Server) send(ctx context.Context, p postback) Delivery {
	d := Delivery{URL: p.url, Authorization: p.auth, Body: p.body}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(p.body))
	if err != nil {
		d.Err = err.Error()
		return d
	}
	req.Header.Set("Content-Type", "application/json")
	if p.auth != "" {
		req.Header.Set("Authorization", p.auth)
	}
	resp, err := s.opts.PostbackClient.Do(req)
	if err != nil {
		d.Err = err.Error()
		return d
	}
	resp.Body.Close()
	d.Status = resp.StatusCode
	return d
}
