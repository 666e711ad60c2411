package tenancy

import (
	"context"
	"net/url"
	"strings"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/ent"
)

// UpdateCrmOrigins replaces the origins allowed to embed the registration
// page. Each must be an exact origin (scheme://host[:port], no path): the
// page posts its result only to an origin on this list, and browsers
// compare origins exactly.
func (s *Service) UpdateCrmOrigins(ctx context.Context, clientID int, origins []string) (*ent.Company, error) {
	clean := make([]string, 0, len(origins))
	for i, o := range origins {
		norm, err := normalizeOrigin(o)
		if err != nil {
			return nil, apperr.BadInput("origins", "origins[%d] %q: %v", i, o, err)
		}
		clean = append(clean, norm)
	}
	return ent.WithTx(ctx, s.DB, func(ctx context.Context, db *ent.Client) (*ent.Company, error) {
		c, err := db.Company.UpdateOneID(clientID).SetCrmOrigins(clean).Save(ctx)
		if ent.IsNotFound(err) {
			return nil, apperr.NotFound("client")
		}
		return c, err
	})
}

type originError string

func (e originError) Error() string { return string(e) }

func normalizeOrigin(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", originError("an origin is scheme://host[:port] with http or https")
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", originError("an origin has no path, query, fragment or user")
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}
