package leases

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/tenant"
	"github.com/leasegraph/leasegraph/types"
)

// Record is one lease in the lease-service spec's ideal shape, as /leases
// answers it and as the lease events carry it. Extra holds the source's
// other fields, written beside the spec's.
type Record struct {
	ID string `json:"id"`
	// SourceID is the lease's id in the client's own system (the feed's or
	// the partner's), beside ours.
	SourceID       string         `json:"source_id"`
	ClientID       string         `json:"client_id"`
	PropertyID     string         `json:"property_id"`
	UnitAddress    *types.Address `json:"unit_address"`
	Status         string         `json:"status"`
	LeaseStartDate string         `json:"lease_start_date"`
	LeaseEndDate   *string        `json:"lease_end_date"`
	UseType        string         `json:"use_type"`
	MoveInDate     *string        `json:"move_in_date"`
	MoveOutDate    *string        `json:"move_out_date"`
	// The spec lets a source keep these on the lease instead of on each
	// tenant; they are shown as kept, even when tenants have their own
	// (which then differ from them, and both are the source's word).
	PreviousAddress   *types.Address `json:"previous_address"`
	ForwardingAddress *types.Address `json:"forwarding_address"`
	Tenants           []TenantRecord `json:"tenants"`
	Extra             map[string]any `json:"-"`
}

// TenantRecord is one tenant of a Record.
type TenantRecord struct {
	ID        string `json:"id"`
	SourceID  string `json:"source_id"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Email     string `json:"email"`
	// The phones are optional in the spec: null when absent, as the
	// addresses are, never "".
	CellPhone         *string        `json:"cell_phone"`
	HomePhone         *string        `json:"home_phone"`
	Gender            *string        `json:"gender"`
	PreviousAddress   *types.Address `json:"previous_address"`
	ForwardingAddress *types.Address `json:"forwarding_address"`
	Extra             map[string]any `json:"-"`
}

// MarshalJSON writes the spec's fields, then the source's extra ones.
func (l Record) MarshalJSON() ([]byte, error) {
	type plain Record
	return withExtra(plain(l), l.Extra)
}

// MarshalJSON writes the spec's fields, then the source's extra ones.
func (t TenantRecord) MarshalJSON() ([]byte, error) {
	type plain TenantRecord
	return withExtra(plain(t), t.Extra)
}

// withExtra writes v's fields, then every extra field whose name the spec's
// shape does not already use.
func withExtra(v any, extra map[string]any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil || len(extra) == 0 {
		return b, err
	}
	var own map[string]json.RawMessage
	if err := json.Unmarshal(b, &own); err != nil {
		return nil, err
	}
	buf := bytes.NewBuffer(b[:len(b)-1])
	for _, k := range slices.Sorted(maps.Keys(extra)) {
		if _, taken := own[k]; taken {
			continue
		}
		kb, _ := json.Marshal(k)
		vb, err := json.Marshal(extra[k])
		if err != nil {
			return nil, err
		}
		buf.WriteByte(',')
		buf.Write(kb)
		buf.WriteByte(':')
		buf.Write(vb)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func datePtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := types.FormatDate(*t)
	return &s
}

func addr(a *types.Address) *types.Address {
	if a.IsZero() {
		return nil
	}
	return a
}

// ToRecord is l as /leases shows it. l must be loaded with its tenants in
// id order (TenantOrder), so that two reads of one lease compare equal.
func ToRecord(l *ent.Lease) Record {
	rec := Record{
		ID:                strconv.Itoa(l.ID),
		SourceID:          l.SourceID,
		ClientID:          strconv.Itoa(l.ClientID),
		PropertyID:        strconv.Itoa(l.PropertyID),
		UnitAddress:       addr(l.UnitAddress),
		Status:            l.Status,
		LeaseStartDate:    types.FormatDate(l.LeaseStartDate),
		LeaseEndDate:      datePtr(l.LeaseEndDate),
		UseType:           l.UseType,
		MoveInDate:        datePtr(l.MoveInDate),
		MoveOutDate:       datePtr(l.MoveOutDate),
		PreviousAddress:   addr(l.PreviousAddress),
		ForwardingAddress: addr(l.ForwardingAddress),
		Tenants:           []TenantRecord{},
		Extra:             l.Extra,
	}
	for _, t := range l.Edges.Tenants {
		tr := TenantRecord{
			ID: strconv.Itoa(t.ID), SourceID: t.SourceID, FirstName: t.FirstName, LastName: t.LastName, Email: t.Email,
			CellPhone: optional(t.CellPhone), HomePhone: optional(t.HomePhone),
			// A feed may keep these on the lease: the tenant's own win,
			// and a reader of tenants alone still finds the lease's.
			PreviousAddress:   cmpAddr(t.PreviousAddress, l.PreviousAddress),
			ForwardingAddress: cmpAddr(t.ForwardingAddress, l.ForwardingAddress),
			Extra:             t.Extra,
		}
		if t.Gender != nil {
			g := strings.ToLower(string(*t.Gender))
			tr.Gender = &g
		}
		rec.Tenants = append(rec.Tenants, tr)
	}
	return rec
}

// TenantOrder keeps a lease's tenants in a stable order in every answer
// and every event: load a Record's lease WithTenants(TenantOrder). It reads
// only the columns a Record shows: the sync's hidden copies of a
// resident's addresses would cost two more decodes per tenant.
func TenantOrder(q *ent.TenantQuery) { q.Order(ent.Asc(tenant.FieldID)).Select(shownTenantColumns...) }

// shownTenantColumns are the tenant columns but the lease sync's own.
var shownTenantColumns = slices.DeleteFunc(slices.Clone(tenant.Columns), func(c string) bool {
	return c == tenant.FieldPropexoPrimaryAddress || c == tenant.FieldPropexoAlternateAddress
})

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func cmpAddr(own, lease *types.Address) *types.Address {
	if !own.IsZero() {
		return own
	}
	return addr(lease)
}
