package ent

// Hand-written: ent keeps a query's order unexported, and the schema's
// default-order interceptor (schema.TenantMixin.Interceptors) must not add
// an order to a query that has its own (a page's cursor order).

// OrderedOrModified reports whether q, a query of this package, has an
// order of its own or modifiers (entgql's per-parent counts GROUP BY, which
// an ORDER BY id would break on PostgreSQL).
func OrderedOrModified(q any) bool {
	switch q := q.(type) {
	case *APITokenQuery:
		return len(q.order) > 0 || len(q.modifiers) > 0
	case *ApplicantQuery:
		return len(q.order) > 0 || len(q.modifiers) > 0
	case *BanQuery:
		return len(q.order) > 0 || len(q.modifiers) > 0
	case *CardQuery:
		return len(q.order) > 0 || len(q.modifiers) > 0
	case *CompanyQuery:
		return len(q.order) > 0 || len(q.modifiers) > 0
	case *IdempotencyRecordQuery:
		return len(q.order) > 0 || len(q.modifiers) > 0
	case *InboundEventQuery:
		return len(q.order) > 0 || len(q.modifiers) > 0
	case *IntegrationJobQuery:
		return len(q.order) > 0 || len(q.modifiers) > 0
	case *LeaseQuery:
		return len(q.order) > 0 || len(q.modifiers) > 0
	case *PropertyQuery:
		return len(q.order) > 0 || len(q.modifiers) > 0
	case *ProspectQuery:
		return len(q.order) > 0 || len(q.modifiers) > 0
	case *RegistrationQuery:
		return len(q.order) > 0 || len(q.modifiers) > 0
	case *ScreeningApplicationQuery:
		return len(q.order) > 0 || len(q.modifiers) > 0
	case *ScreeningRequestQuery:
		return len(q.order) > 0 || len(q.modifiers) > 0
	case *TenantQuery:
		return len(q.order) > 0 || len(q.modifiers) > 0
	}
	return false
}
