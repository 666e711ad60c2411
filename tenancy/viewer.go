package tenancy

import (
	"context"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/apitoken"
	"github.com/leasegraph/leasegraph/viewer"
)

// ViewerForToken returns the viewer of a token known by id (a signed form
// carries the id, never the secret); a revoked token has none.
func (s *Service) ViewerForToken(ctx context.Context, tokenID int) (*viewer.Viewer, error) {
	db := ent.Current(ctx, s.DB)
	t, err := db.APIToken.Query().Where(apitoken.ID(tokenID), apitoken.RevokedAtIsNil()).Only(viewer.SystemContext(ctx))
	if ent.IsNotFound(err) {
		return nil, apperr.Unauthenticated("the API token is unknown or revoked")
	}
	if err != nil {
		return nil, err
	}
	return viewerOf(t), nil
}

// viewerOf is the viewer a token acts as.
func viewerOf(t *ent.APIToken) *viewer.Viewer {
	v := &viewer.Viewer{TokenID: t.ID}
	if t.ClientID != nil {
		v.ClientID = *t.ClientID
	}
	for _, s := range t.Scopes {
		v.Scopes = append(v.Scopes, viewer.Scope(s))
	}
	return v
}
