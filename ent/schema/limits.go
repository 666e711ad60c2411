package schema

import (
	"fmt"
	"unicode/utf8"

	"github.com/leasegraph/leasegraph/internal/textlimit"
)

// Limits of free text that has no natural length: every string field has a
// bound, so no input can make a row (or a Propexo delivery) arbitrarily big.
const (
	// maxNotes bounds a prospect's notes, which updates append to.
	maxNotes = 20000
	// maxListItems and maxListItem bound string lists (status sets, CRM
	// origins, pets, scopes).
	maxListItems = 200
	maxListItem  = 200
	// maxError bounds the error text a row keeps: textlimit's, which the
	// code that writes one cuts to (a longer text would fail the write that
	// records the failure).
	maxError = textlimit.ErrorLen
)

// boundedList checks a string list's length and each item's, so that a
// list is refused by ent's validation with the field's name, not by the
// database.
func boundedList(items []string) error {
	if len(items) > maxListItems {
		return fmt.Errorf("has %d items, at most %d are allowed", len(items), maxListItems)
	}
	for i, s := range items {
		if utf8.RuneCountInString(s) > maxListItem {
			return fmt.Errorf("item %d is longer than %d characters", i, maxListItem)
		}
	}
	return nil
}
