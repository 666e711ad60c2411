package screening

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"regexp"
	"strconv"
	"strings"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/inboundevent"
	"github.com/leasegraph/leasegraph/ent/screeningapplication"
	"github.com/leasegraph/leasegraph/internal/textlimit"
	"github.com/leasegraph/leasegraph/smartmove"
	"github.com/leasegraph/leasegraph/viewer"
)

// ErrUnauthorized is a postback without the application's credentials (or
// for an unknown URL: the two are not told apart).
var ErrUnauthorized = errors.New("screening: postback credentials do not match")

// PostbackResult says what a postback did.
type PostbackResult string

// The results of a postback that was accepted.
const (
	// PostbackApplied: stored and applied.
	PostbackApplied PostbackResult = "applied"
	// PostbackStale: stored, but its status was behind the stored one, so
	// nothing moved back.
	PostbackStale PostbackResult = "stale"
	// PostbackDuplicate: the same message was received before; ignored.
	PostbackDuplicate PostbackResult = "duplicate"
	// PostbackUnknownStatus: stored, but its reportStatus is not one the spec
	// lists (docs/partners/smartmove.md#report-status), so the status did not move. It still
	// proves the order exists: the order is confirmed and a LINK order learns
	// SmartMove's application id, so the periodic refresh can follow it.
	PostbackUnknownStatus PostbackResult = "unknown_status"
)

// dummyHash keeps an unknown URL as slow as a wrong password.
var dummyHash = credentialsHash("-", "-")

func credentialsMatch(header, storedHash string) bool {
	user, pass, ok := smartmove.ParsePostbackAuthorization(header)
	if !ok {
		user, pass = "", ""
	}
	got, want := credentialsHash(user, pass), storedHash
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1 && ok
}

var emailLike = regexp.MustCompile(`[^\s@]+@[^\s@]+`)

// redactText masks email addresses: j***@example.com.
func redactText(s string) string {
	return emailLike.ReplaceAllStringFunc(s, func(m string) string {
		local, domain, _ := strings.Cut(m, "@")
		if local == "" {
			return m
		}
		return local[:1] + "***@" + domain
	})
}

func deref(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}

// HandlePostback verifies, stores (once, redacted) and applies a postback
// sent to the application's URL key. Wrong or missing credentials:
// ErrUnauthorized and nothing stored. A message that does not belong to the
// application: BAD_USER_INPUT and nothing stored.
func (s *Service) HandlePostback(ctx context.Context, key, authorization string, body []byte) (PostbackResult, error) {
	sys := viewer.SystemContext(ctx)
	app, err := s.DB.ScreeningApplication.Query().Where(screeningapplication.PostbackKey(key)).Only(sys)
	if ent.IsNotFound(err) {
		credentialsMatch(authorization, dummyHash)
		return "", ErrUnauthorized
	}
	if err != nil {
		return "", err
	}
	if !credentialsMatch(authorization, app.PostbackCredentialsHash) {
		return "", ErrUnauthorized
	}
	pb, err := smartmove.DecodePostback(bytes.NewReader(body))
	if err != nil {
		return "", apperr.BadInput("", "the body is not a SmartMove postback")
	}
	switch {
	case pb.CustomerReferenceID != app.CustomerReference:
		return "", apperr.BadInput("customerReferenceId", "customerReferenceId does not match the application")
	case pb.ReferenceID != nil && *pb.ReferenceID != "" && *pb.ReferenceID != strconv.Itoa(app.ID):
		return "", apperr.BadInput("referenceId", "referenceId does not match the application")
	case app.SmartmoveApplicationID != nil && *app.SmartmoveApplicationID != pb.ApplicationID:
		return "", apperr.BadInput("applicationId", "applicationId does not match the application")
	}

	// From here on, act as the application's client: privacy applies.
	ctx = viewer.NewContext(ctx, &viewer.Viewer{ClientID: app.ClientID, Scopes: []viewer.Scope{viewer.ScopeRead, viewer.ScopeWrite}})
	sum := sha256.Sum256([]byte(strings.Join([]string{
		strconv.Itoa(app.ID), strconv.Itoa(pb.ApplicationID), string(pb.ReportStatus), pb.NotificationText,
		pb.CustomerReferenceID, strings.TrimSpace(anyString(deref(pb.ReferenceID))), anyString(deref(pb.ReferenceText)),
	}, "\x00")))
	dedupe := hex.EncodeToString(sum[:])
	payload := map[string]any{
		"applicationId":       pb.ApplicationID,
		"customerReferenceId": pb.CustomerReferenceID,
		"notificationText":    redactText(pb.NotificationText),
		"reportStatus":        string(pb.ReportStatus),
		"referenceId":         deref(pb.ReferenceID),
	}
	if pb.ReferenceText != nil {
		payload["referenceText"] = redactText(*pb.ReferenceText)
	}
	var result PostbackResult
	err = s.inTx(ctx, func(ctx context.Context, tx *ent.Client) error {
		ev, err := tx.InboundEvent.Create().
			SetSource(inboundevent.SourceSMARTMOVE).SetDedupeKey(dedupe).SetScreeningApplicationID(app.ID).
			SetReportStatus(textlimit.Cut(string(pb.ReportStatus), 50)).SetOutcome(inboundevent.OutcomeAPPLIED).
			SetPayload(payload).Save(ctx)
		if ent.IsConstraintError(err) {
			result = PostbackDuplicate
			return errDuplicate
		}
		if err != nil {
			return err
		}
		cur, err := tx.ScreeningApplication.Get(ctx, app.ID)
		if err != nil {
			return err
		}
		to, known := statusOf(pb.ReportStatus)
		switch {
		case !known:
			result = PostbackUnknownStatus
			if err := tx.InboundEvent.UpdateOne(ev).SetOutcome(inboundevent.OutcomeUNKNOWN_STATUS).Exec(ctx); err != nil {
				return err
			}
		case rank(to) < rank(cur.Status) || Final(cur.Status) && to != cur.Status:
			result = PostbackStale
			return tx.InboundEvent.UpdateOne(ev).SetOutcome(inboundevent.OutcomeSTALE).Exec(ctx)
		default:
			result = PostbackApplied
		}
		if cur.SmartmoveApplicationID == nil {
			if err := tx.ScreeningApplication.Update().
				Where(screeningapplication.ID(app.ID), screeningapplication.SmartmoveApplicationIDIsNil()).
				SetSmartmoveApplicationID(pb.ApplicationID).Exec(ctx); err != nil {
				return err
			}
		}
		u := tx.ScreeningApplication.UpdateOneID(app.ID).SetLastPostbackAt(s.now())
		if known {
			// lastNotification is the last applied postback's text.
			u.SetLastNotification(textlimit.Cut(pb.NotificationText, 1000))
		}
		if cur.OrderStatus != screeningapplication.OrderStatusORDERED {
			u.SetOrderStatus(screeningapplication.OrderStatusORDERED)
		}
		if err := u.Exec(ctx); err != nil {
			return err
		}
		if known && canMove(cur.Status, to) {
			n, err := tx.ScreeningApplication.Update().
				Where(screeningapplication.ID(app.ID), screeningapplication.StatusIn(below(to)...)).
				SetStatus(to).Save(ctx)
			if err != nil {
				return err
			}
			if n == 1 {
				if err := s.statusMoved(ctx, tx, app.ID, cur.Status); err != nil {
					return err
				}
			}
			if n == 1 && s.Queue != nil {
				stx, err := ent.SQLTx(tx)
				if err != nil {
					return err
				}
				return s.Queue.EnqueueRefresh(ctx, stx, app.ID)
			}
		}
		return nil
	})
	if errors.Is(err, errDuplicate) {
		return PostbackDuplicate, nil
	}
	if err != nil {
		return "", err
	}
	if result != PostbackStale {
		s.publish(ctx, app.ID)
	}
	return result, nil
}

var errDuplicate = errors.New("screening: duplicate postback")

func anyString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return ""
}
