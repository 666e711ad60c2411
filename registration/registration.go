// Package registration decides the outcome of an agent-assisted
// registration: what invited, prelease, banned and incomplete mean. The
// embedded HTML page and the registerProspect mutation both call Register.
package registration

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/cards"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/ban"
	"github.com/leasegraph/leasegraph/ent/card"
	"github.com/leasegraph/leasegraph/ent/integrationjob"
	"github.com/leasegraph/leasegraph/ent/property"
	"github.com/leasegraph/leasegraph/ent/prospect"
	entreg "github.com/leasegraph/leasegraph/ent/registration"
	"github.com/leasegraph/leasegraph/events"
	"github.com/leasegraph/leasegraph/internal/integrationstatus"
	"github.com/leasegraph/leasegraph/internal/textlimit"
	"github.com/leasegraph/leasegraph/prospects"
	phonenum "github.com/leasegraph/leasegraph/types/phone"
	"github.com/leasegraph/leasegraph/viewer"
)

// MaxSMSNotes is the spec's limit on sms_notes.
const MaxSMSNotes = 150

// The outcomes, as the spec names them in the postMessage.
const (
	Invited    = "invited"
	Prelease   = "prelease"
	Banned     = "banned"
	Incomplete = "incomplete"
)

// Request is one registration attempt.
type Request struct {
	PropertyTag string
	FullName    string
	MobilePhone string
	Email       string
	SMSNotes    string
	RequireCC   bool
	// Card is the card screen's input, when the agent filled it in.
	Card *cards.Input
	// CardAbandoned is set when the agent cancelled the card screen.
	CardAbandoned bool
	Channel       entreg.Channel
}

// Outcome is the result: either a recorded registration, or NeedsCard
// when the card screen must be shown first (nothing is recorded then).
type Outcome struct {
	Status       string
	Message      string
	NeedsCard    bool
	CardError    *apperr.Error
	Registration *ent.Registration
}

// SMSEnqueuer puts the invitation's send job into the queue, inside the
// registration's transaction, so the SMS is sent exactly when the
// registration is stored. The job carries the IntegrationJob's id only.
type SMSEnqueuer interface {
	EnqueueSMS(ctx context.Context, tx *sql.Tx, integrationJobID int) error
}

// Service registers prospects. Its methods join the transaction in ctx or
// open their own (ent.WithTx), so that the prospect, the card, the
// registration and the SMS delivery are written together or not at all.
type Service struct {
	DB    *ent.Client
	Vault cards.Vault
	// Prospects writes the registered prospect, so that it reaches the
	// client's CRM (Propexo) like any other prospect write.
	Prospects *prospects.Service
	// SMS sends the invitation (Twilio, through the job queue); nil when no
	// SMS provider is configured, and then the SMS is recorded as NOT_SENT,
	// never silently dropped.
	SMS SMSEnqueuer
	Now func() time.Time
	// Events records registration.completed with every Registration row
	// written, in its transaction; nil records none.
	Events *events.Recorder
}

// Register runs the rules in order and records the attempt.
func (s *Service) Register(ctx context.Context, req Request) (*Outcome, error) {
	return ent.WithTx(ctx, s.DB, func(ctx context.Context, db *ent.Client) (*Outcome, error) {
		return s.register(ctx, db, req)
	})
}

func (s *Service) register(ctx context.Context, db *ent.Client, req Request) (*Outcome, error) {
	now := time.Now().UTC()
	if s.Now != nil {
		now = s.Now()
	}
	rec := s.record(ctx, db, req)
	finish := func(status entreg.Status, msg string) (*Outcome, error) {
		r, err := rec.SetStatus(status).SetMessage(msg).Save(ctx)
		if err != nil {
			return nil, err
		}
		if err := s.completed(ctx, r); err != nil {
			return nil, err
		}
		return &Outcome{Status: strings.ToLower(string(status)), Message: msg, Registration: r}, nil
	}

	tag := strings.TrimSpace(req.PropertyTag)
	if tag == "" {
		return finish(entreg.StatusINCOMPLETE, "Choose the property to register the prospect for: the CRM sent no property tag.")
	}
	if strings.TrimSpace(req.MobilePhone) == "" {
		return finish(entreg.StatusINCOMPLETE, "Enter the prospect's mobile phone number.")
	}
	phone, ok := phonenum.E164(req.MobilePhone)
	if !ok {
		return finish(entreg.StatusINCOMPLETE, "The mobile phone number is not valid: enter a 10-digit US number, or + and the country code.")
	}
	if n := utf8.RuneCountInString(req.SMSNotes); n > MaxSMSNotes {
		return finish(entreg.StatusINCOMPLETE, fmt.Sprintf("The SMS notes are %d characters long: shorten them to %d or fewer.", n, MaxSMSNotes))
	}
	email := strings.ToLower(strings.TrimSpace(req.Email))
	prop, err := db.Property.Query().Where(property.Tag(tag)).Only(ctx)
	if ent.IsNotFound(err) {
		return finish(entreg.StatusINCOMPLETE, fmt.Sprintf("No property with the tag %q was found: check the property in the CRM.", tag))
	}
	if err != nil {
		return nil, err
	}
	rec.SetPropertyID(prop.ID)

	existing, err := db.Prospect.Query().Where(prospect.Phone1(phone)).Order(ent.Asc(prospect.FieldID)).First(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return nil, err
	}
	if email == "" && existing != nil {
		email = existing.Email1
	}
	bq := db.Ban.Query().Where(ban.Phone(phone))
	if email != "" {
		bq = db.Ban.Query().Where(ban.Or(ban.Phone(phone), ban.Email(email)))
	}
	if isBanned, err := bq.Exist(ctx); err != nil {
		return nil, err
	} else if isBanned {
		if existing != nil {
			rec.SetProspectID(existing.ID)
		}
		return finish(entreg.StatusBANNED, "This prospect cannot be registered for showings.")
	}
	if prop.ShowingMode == property.ShowingModeINACTIVE {
		return finish(entreg.StatusINCOMPLETE, fmt.Sprintf("%s is not open for showings.", displayName(prop)))
	}

	var checked *cards.Checked
	if req.RequireCC {
		hasCard := false
		if existing != nil {
			hasCard, err = db.Card.Query().Where(card.ProspectID(existing.ID),
				card.Or(card.ExpYearGT(now.Year()), card.And(card.ExpYear(now.Year()), card.ExpMonthGTE(int(now.Month()))))).Exist(ctx)
			if err != nil {
				return nil, err
			}
		}
		switch {
		case hasCard:
		case req.Channel == entreg.ChannelGRAPHQL:
			return finish(entreg.StatusINCOMPLETE, "A card on file is required: add one through the registration page.")
		case req.CardAbandoned:
			return finish(entreg.StatusINCOMPLETE, "The card screen was not completed.")
		case req.Card == nil:
			return &Outcome{NeedsCard: true}, nil
		default:
			checked, err = cards.Validate(*req.Card, now)
			if ae, ok := apperr.As(err); ok {
				return &Outcome{NeedsCard: true, CardError: ae}, nil
			}
		}
	}

	p, err := s.upsertProspect(ctx, db, existing, prop, phone, email, req.FullName)
	if err != nil {
		return nil, err
	}
	rec.SetProspectID(p.ID)
	if checked != nil {
		token, fingerprint, err := s.Vault.Store(ctx, checked)
		if err != nil {
			return finish(entreg.StatusINCOMPLETE, "The card could not be saved; try again.")
		}
		err = db.Card.Create().SetProspectID(p.ID).SetBrand(checked.Brand).SetLast4(checked.Last4).
			SetExpMonth(checked.ExpMonth).SetExpYear(checked.ExpYear).
			SetVaultToken(token).SetFingerprint(fingerprint).Exec(ctx)
		if err != nil {
			return nil, err
		}
	}
	// The agent reads this to the prospect: it must not promise an SMS that
	// no provider will send.
	sent := "The invitation is on its way by SMS."
	if s.SMS == nil {
		sent = "No SMS provider is set up, so no invitation was sent."
	}
	status, msg := entreg.StatusINVITED, fmt.Sprintf("Registered for a self-showing at %s. %s", displayName(prop), sent)
	if prop.ShowingMode == property.ShowingModePRELEASE {
		status, msg = entreg.StatusPRELEASE, fmt.Sprintf("Added to the pre-lease wait list for %s.", displayName(prop))
	}
	out, err := finish(status, msg)
	if err != nil {
		return nil, err
	}
	return out, s.queueSMS(ctx, db, out.Registration, p)
}

// Incomplete records an attempt that failed before the rules could run (a
// malformed parameter the caller found), so that every attempt is recorded.
func (s *Service) Incomplete(ctx context.Context, req Request, msg string) (*Outcome, error) {
	return ent.WithTx(ctx, s.DB, func(ctx context.Context, db *ent.Client) (*Outcome, error) {
		r, err := s.record(ctx, db, req).SetStatus(entreg.StatusINCOMPLETE).SetMessage(msg).Save(ctx)
		if err != nil {
			return nil, err
		}
		if err := s.completed(ctx, r); err != nil {
			return nil, err
		}
		return &Outcome{Status: Incomplete, Message: msg, Registration: r}, nil
	})
}

func (s *Service) record(ctx context.Context, db *ent.Client, req Request) *ent.RegistrationCreate {
	rec := db.Registration.Create().
		SetChannel(req.Channel).
		SetPropertyTag(textlimit.Cut(strings.TrimSpace(req.PropertyTag), 100)).
		SetSmsNotes(textlimit.Cut(req.SMSNotes, MaxSMSNotes))
	if v := viewer.FromContext(ctx); v != nil && v.TokenID != 0 {
		rec.SetTokenID(v.TokenID)
	}
	return rec
}

// registrationData is registration.completed's data: the attempt as the
// graph shows it, never its card or the agent's token.
type registrationData struct {
	Status      entreg.Status  `json:"status"`
	Message     string         `json:"message"`
	Channel     entreg.Channel `json:"channel"`
	PropertyTag string         `json:"property_tag"`
	PropertyID  *string        `json:"property_id"`
	ProspectID  *string        `json:"prospect_id"`
}

// completed records r's registration.completed in the transaction that
// writes it (ctx's).
func (s *Service) completed(ctx context.Context, r *ent.Registration) error {
	_, err := s.Events.Record(ctx, events.Event{Type: events.RegistrationCompleted, ClientID: r.ClientID, ObjectType: "Registration", ObjectID: r.ID,
		Data: registrationData{Status: r.Status, Message: r.Message, Channel: r.Channel, PropertyTag: r.PropertyTag,
			PropertyID: globalID(r.PropertyID), ProspectID: globalID(r.ProspectID)}})
	return err
}

// globalID is an optional id as the graph writes it.
func globalID(id *int) *string {
	if id == nil {
		return nil
	}
	s := strconv.Itoa(*id)
	return &s
}

// queueSMS records the invitation SMS as a delivery and queues its send in
// the same transaction. With no provider it is NOT_SENT, visible in the
// graph with the reason.
func (s *Service) queueSMS(ctx context.Context, db *ent.Client, r *ent.Registration, p *ent.Prospect) error {
	job := db.IntegrationJob.Create().SetKind(integrationjob.KindSMS).
		SetRegistrationID(r.ID).SetProspectID(p.ID)
	if s.SMS == nil {
		if err := integrationstatus.Initial(job, integrationjob.StatusNOT_SENT); err != nil {
			return err
		}
		return job.SetLastError("no SMS provider is configured").Exec(ctx)
	}
	if err := integrationstatus.Initial(job, integrationjob.StatusQUEUED); err != nil {
		return err
	}
	j, err := job.Save(ctx)
	if err != nil {
		return err
	}
	tx, err := ent.SQLTx(db)
	if err != nil {
		return err
	}
	return s.SMS.EnqueueSMS(ctx, tx, j.ID)
}

// upsertProspect creates the prospect, or updates the one with this phone,
// through the prospects service: its delivery to Propexo is queued in the
// same transaction.
func (s *Service) upsertProspect(ctx context.Context, db *ent.Client, existing *ent.Prospect, prop *ent.Property, phone, email, fullName string) (*ent.Prospect, error) {
	first, last := splitName(fullName)
	in := prospects.Input{PropertyID: &prop.ID}
	if first != "" || last != "" {
		in.FirstName, in.LastName = &first, &last
	}
	if email != "" {
		in.Email1 = &email
	}
	if existing != nil {
		return s.Prospects.Update(ctx, existing.ID, in, "")
	}
	source := "agent registration"
	in.Phone1, in.ProspectSource = &phone, &source
	return s.Prospects.Create(ctx, in, "")
}

func splitName(full string) (string, string) {
	parts := strings.Fields(full)
	switch len(parts) {
	case 0:
		return "", ""
	case 1:
		return textlimit.Cut(parts[0], 100), ""
	}
	return textlimit.Cut(strings.Join(parts[:len(parts)-1], " "), 100), textlimit.Cut(parts[len(parts)-1], 100)
}

func displayName(p *ent.Property) string {
	if p.Name != "" {
		return p.Name
	}
	return p.Tag
}
