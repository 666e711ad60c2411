// Package properties manages a client's properties: create, change, and a
// bulk upsert by tag. The showing mode set here is what registration reads
// (SELF_SHOWING invites, PRELEASE wait-lists, INACTIVE refuses), so a change
// applies to the next registration. Lease imports create the properties they
// mention but never change an existing one's mode (leases/importer).
package properties

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/property"
	"github.com/leasegraph/leasegraph/types"
	"github.com/leasegraph/leasegraph/viewer"
)

// MaxUpsert bounds one upsertProperties call: a client's portfolio is sent
// in pages of this size, each committed whole.
const MaxUpsert = 500

// Limits of a property's values (the tag's and the name's are the ent
// schema's; an address part has no natural length, so it gets one).
const (
	maxTag         = 100
	maxName        = 200
	maxAddressPart = 200
)

// Input is a property's values as given; nil leaves a value as it is (or
// at its default, for a new property).
type Input struct {
	Tag     *string
	Name    *string
	Address *types.Address
	// ClearAddress removes the address (Address must then be nil).
	ClearAddress bool
	ShowingMode  *property.ShowingMode
}

// Service writes properties. Its methods join the transaction in ctx or
// open their own (ent.WithTx), so a bulk upsert commits whole or not at all.
type Service struct {
	DB *ent.Client
}

// UpsertResult is what Upsert did.
type UpsertResult struct {
	Created, Updated int
	// Properties are the input's properties, in its order.
	Properties []*ent.Property
}

// Create adds a property to the caller's client.
func (s *Service) Create(ctx context.Context, in Input) (*ent.Property, error) {
	return ent.WithTx(ctx, s.DB, func(ctx context.Context, db *ent.Client) (*ent.Property, error) {
		if err := clientOnly(ctx); err != nil {
			return nil, err
		}
		tag, err := in.check([]string{"input"}, true)
		if err != nil {
			return nil, err
		}
		if err := tagFree(ctx, db, tag, 0, []string{"input", "tag"}); err != nil {
			return nil, err
		}
		c := db.Property.Create().SetTag(tag)
		in.apply(c.Mutation())
		return c.Save(ctx)
	})
}

// Update changes a property of the caller's client.
func (s *Service) Update(ctx context.Context, id int, in Input) (*ent.Property, error) {
	return ent.WithTx(ctx, s.DB, func(ctx context.Context, db *ent.Client) (*ent.Property, error) {
		if err := clientOnly(ctx); err != nil {
			return nil, err
		}
		tag, err := in.check([]string{"input"}, false)
		if err != nil {
			return nil, err
		}
		// Read through the caller's privacy rules: another client's property
		// is not found, as one that does not exist.
		p, err := db.Property.Get(ctx, id)
		if ent.IsNotFound(err) {
			return nil, apperr.NotFound("property")
		}
		if err != nil {
			return nil, err
		}
		u := p.Update()
		if in.Tag != nil && tag != p.Tag {
			if err := tagFree(ctx, db, tag, p.ID, []string{"input", "tag"}); err != nil {
				return nil, err
			}
			u.SetTag(tag)
		}
		in.apply(u.Mutation())
		return u.Save(ctx)
	})
}

// Upsert creates or changes the caller's properties by tag, all or nothing:
// every entry is checked before anything is written, and any error rolls
// the whole call back.
func (s *Service) Upsert(ctx context.Context, ins []Input) (*UpsertResult, error) {
	return ent.WithTx(ctx, s.DB, func(ctx context.Context, db *ent.Client) (*UpsertResult, error) {
		if err := clientOnly(ctx); err != nil {
			return nil, err
		}
		if len(ins) > MaxUpsert {
			return nil, apperr.BadInput("input", "%d properties were sent; at most %d are allowed in one call", len(ins), MaxUpsert)
		}
		tags := make([]string, len(ins))
		first := make(map[string]int, len(ins))
		for i, in := range ins {
			path := []string{"input", strconv.Itoa(i)}
			tag, err := in.check(path, true)
			if err != nil {
				return nil, err
			}
			if j, dup := first[tag]; dup {
				return nil, &apperr.Error{Code: apperr.CodeBadInput, Field: append(path, "tag"),
					Message: fmt.Sprintf("the tag %q is sent twice (entries %d and %d)", tag, j, i)}
			}
			first[tag] = i
			tags[i] = tag
		}
		res := &UpsertResult{Properties: make([]*ent.Property, len(ins))}
		if len(ins) == 0 {
			return res, nil
		}
		v := viewer.FromContext(ctx)
		found, err := db.Property.Query().Where(property.ClientID(v.ClientID), property.TagIn(tags...)).All(ctx)
		if err != nil {
			return nil, err
		}
		existing := make(map[string]*ent.Property, len(found))
		for _, p := range found {
			existing[p.Tag] = p
		}
		var creates []*ent.PropertyCreate
		var createdAt []int
		for i, in := range ins {
			p, ok := existing[tags[i]]
			if !ok {
				c := db.Property.Create().SetTag(tags[i])
				in.apply(c.Mutation())
				creates = append(creates, c)
				createdAt = append(createdAt, i)
				continue
			}
			res.Updated++
			if !in.changes(p) {
				res.Properties[i] = p
				continue
			}
			u := p.Update()
			in.apply(u.Mutation())
			if res.Properties[i], err = u.Save(ctx); err != nil {
				return nil, err
			}
		}
		if len(creates) > 0 {
			created, err := db.Property.CreateBulk(creates...).Save(ctx)
			if err != nil {
				return nil, err
			}
			for k, p := range created {
				res.Properties[createdAt[k]] = p
			}
			res.Created = len(created)
		}
		return res, nil
	})
}

// clientOnly refuses a viewer of no client (a platform token): a property
// belongs to one client, and the caller's is the one it is written into.
func clientOnly(ctx context.Context) error {
	if v := viewer.FromContext(ctx); v == nil || v.ClientID == 0 {
		return apperr.Forbidden("properties belong to a client: use a client's token")
	}
	return nil
}

// tagFree refuses a tag another of the client's properties (other than id)
// has, naming it in the input, before the unique index would.
func tagFree(ctx context.Context, db *ent.Client, tag string, id int, path []string) error {
	v := viewer.FromContext(ctx)
	taken, err := db.Property.Query().Where(property.ClientID(v.ClientID), property.Tag(tag), property.IDNEQ(id)).Exist(ctx)
	if err != nil {
		return err
	}
	if taken {
		return &apperr.Error{Code: apperr.CodeConflict, Field: path,
			Message: fmt.Sprintf("the client already has a property with the tag %q", tag)}
	}
	return nil
}

// check validates the input (under path) and returns its trimmed tag.
// needTag: the tag is required (a create, an upsert's key).
func (in Input) check(path []string, needTag bool) (string, error) {
	at := func(field ...string) []string { return append(append([]string(nil), path...), field...) }
	bad := func(field []string, format string, args ...any) error {
		return &apperr.Error{Code: apperr.CodeBadInput, Field: field, Message: fmt.Sprintf(format, args...)}
	}
	tag := ""
	if in.Tag != nil {
		tag = strings.TrimSpace(*in.Tag)
		if tag == "" {
			return "", bad(at("tag"), "the tag may not be empty")
		}
	} else if needTag {
		return "", bad(at("tag"), "the tag is required")
	}
	if n := utf8.RuneCountInString(tag); n > maxTag {
		return "", bad(at("tag"), "the tag is %d characters; at most %d are allowed", n, maxTag)
	}
	if in.Name != nil {
		if n := utf8.RuneCountInString(strings.TrimSpace(*in.Name)); n > maxName {
			return "", bad(at("name"), "the name is %d characters; at most %d are allowed", n, maxName)
		}
	}
	if in.Address != nil {
		if in.ClearAddress {
			return "", bad(at("clearAddress"), "give an address or clear it, not both")
		}
		a := in.Address
		for _, part := range []struct{ name, value string }{
			{"street", a.Street}, {"apt", a.Apt}, {"city", a.City}, {"state", a.State}, {"zip", a.Zip},
		} {
			if n := utf8.RuneCountInString(part.value); n > maxAddressPart {
				return "", bad(at("address", part.name), "the address's %s is %d characters; at most %d are allowed", part.name, n, maxAddressPart)
			}
		}
	}
	if in.ShowingMode != nil {
		if err := property.ShowingModeValidator(*in.ShowingMode); err != nil {
			return "", bad(at("showingMode"), "the showing mode %q is not one of SELF_SHOWING, PRELEASE, INACTIVE", *in.ShowingMode)
		}
	}
	return tag, nil
}

// apply sets the given values (all but the tag) on a create or update.
func (in Input) apply(m *ent.PropertyMutation) {
	if in.Name != nil {
		m.SetName(strings.TrimSpace(*in.Name))
	}
	switch {
	case in.Address != nil && !in.Address.IsZero():
		a := trimAddress(*in.Address)
		m.SetAddress(&a)
	case in.Address != nil, in.ClearAddress:
		// An empty address is no address.
		m.ClearAddress()
	}
	if in.ShowingMode != nil {
		m.SetShowingMode(*in.ShowingMode)
	}
}

// changes says whether applying in to p would change it.
func (in Input) changes(p *ent.Property) bool {
	switch {
	case in.Name != nil && strings.TrimSpace(*in.Name) != p.Name:
		return true
	case in.ShowingMode != nil && *in.ShowingMode != p.ShowingMode:
		return true
	case in.ClearAddress || (in.Address != nil && in.Address.IsZero()):
		return p.Address != nil
	case in.Address != nil:
		return p.Address == nil || trimAddress(*in.Address) != *p.Address
	}
	return false
}

func trimAddress(a types.Address) types.Address {
	return types.Address{Street: strings.TrimSpace(a.Street), Apt: strings.TrimSpace(a.Apt),
		City: strings.TrimSpace(a.City), State: strings.TrimSpace(a.State), Zip: strings.TrimSpace(a.Zip)}
}
