package screening

import (
	"context"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/applicant"
	"github.com/leasegraph/leasegraph/ent/screeningapplication"
	"github.com/leasegraph/leasegraph/smartmove"
)

// Order is a screening order as the caller gives it (no card: the card of
// an embedded order is a separate argument that is never kept).
type Order struct {
	Applicants                 []string            `json:"applicants"`
	LandlordPays               *bool               `json:"landlordPays"`
	DeclineForOpenBankruptcies bool                `json:"declineForOpenBankruptcies"`
	OpenBankruptcyWindow       int                 `json:"openBankruptcyWindow"`
	Property                   *smartmove.Property `json:"property"`
}

// Created is the answer to a LINK order.
type Created struct {
	Application *ent.ScreeningApplication
	// CompletionLink is where the landlord finishes the order.
	CompletionLink string
}

// normalizeEmail trims and lower-cases an email address and checks its shape.
func normalizeEmail(field, email string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	local, domain, ok := strings.Cut(e, "@")
	if !ok || local == "" || !strings.Contains(domain, ".") || strings.ContainsAny(e, " \t\r\n,;<>") || utf8.RuneCountInString(e) > 254 {
		return "", apperr.BadInput(field, "%s is not an email address", field[strings.LastIndex(field, ".")+1:])
	}
	return e, nil
}

// PostbackURL is the URL SmartMove posts an application's updates to.
func (s *Service) PostbackURL(key string) string {
	return strings.TrimRight(s.PublicURL, "/") + PostbackPath + key
}

// Create orders a screening the landlord finishes on SmartMove's page and
// returns the page's link. The same key returns the first result.
func (s *Service) Create(ctx context.Context, key string, o Order) (*Created, error) {
	app, err := s.create(ctx, OpCreate, key, o, nil)
	if err != nil {
		return nil, err
	}
	return &Created{Application: app, CompletionLink: app.CompletionLink}, nil
}

// CreateEmbedded orders and pays for a screening in one call. The card goes
// to SmartMove in that call and nowhere else: not to the database, a log,
// an error or the answer. The same key returns the first result and never
// charges twice.
func (s *Service) CreateEmbedded(ctx context.Context, key string, o Order, card *smartmove.CreditCard) (*ent.ScreeningApplication, error) {
	if o.LandlordPays == nil {
		return nil, apperr.BadInput("input.landlordPays", "landlordPays is required")
	}
	if len(o.Applicants) == 0 {
		return nil, apperr.BadInput("input.applicants", "give at least one applicant")
	}
	return s.create(ctx, OpCreateEmbedded, key, o, card)
}

func (s *Service) create(ctx context.Context, op, key string, o Order, card *smartmove.CreditCard) (*ent.ScreeningApplication, error) {
	key, err := checkKey(key)
	if err != nil {
		return nil, err
	}
	company, err := s.clientOf(ctx)
	if err != nil {
		return nil, err
	}
	sm, err := s.partner()
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for i, e := range o.Applicants {
		field := "input.applicants." + strconv.Itoa(i)
		n, err := normalizeEmail(field, e)
		if err != nil {
			return nil, err
		}
		if seen[n] {
			return nil, apperr.BadInput(field, "%s is listed twice", n)
		}
		seen[n] = true
		o.Applicants[i] = n
	}
	var propertyName, unit string
	if o.Property != nil {
		propertyName, unit = o.Property.PropertyName, o.Property.UnitNumber
		if utf8.RuneCountInString(propertyName) > 50 {
			return nil, apperr.BadInput("input.property.propertyName", "propertyName: longer than 50 characters")
		}
		if utf8.RuneCountInString(unit) > 50 {
			return nil, apperr.BadInput("input.property.unitNumber", "unitNumber: longer than 50 characters")
		}
	}
	kind := screeningapplication.KindLINK
	if op == OpCreateEmbedded {
		kind = screeningapplication.KindEMBEDDED
	}
	postbackKey, user, pass := randomToken(20), randomToken(10), randomToken(20)
	rec, replayed, err := s.claim(ctx, op, key, requestHash(op, o), func(tx *ent.Client) (int, error) {
		app, err := tx.ScreeningApplication.Create().
			SetKind(kind).SetCustomerReference(company.SmartmoveReference).
			SetNillableLandlordPays(o.LandlordPays).
			SetPropertyName(propertyName).SetUnitNumber(unit).
			SetPostbackKey(postbackKey).SetPostbackCredentialsHash(credentialsHash(user, pass)).
			Save(ctx)
		if err != nil {
			return 0, err
		}
		for _, e := range o.Applicants {
			if err := tx.Applicant.Create().SetApplicationID(app.ID).SetEmail(e).Exec(ctx); err != nil {
				return 0, err
			}
		}
		return app.ID, nil
	})
	if err != nil {
		return nil, err
	}
	if replayed {
		return s.replay(ctx, rec)
	}
	appID := *rec.ScreeningApplicationID

	// From here the order may reach SmartMove: the caller hanging up must
	// not abandon it half-recorded.
	ctx = context.WithoutCancel(ctx)
	order := smartmove.Order{
		Application: &smartmove.Application{
			Applicants: o.Applicants, LandlordPays: o.LandlordPays,
			DeclineForOpenBankruptcies: o.DeclineForOpenBankruptcies, OpenBankruptcyWindow: o.OpenBankruptcyWindow,
		},
		Product:    smartmove.ProductPackageCorePlusEviction,
		Property:   o.Property,
		CreditCard: card,
		RequestParameters: &smartmove.RequestParameters{
			PostbackURI: s.PostbackURL(postbackKey), PostbackUsername: user, PostbackPassword: pass,
			ReferenceID: strconv.Itoa(appID),
		},
	}
	var (
		link string
		smID int
	)
	if kind == screeningapplication.KindEMBEDDED {
		smID, err = sm.CreateEmbeddedApplication(ctx, company.SmartmoveReference, order)
	} else {
		link, err = sm.CreateApplication(ctx, company.SmartmoveReference, order)
	}
	if err != nil {
		var secrets []string
		if card != nil {
			secrets = []string{card.CardNumber, card.CardSecurity}
		}
		mapped := partnerError(err, secrets...)
		if definitelyNotPlaced(err) {
			s.release(ctx, rec, func(ctx context.Context, tx *ent.Client) error {
				if _, err := tx.Applicant.Delete().Where(applicant.ApplicationID(appID)).Exec(ctx); err != nil {
					return err
				}
				return tx.ScreeningApplication.DeleteOneID(appID).Exec(ctx)
			})
			return nil, mapped
		}
		ae, ok := apperr.As(mapped)
		if !ok {
			ae = &apperr.Error{Code: apperr.CodePartner, Message: "SmartMove failed"}
		}
		ae = &apperr.Error{Code: ae.Code, Extensions: ae.Extensions,
			Message: ae.Message + ": whether SmartMove placed the order is unknown; this idempotency key will not order again (see screeningApplications)"}
		if ae.Extensions == nil {
			ae.Extensions = map[string]any{}
		}
		ae.Extensions["retryable"] = false
		s.fail(ctx, rec, ae, func(ctx context.Context, tx *ent.Client) error {
			return tx.ScreeningApplication.Update().
				Where(screeningapplication.ID(appID), screeningapplication.OrderStatusEQ(screeningapplication.OrderStatusSUBMITTING)).
				SetOrderStatus(screeningapplication.OrderStatusUNCONFIRMED).Exec(ctx)
		})
		s.log().WarnContext(ctx, "smartmove order outcome unknown", "application", appID, "error", ae.Message)
		s.publish(ctx, appID)
		return nil, ae
	}
	err = s.succeed(ctx, rec, func(ctx context.Context, tx *ent.Client) error {
		u := tx.ScreeningApplication.UpdateOneID(appID).SetOrderStatus(screeningapplication.OrderStatusORDERED)
		if link != "" {
			u.SetCompletionLink(link)
		}
		if smID != 0 {
			u.SetSmartmoveApplicationID(smID)
		}
		return u.Exec(ctx)
	})
	if err != nil {
		return nil, err
	}
	s.publish(ctx, appID)
	return s.load(ctx, appID)
}

// action is the partner call of an operation on one application, after
// its local rules passed; it returns the change to store.
type action func(ctx context.Context, sm *smartmove.Client, app *ent.ScreeningApplication, smID int) (apply func(ctx context.Context, tx *ent.Client) error, err error)

// act runs an operation on one of the viewer's applications under an
// idempotency key: rules are checked after the key is claimed (a retry of
// a call that succeeded replays it rather than failing the rules anew).
func (s *Service) act(ctx context.Context, op, key string, id int, args any, fn action) (*ent.ScreeningApplication, error) {
	key, err := checkKey(key)
	if err != nil {
		return nil, err
	}
	if _, err := s.clientOf(ctx); err != nil {
		return nil, err
	}
	app, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	sm, err := s.partner()
	if err != nil {
		return nil, err
	}
	rec, replayed, err := s.claim(ctx, op, key, requestHash(op, []any{id, args}), func(*ent.Client) (int, error) { return app.ID, nil })
	if err != nil {
		return nil, err
	}
	if replayed {
		return s.replay(ctx, rec)
	}
	ctx = context.WithoutCancel(ctx)
	apply, err := func() (func(context.Context, *ent.Client) error, error) {
		smID, err := smartmoveID(app)
		if err != nil {
			return nil, err
		}
		return fn(ctx, sm, app, smID)
	}()
	if err != nil {
		// These calls change nothing twice (a repeat is refused by the
		// partner), so any failure gives the key back for a retry.
		s.release(ctx, rec, nil)
		return nil, partnerError(err)
	}
	if err := s.succeed(ctx, rec, apply); err != nil {
		return nil, err
	}
	s.publish(ctx, app.ID)
	return s.load(ctx, app.ID)
}

func (s *Service) applicants(ctx context.Context, appID int) ([]*ent.Applicant, error) {
	return s.DB.Applicant.Query().Where(applicant.ApplicationID(appID)).Order(applicant.ByID()).All(ctx)
}

// AddApplicant adds an applicant. SmartMove allows it only when the tenants
// pay and the screening is not finished.
func (s *Service) AddApplicant(ctx context.Context, key string, id int, email string) (*ent.ScreeningApplication, error) {
	e, err := normalizeEmail("email", email)
	if err != nil {
		return nil, err
	}
	return s.act(ctx, OpAddApplicant, key, id, e, func(ctx context.Context, sm *smartmove.Client, app *ent.ScreeningApplication, smID int) (func(ctx context.Context, tx *ent.Client) error, error) {
		switch {
		case Final(app.Status):
			return nil, apperr.BadInput("", "applicants cannot be added to a screening that is %s", app.Status)
		case app.LandlordPays != nil && *app.LandlordPays:
			return nil, apperr.BadInput("", "applicants cannot be added when the landlord pays")
		}
		list, err := s.applicants(ctx, app.ID)
		if err != nil {
			return nil, err
		}
		for _, a := range list {
			if a.Email == e {
				return nil, apperr.BadInput("email", "%s is already on this application", e)
			}
		}
		if err := sm.AddApplicant(ctx, app.CustomerReference, smID, e); err != nil {
			return nil, err
		}
		return func(ctx context.Context, tx *ent.Client) error {
			if err := tx.Applicant.Create().SetApplicationID(app.ID).SetEmail(e).Exec(ctx); err != nil {
				return err
			}
			return touch(ctx, tx, app.ID)
		}, nil
	})
}

// RemoveApplicant removes an applicant who has not responded yet and is not
// the only one on the application.
func (s *Service) RemoveApplicant(ctx context.Context, key string, id int, email string) (*ent.ScreeningApplication, error) {
	e, err := normalizeEmail("email", email)
	if err != nil {
		return nil, err
	}
	return s.act(ctx, OpRemove, key, id, e, func(ctx context.Context, sm *smartmove.Client, app *ent.ScreeningApplication, smID int) (func(ctx context.Context, tx *ent.Client) error, error) {
		list, err := s.applicants(ctx, app.ID)
		if err != nil {
			return nil, err
		}
		var target *ent.Applicant
		for _, a := range list {
			if a.Email == e {
				target = a
			}
		}
		switch {
		case target == nil:
			return nil, apperr.BadInput("email", "%s is not on this application", e)
		case target.Status != applicant.StatusNO_ACTIVITY:
			return nil, apperr.BadInput("email", "%s has already responded (%s) and cannot be removed", e, target.Status)
		case len(list) == 1:
			return nil, apperr.BadInput("email", "the only applicant on an application cannot be removed")
		}
		if err := sm.DeleteApplicant(ctx, app.CustomerReference, smID, e); err != nil {
			return nil, err
		}
		return func(ctx context.Context, tx *ent.Client) error {
			if err := tx.Applicant.DeleteOneID(target.ID).Exec(ctx); err != nil {
				return err
			}
			return touch(ctx, tx, app.ID)
		}, nil
	})
}

// Cancel cancels a screening that is not finished.
func (s *Service) Cancel(ctx context.Context, key string, id int) (*ent.ScreeningApplication, error) {
	return s.act(ctx, OpCancel, key, id, nil, func(ctx context.Context, sm *smartmove.Client, app *ent.ScreeningApplication, smID int) (func(ctx context.Context, tx *ent.Client) error, error) {
		if Final(app.Status) {
			return nil, apperr.BadInput("id", "a screening that is %s cannot be cancelled", app.Status)
		}
		if err := sm.CancelApplication(ctx, app.CustomerReference, smID); err != nil {
			return nil, err
		}
		return func(ctx context.Context, tx *ent.Client) error {
			from, err := statusOfNow(ctx, tx, app.ID)
			if err != nil {
				return err
			}
			if _, err := tx.ScreeningApplication.Update().
				Where(screeningapplication.ID(app.ID), screeningapplication.StatusIn(below(screeningapplication.StatusCANCELLED)...)).
				SetStatus(screeningapplication.StatusCANCELLED).Save(ctx); err != nil {
				return err
			}
			return s.statusMoved(ctx, tx, app.ID, from)
		}, nil
	})
}

// Refresh pulls the application's details and report status from
// SmartMove and stores them; the status only moves forward.
func (s *Service) Refresh(ctx context.Context, key string, id int) (*ent.ScreeningApplication, error) {
	return s.act(ctx, OpRefresh, key, id, nil, func(ctx context.Context, sm *smartmove.Client, app *ent.ScreeningApplication, smID int) (func(ctx context.Context, tx *ent.Client) error, error) {
		p, err := s.pull(ctx, sm, app.CustomerReference, smID)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, tx *ent.Client) error { return s.applyPulled(ctx, tx, app.ID, p) }, nil
	})
}

// touch marks an application changed (its applicants did), so watchers
// see it.
func touch(ctx context.Context, tx *ent.Client, id int) error {
	return tx.ScreeningApplication.UpdateOneID(id).SetUpdatedAt(nowUTC()).Exec(ctx)
}
