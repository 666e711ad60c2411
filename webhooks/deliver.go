package webhooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/webhookdelivery"
	"github.com/leasegraph/leasegraph/events"
	"github.com/leasegraph/leasegraph/internal/textlimit"
	"github.com/leasegraph/leasegraph/internal/workflow"
	"github.com/leasegraph/leasegraph/viewer"
	"github.com/leasegraph/leasegraph/webhooks/safehttp"
	"github.com/leasegraph/leasegraph/webhooks/secretbox"
	"github.com/leasegraph/leasegraph/webhooks/signature"
)

// Schedule is the wait before each attempt of a delivery: the Standard
// Webhooks specification's example schedule (immediately, 5 seconds, 5
// minutes, 30 minutes, 2, 5, 10, 14, 20 and 24 hours), so ten attempts over
// about three days. Each wait after the first gets up to ±10% jitter, so
// the retries of a burst do not arrive together.
var Schedule = []time.Duration{0, 5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour,
	5 * time.Hour, 10 * time.Hour, 14 * time.Hour, 20 * time.Hour, 24 * time.Hour}

// DisableAfter is how long an endpoint may fail without one success before
// it is disabled (Svix's rule, which integrators know).
const DisableAfter = 5 * 24 * time.Hour

// MaxRetryAfter bounds the wait a 429 or 503's Retry-After may ask.
const MaxRetryAfter = 24 * time.Hour

// keptAnswer is how much of an answer an attempt keeps for the graph.
const keptAnswer = 1024

// Deliverer makes one attempt of a delivery. One per process: Slots bound
// its deliveries per endpoint across the process's workers.
type Deliverer struct {
	DB  *ent.Client
	Box *secretbox.Box
	// HTTP sends the requests: safehttp's client (no redirects, no
	// private addresses unless allowed, the attempt's timeout), wrapped by
	// the metrics and traces.
	HTTP *http.Client
	// MaxAnswer is how much of an answer is read (safehttp.ReadBody).
	MaxAnswer int64
	Slots     *Slots
	// Now is the clock; nil: time.Now.
	Now func() time.Time
	// AsyncCommit (PostgreSQL) commits an attempt's record without waiting
	// for its WAL to reach the disk. Waiting for that flush, one commit per
	// delivery, was what bounded the deliveries a second. It is safe: River
	// marks the job completed after the record commits, in a synchronous
	// commit whose flush covers the WAL written before it, so a crash loses
	// the record only with the job's completion, and the rescued job
	// delivers again with the same webhook-id (at least once, as the
	// specification allows).
	AsyncCommit bool
}

func (d *Deliverer) now() time.Time {
	if d.Now != nil {
		return d.Now().UTC()
	}
	return time.Now().UTC()
}

// Deliver makes the next attempt of delivery id (to endpoint, when the
// job names it) and says what the queue
// does next: done (SUCCEEDED, FAILED, or nothing left to do), a snooze
// until the next attempt (retries are the delivery's own, counted on its
// row, so River's attempts and backoff stay out of the schedule), or a
// retry when the database failed.
func (d *Deliverer) Deliver(ctx context.Context, id, endpoint int) workflow.Outcome {
	if wait, stalled := d.Slots.stalled(endpoint); stalled {
		return workflow.Snooze(wait)
	}
	ctx = viewer.SystemContext(ctx)
	// The delivery, its endpoint and only then its event: a delivery that
	// finds its endpoint's slots taken snoozes having read two small rows.
	del, err := d.DB.WebhookDelivery.Get(ctx, id)
	if ent.IsNotFound(err) {
		return workflow.Done() // the endpoint was deleted, or the event pruned
	}
	if err != nil {
		return workflow.Retry(err)
	}
	if del.Status != webhookdelivery.StatusPENDING {
		return workflow.Done()
	}
	ep, err := d.DB.WebhookEndpoint.Get(ctx, del.EndpointID)
	if ent.IsNotFound(err) {
		return workflow.Done()
	}
	if err != nil {
		return workflow.Retry(err)
	}
	now := d.now()
	if ep.DisabledAt != nil {
		return d.end(ctx, del, webhookdelivery.StatusFAILED, "the endpoint is disabled: "+ep.DisabledReason)
	}
	if del.NextAttemptAt != nil && del.NextAttemptAt.After(now.Add(time.Second)) {
		// A job run early (rescued, or re-queued): wait for its time.
		return workflow.Snooze(del.NextAttemptAt.Sub(now))
	}
	release, wait := d.Slots.take(ctx, ep)
	if release == nil {
		return workflow.Snooze(wait)
	}
	defer release()
	ev, err := d.DB.Event.Get(ctx, del.EventID)
	if ent.IsNotFound(err) {
		return workflow.Done()
	}
	if err != nil {
		return workflow.Retry(err)
	}
	keys, err := d.keys(ep, now)
	if err != nil {
		return d.end(ctx, del, webhookdelivery.StatusFAILED, "the endpoint's secret cannot be read: "+err.Error())
	}
	res := d.send(ctx, ep.URL, events.WebhookID(ev), events.Body(ev), keys, now)
	return d.record(ctx, del, ep, res, now)
}

// keys are the endpoint's signing keys: the current secret, then the
// previous one while a rotation's overlap lasts.
func (d *Deliverer) keys(ep *ent.WebhookEndpoint, now time.Time) ([][]byte, error) {
	open := func(sealed []byte) ([]byte, error) {
		s, err := d.Box.Open(sealed, secretLabel)
		if err != nil {
			return nil, err
		}
		return signature.ParseSecret(string(s))
	}
	cur, err := open(ep.Secret)
	if err != nil {
		return nil, err
	}
	keys := [][]byte{cur}
	if ep.PreviousSecret != nil && ep.PreviousSecretExpiresAt != nil && now.Before(*ep.PreviousSecretExpiresAt) {
		if prev, err := open(*ep.PreviousSecret); err == nil {
			keys = append(keys, prev)
		}
	}
	return keys, nil
}

// result is what one request got.
type result struct {
	status     int // 0: no answer
	answer     string
	err        error
	took       time.Duration
	retryAfter time.Duration
}

func (d *Deliverer) send(ctx context.Context, target, id string, body []byte, keys [][]byte, now time.Time) result {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return result{err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "leasegraph-webhooks/1")
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("webhook-signature", signature.Sign(keys, id, now, body))
	start := time.Now()
	resp, err := d.HTTP.Do(req)
	if err != nil {
		// net/http's error quotes the URL, which the attempt's record
		// need not repeat (a receiver's query string may hold its key).
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return result{err: err, took: time.Since(start)}
	}
	defer resp.Body.Close()
	b, rerr := safehttp.ReadBody(resp.Body, d.MaxAnswer)
	r := result{status: resp.StatusCode, answer: answerText(b), took: time.Since(start)}
	if rerr != nil && !ok2xx(resp.StatusCode) {
		r.err = rerr
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		r.retryAfter = retryAfter(resp.Header.Get("Retry-After"), now)
	}
	return r
}

func ok2xx(code int) bool { return code >= 200 && code < 300 }

// answerText keeps the first keptAnswer bytes of an answer as valid UTF-8.
func answerText(b []byte) string {
	if len(b) > keptAnswer {
		b = b[:keptAnswer]
	}
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	for utf8.RuneCountInString(s) > keptAnswer {
		_, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
	}
	return s
}

// retryAfter reads Retry-After (seconds, or an HTTP date), capped; 0 when
// absent or unreadable.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.Atoi(v); err == nil {
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), MaxRetryAfter)
}

// record writes the attempt and what follows from it, in one transaction.
func (d *Deliverer) record(ctx context.Context, del *ent.WebhookDelivery, ep *ent.WebhookEndpoint, r result, now time.Time) workflow.Outcome {
	var out workflow.Outcome
	err := ent.InTx(ctx, d.DB, func(ctx context.Context, db *ent.Client) error {
		if d.AsyncCommit {
			tx, err := ent.SQLTx(db)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "SET LOCAL synchronous_commit TO OFF"); err != nil {
				return err
			}
		}
		a := db.WebhookAttempt.Create().SetClientID(del.ClientID).SetDeliveryID(del.ID).SetCreatedAt(now).
			SetDurationMs(int(r.took.Milliseconds())).SetResponse(r.answer)
		u := db.WebhookDelivery.UpdateOne(del).AddAttemptCount(1)
		if r.status != 0 {
			a.SetStatusCode(r.status)
			u.SetLastStatusCode(r.status)
		} else {
			u.ClearLastStatusCode()
		}
		problem := describe(r)
		a.SetError(textlimit.Cut(problem, textlimit.ErrorLen))
		if _, err := a.Save(ctx); err != nil {
			return err
		}
		epu := db.WebhookEndpoint.UpdateOne(ep)
		attempts := del.AttemptCount + 1
		switch {
		case ok2xx(r.status):
			u.SetStatus(webhookdelivery.StatusSUCCEEDED).SetDeliveredAt(now).ClearNextAttemptAt().SetLastError("")
			// The endpoint's row is every delivery's to it: written at
			// most once a minute while all is well, so that concurrent
			// deliveries do not queue on its lock.
			if ep.FailingSince != nil || ep.LastSuccessAt == nil || now.Sub(*ep.LastSuccessAt) >= time.Minute {
				epu.SetLastSuccessAt(now).ClearFailingSince()
			}
			out = workflow.Done()
		case r.status == http.StatusGone:
			u.SetStatus(webhookdelivery.StatusFAILED).ClearNextAttemptAt().SetLastError("410 Gone: the endpoint was disabled")
			epu.SetDisabledAt(now).SetDisabledReason("the endpoint answered 410 Gone at " + now.Format(time.RFC3339))
			out = workflow.Done()
		default:
			u.SetLastError(textlimit.Cut(problem, textlimit.ErrorLen))
			since := now
			if ep.FailingSince != nil {
				since = *ep.FailingSince
			} else {
				epu.SetFailingSince(now)
			}
			wait, more := nextWait(attempts, r.retryAfter)
			switch {
			case now.Sub(since) >= DisableAfter:
				epu.SetDisabledAt(now).SetDisabledReason(fmt.Sprintf("no successful delivery since %s (5 days): the last attempt got %s",
					since.Format(time.RFC3339), textlimit.Cut(problem, 300)))
				u.SetStatus(webhookdelivery.StatusFAILED).ClearNextAttemptAt()
				out = workflow.Done()
			case !more:
				u.SetStatus(webhookdelivery.StatusFAILED).ClearNextAttemptAt()
				out = workflow.Done()
			default:
				u.SetNextAttemptAt(now.Add(wait))
				out = workflow.Snooze(wait)
			}
		}
		if _, err := u.Save(ctx); err != nil {
			return err
		}
		if len(epu.Mutation().Fields()) == 0 && len(epu.Mutation().ClearedFields()) == 0 {
			return nil
		}
		return epu.Exec(ctx)
	})
	if err != nil {
		return workflow.Retry(err)
	}
	return out
}

// nextWait is the wait before the attempt after the attempts made, and
// whether there is one: Retry-After when the endpoint asked, else the
// schedule's next step with jitter.
func nextWait(attempts int, asked time.Duration) (time.Duration, bool) {
	if attempts >= len(Schedule) {
		return 0, false
	}
	if asked > 0 {
		return asked, true
	}
	return jitter(Schedule[attempts]), true
}

func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return d
	}
	return d + time.Duration((rand.Float64()*0.2-0.1)*float64(d))
}

// describe says why an attempt did not succeed ("" when it did).
func describe(r result) string {
	switch {
	case r.err != nil && errors.Is(r.err, safehttp.ErrRefused):
		return "refused before connecting: " + r.err.Error()
	case r.err != nil && errors.Is(r.err, context.DeadlineExceeded), r.err != nil && strings.Contains(r.err.Error(), "Client.Timeout"):
		return "no answer within the timeout"
	case r.err != nil && r.status == 0:
		return "no answer: " + r.err.Error()
	case ok2xx(r.status):
		return ""
	case r.status >= 300 && r.status < 400:
		return fmt.Sprintf("%d %s: redirects are not followed", r.status, http.StatusText(r.status))
	default:
		return fmt.Sprintf("%d %s", r.status, http.StatusText(r.status))
	}
}

// end makes a delivery final without an attempt.
func (d *Deliverer) end(ctx context.Context, del *ent.WebhookDelivery, st webhookdelivery.Status, why string) workflow.Outcome {
	err := d.DB.WebhookDelivery.UpdateOne(del).SetStatus(st).ClearNextAttemptAt().
		SetLastError(textlimit.Cut(why, textlimit.ErrorLen)).Exec(ctx)
	if err != nil {
		return workflow.Retry(err)
	}
	return workflow.Done()
}

// Slots bound how many deliveries go to one endpoint at once in this
// process, so a slow or dead endpoint holds at most that many requests and
// the others' deliveries go on. A delivery that finds its endpoint's slots
// taken waits a moment for one when the endpoint is answering (a slot
// freed within the last 250 ms: they free in milliseconds, and a snooze
// would cost the job a round of writes and its place in the queue). When
// none freed lately the requests in them are running towards the timeout:
// the delivery snoozes at once, without an attempt (and, from the job's
// endpoint id, before reading a row), for as long as the endpoint has
// stalled (5 s to 2 min, a minute at least once it is failing), so a dead
// endpoint's backlog neither holds workers nor comes round often.
type Slots struct {
	// Per is the bound per endpoint.
	Per int
	mu  sync.Mutex
	eps map[int]*endpointSlots
}

type endpointSlots struct {
	sem chan struct{}
	// freed is when a slot was last released, or first taken (UnixNano).
	freed atomic.Int64
}

// slotWait is how long a delivery to an answering endpoint waits for a slot.
const slotWait = 2 * time.Second

// answering is how recently a slot must have freed (or the first been
// taken) for the endpoint to count as answering: short, as a healthy
// endpoint frees one every few milliseconds, and a delivery to a dead one
// that counts it answering holds a worker for slotWait.
const answering = 250 * time.Millisecond

// The bounds of a snooze for want of a slot.
const (
	minSlotSnooze = 5 * time.Second
	maxSlotSnooze = 2 * time.Minute
)

func (s *Slots) of(endpoint int) *endpointSlots {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.eps == nil {
		s.eps = map[int]*endpointSlots{}
	}
	es, ok := s.eps[endpoint]
	if !ok {
		es = &endpointSlots{sem: make(chan struct{}, max(s.Per, 1))}
		es.freed.Store(time.Now().UnixNano())
		s.eps[endpoint] = es
	}
	return es
}

// stalled says whether every slot of endpoint is held and none freed
// lately, with the snooze to take; false for endpoint 0 (unknown).
func (s *Slots) stalled(endpoint int) (time.Duration, bool) {
	if endpoint == 0 {
		return 0, false
	}
	es := s.of(endpoint)
	if len(es.sem) < cap(es.sem) {
		return 0, false
	}
	since := time.Since(time.Unix(0, es.freed.Load()))
	if since < answering {
		return 0, false
	}
	return snooze(since), true
}

// snooze is a wait of about stalled, within the bounds, with jitter so
// the waiting ones spread out.
func snooze(stalled time.Duration) time.Duration {
	base := min(max(stalled, minSlotSnooze), maxSlotSnooze)
	return base + time.Duration(rand.Int64N(int64(base)))
}

// take gets a slot and its release, or the snooze to take when none is
// free.
func (s *Slots) take(ctx context.Context, ep *ent.WebhookEndpoint) (func(), time.Duration) {
	es := s.of(ep.ID)
	release := func() {
		es.freed.Store(time.Now().UnixNano())
		<-es.sem
	}
	select {
	case es.sem <- struct{}{}:
		return release, 0
	default:
	}
	since := time.Since(time.Unix(0, es.freed.Load()))
	if ep.FailingSince == nil && since < answering {
		t := time.NewTimer(slotWait)
		defer t.Stop()
		select {
		case es.sem <- struct{}{}:
			return release, 0
		case <-t.C:
		case <-ctx.Done():
		}
	}
	if ep.FailingSince != nil {
		since = max(since, time.Minute)
	}
	return nil, snooze(since)
}
