// Package schema is the data model, hand-written: one file per entity (its
// fields, edges, indexes and entgql annotations), the TenantMixin
// (mixin.go) and the privacy policies that scope every row to the viewer's
// client (policy.go), the hooks that normalise what is stored (hooks.go:
// status keys, blank partner references as NULL, calendar dates), and the
// limits every string column obeys (limits.go). entc generates package ent
// and its subpackages from it (make generate); migrations/gen turns its
// changes into versioned migrations.
package schema
