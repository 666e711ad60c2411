package registration

import (
	"context"
	"strings"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/ent"
	phonenum "github.com/leasegraph/leasegraph/types/phone"
)

// AddBan bans a phone number and/or an email address within the viewer's
// client. Phones are stored in E.164 so that any spelling of the number
// matches.
func (s *Service) AddBan(ctx context.Context, phone, email, reason string) (*ent.Ban, error) {
	phone, email = strings.TrimSpace(phone), strings.ToLower(strings.TrimSpace(email))
	if phone == "" && email == "" {
		return nil, apperr.BadInput("input.phone", "give a phone number or an email address to ban")
	}
	var e164 string
	if phone != "" {
		var ok bool
		if e164, ok = phonenum.E164(phone); !ok {
			return nil, apperr.BadInput("input.phone", "%q is not a valid phone number", phone)
		}
	}
	if email != "" && !strings.Contains(email, "@") {
		return nil, apperr.BadInput("input.email", "%q is not an email address", email)
	}
	return ent.WithTx(ctx, s.DB, func(ctx context.Context, db *ent.Client) (*ent.Ban, error) {
		c := db.Ban.Create().SetEmail(email).SetReason(reason)
		if e164 != "" {
			c.SetPhone(e164)
		}
		return c.Save(ctx)
	})
}

// RemoveBan lifts a ban.
func (s *Service) RemoveBan(ctx context.Context, id int) error {
	return ent.InTx(ctx, s.DB, func(ctx context.Context, db *ent.Client) error {
		err := db.Ban.DeleteOneID(id).Exec(ctx)
		if ent.IsNotFound(err) {
			return apperr.NotFound("ban")
		}
		return err
	})
}
