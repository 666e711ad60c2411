// Package screening holds the rules of tenant screening through RentPrep
// SmartMove, once: ordering (by link or embedded with a card), adding and
// removing applicants, cancelling, refreshing, postbacks, and the order in
// which statuses may move. GraphQL resolvers and the webhook route call it.
//
// Partner calls the user waits for are synchronous and guarded by a
// ScreeningRequest (the idempotency record): it is committed before
// SmartMove is called, keyed by (client, idempotency key, operation) with a
// unique index, so a concurrent retry finds it and waits for the first
// call's result instead of ordering again.
package screening

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/cards"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/screeningapplication"
	"github.com/leasegraph/leasegraph/events"
	"github.com/leasegraph/leasegraph/smartmove"
	"github.com/leasegraph/leasegraph/viewer"
)

// PostbackPath is where postbacks arrive; each application's URL adds its
// own random key.
const PostbackPath = "/webhooks/smartmove/"

// RefreshEnqueuer inserts a job that calls RefreshApplication, inside the
// caller's database transaction (jobs.Queue implements it).
type RefreshEnqueuer interface {
	EnqueueRefresh(ctx context.Context, tx *sql.Tx, applicationID int) error
}

// Service is the screening service. Its zero value is not usable: set DB.
type Service struct {
	// DB is the root ent client. The service runs its own short
	// transactions: a partner call never holds one open.
	DB *ent.Client
	// SmartMove is the partner client; nil when SmartMove is not configured
	// (every partner call then fails with PARTNER_ERROR).
	SmartMove *smartmove.Client
	// PublicURL is the base of the postback URLs given to SmartMove, e.g.
	// https://api.example.com.
	PublicURL string
	// Broker tells subscribers that an application changed.
	Broker *Broker
	// Log receives operational messages; never a card, key or password.
	Log *slog.Logger
	// InFlightWait bounds how long a retry waits for the first call made
	// with the same idempotency key (default 30 s).
	InFlightWait time.Duration
	// Queue, when set, gets a refresh job for every postback that moves an
	// application, inserted in the postback's transaction: the details a
	// postback does not carry (applicants, recommendation) are then pulled
	// once it is stored, by whichever instance works the job.
	Queue RefreshEnqueuer
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Events records screening.status_changed and screening.report_ready
	// in the transaction that moves an application's status; nil records
	// none.
	Events *events.Recorder
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

func (s *Service) publish(ctx context.Context, id int) {
	if s.Broker != nil {
		s.Broker.Publish(ctx, id)
	}
}

// Operations, as idempotency records name them.
const (
	OpCreate         = "createScreeningApplication"
	OpCreateEmbedded = "createEmbeddedScreeningApplication"
	OpAddApplicant   = "addScreeningApplicant"
	OpRemove         = "removeScreeningApplicant"
	OpCancel         = "cancelScreeningApplication"
	OpRefresh        = "refreshScreeningApplication"
)

// clientOf returns the viewer's client: screening is ordered under a
// client's SmartMove customer reference, so a platform token cannot order.
func (s *Service) clientOf(ctx context.Context) (*ent.Company, error) {
	v := viewer.FromContext(ctx)
	if v == nil || v.ClientID == 0 {
		return nil, apperr.Forbidden("screening acts for one client: use a client's token")
	}
	c, err := s.DB.Company.Get(ctx, v.ClientID)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(c.SmartmoveReference) == "" {
		return nil, &apperr.Error{Code: apperr.CodeBadInput, Message: "screening is not set up for this client: it has no SmartMove customer reference"}
	}
	return c, nil
}

func (s *Service) partner() (*smartmove.Client, error) {
	if s.SmartMove == nil {
		return nil, &apperr.Error{Code: apperr.CodePartner, Message: "SmartMove is not configured on this server (SMARTMOVE_API_KEY)",
			Extensions: map[string]any{"retryable": false}}
	}
	return s.SmartMove, nil
}

// load returns the viewer's application: another client's is not found.
func (s *Service) load(ctx context.Context, id int) (*ent.ScreeningApplication, error) {
	a, err := s.DB.ScreeningApplication.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, apperr.NotFound("screening application")
	}
	return a, err
}

// smartmoveID is the application's SmartMove id, or an error telling the
// caller why there is none yet.
func smartmoveID(a *ent.ScreeningApplication) (int, error) {
	if a.SmartmoveApplicationID == nil {
		return 0, &apperr.Error{Code: apperr.CodeBadInput, Message: "SmartMove has not created this application yet: the landlord must finish the order on the completion link first"}
	}
	return *a.SmartmoveApplicationID, nil
}

// ---------------------------------------------------------------------------
// Status rules

// rank orders statuses: a status may only move to a higher rank. The final
// statuses share the top rank, so nothing leaves them. READY is one of them:
// once the reports are ready the landlord has a report to read, and a later
// Error or Expired postback (late, or SmartMove's afterthought) is recorded
// as STALE rather than taking the report link away.
func rank(st screeningapplication.Status) int {
	switch st {
	case screeningapplication.StatusPENDING:
		return 0
	case screeningapplication.StatusIN_PROGRESS:
		return 1
	}
	return 2
}

// Final reports whether no further change is expected.
func Final(st screeningapplication.Status) bool { return rank(st) == 2 }

// canMove reports whether a status may move from one value to another.
func canMove(from, to screeningapplication.Status) bool { return rank(to) > rank(from) }

var allStatuses = []screeningapplication.Status{
	screeningapplication.StatusPENDING, screeningapplication.StatusIN_PROGRESS, screeningapplication.StatusREADY,
	screeningapplication.StatusREQUEST_DECLINED, screeningapplication.StatusERROR, screeningapplication.StatusEXPIRED,
	screeningapplication.StatusCANCELLED,
}

// below lists the statuses an application may be in for to to apply.
func below(to screeningapplication.Status) []screeningapplication.Status {
	var out []screeningapplication.Status
	for _, st := range allStatuses {
		if canMove(st, to) {
			out = append(out, st)
		}
	}
	return out
}

// statusOf maps SmartMove's report status; false for one we do not know.
func statusOf(r smartmove.ReportStatus) (screeningapplication.Status, bool) {
	switch r {
	case smartmove.ReportPending:
		return screeningapplication.StatusPENDING, true
	case smartmove.ReportInProgress:
		return screeningapplication.StatusIN_PROGRESS, true
	case smartmove.ReportReady:
		return screeningapplication.StatusREADY, true
	case smartmove.ReportRequestDeclined:
		return screeningapplication.StatusREQUEST_DECLINED, true
	case smartmove.ReportError:
		return screeningapplication.StatusERROR, true
	case smartmove.ReportExpired:
		return screeningapplication.StatusEXPIRED, true
	}
	return "", false
}

var recommendations = []screeningapplication.CreditRecommendation{
	screeningapplication.CreditRecommendationUNAVAILABLE, screeningapplication.CreditRecommendationACCEPT,
	screeningapplication.CreditRecommendationLOW_ACCEPT, screeningapplication.CreditRecommendationCONDITIONAL,
	screeningapplication.CreditRecommendationDECLINE, screeningapplication.CreditRecommendationREFER,
	screeningapplication.CreditRecommendationPENDING,
}

// ---------------------------------------------------------------------------
// Secrets

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return strings.ToLower(b32.EncodeToString(b))
}

// credentialsHash is what is stored of the postback credentials.
func credentialsHash(user, pass string) string {
	sum := sha256.Sum256([]byte(user + "\x00" + pass))
	return hex.EncodeToString(sum[:])
}

func requestHash(op string, args any) string {
	b, _ := json.Marshal(struct {
		Op   string
		Args any
	}{op, args})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// scrub removes the given secrets and anything shaped like a card number
// from a message that may be shown or logged.
func scrub(msg string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) >= 3 {
			msg = strings.ReplaceAll(msg, sec, "[redacted]")
		}
	}
	return cards.RedactNumbers(msg)
}

// ---------------------------------------------------------------------------
// Errors

// partnerError turns a SmartMove client error into what the caller sees.
// Validation errors name the GraphQL input at fault; partner failures carry
// PARTNER_ERROR with partnerStatus and retryable.
func partnerError(err error, secrets ...string) error {
	var (
		ve *smartmove.ValidationError
		ae *smartmove.APIError
		te *smartmove.TransportError
	)
	ext := func(status int, retryable bool) map[string]any {
		m := map[string]any{"retryable": retryable}
		if status != 0 {
			m["partnerStatus"] = status
		}
		return m
	}
	switch {
	case errors.As(err, &ve):
		field := inputField(ve.Field)
		name := ve.Field
		if len(field) > 0 {
			name = field[len(field)-1]
		}
		return &apperr.Error{Code: apperr.CodeBadInput, Message: fmt.Sprintf("%s: %s", name, ve.Reason), Field: field}
	case errors.As(err, &ae):
		msg := scrub(ae.Message, secrets...)
		e := &apperr.Error{Code: apperr.CodePartner, Extensions: ext(ae.Status, ae.Temporary())}
		switch {
		case ae.Status == 401 || ae.Status == 403:
			e.Message = fmt.Sprintf("SmartMove refused leasegraph's API credentials (HTTP %d)", ae.Status)
		case ae.Status == 429:
			e.Message = "SmartMove is limiting requests; retry later"
			if ae.RetryAfter > 0 {
				e.Extensions["retryAfterSeconds"] = int(ae.RetryAfter.Seconds())
			}
		case ae.Status >= 500:
			e.Message = fmt.Sprintf("SmartMove failed (HTTP %d); retry later", ae.Status)
		case msg != "":
			e.Message = "SmartMove refused the request: " + msg
		default:
			e.Message = fmt.Sprintf("SmartMove refused the request (HTTP %d)", ae.Status)
		}
		return e
	case errors.As(err, &te):
		if te.Timeout() {
			return &apperr.Error{Code: apperr.CodePartner, Message: "SmartMove did not answer in time", Extensions: ext(0, true)}
		}
		return &apperr.Error{Code: apperr.CodePartner, Message: "SmartMove could not be reached", Extensions: ext(0, true)}
	case errors.Is(err, smartmove.ErrMalformedResponse):
		return &apperr.Error{Code: apperr.CodePartner, Message: "SmartMove sent an answer leasegraph could not read", Extensions: ext(0, false)}
	}
	return err
}

// definitelyNotPlaced reports whether a failed create certainly placed no
// order: it was refused before sending, or SmartMove answered 4xx.
func definitelyNotPlaced(err error) bool {
	var (
		ve *smartmove.ValidationError
		ae *smartmove.APIError
	)
	return errors.As(err, &ve) || (errors.As(err, &ae) && ae.Status >= 400 && ae.Status < 500)
}

// inputField maps a SmartMove wire path (Property.LandlordZip,
// Application.Applicants[1], CreditCard.cardNumber) to the GraphQL input
// path (input.property.landlordZip, input.applicants.1, input.card.cardNumber).
func inputField(wire string) []string {
	parts := strings.Split(wire, ".")
	out := []string{"input"}
	switch parts[0] {
	case "Application":
	case "Property":
		out = append(out, "property")
	case "CreditCard":
		out = append(out, "card")
	default:
		return nil
	}
	for _, p := range parts[1:] {
		name, idx, hasIdx := strings.Cut(p, "[")
		if name != "" {
			out = append(out, strings.ToLower(name[:1])+name[1:])
		}
		if hasIdx {
			out = append(out, strings.TrimSuffix(idx, "]"))
		}
	}
	return out
}
