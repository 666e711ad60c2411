// Package statusset holds the lease status vocabularies that say whether a
// lease is a move-in, a move-out or a transfer. Property-management systems
// each use their own words, so the sets are per client; these defaults cover
// the common ones.
package statusset

import (
	"slices"
	"strings"
)

// The default sets, lower-case.
var (
	DefaultMoveIn = []string{
		"approved", "future", "pending", "signed", "pending renewal",
		"move in", "move-in", "moving in", "leased", "preleased", "scheduled move in",
	}
	DefaultMoveOut = []string{
		"ending", "notice", "on notice", "vacating", "notice given", "move out", "move-out",
		"moving out", "terminated", "expiring",
	}
	DefaultTransfer = []string{"transfer", "transferring", "transferred", "unit transfer", "pending transfer"}
)

// Key is the form a status is compared in: trimmed, inner spaces folded,
// lower-case.
func Key(status string) string {
	return strings.ToLower(strings.Join(strings.Fields(status), " "))
}

// Normalize returns the set's keys, without blanks or duplicates, sorted.
func Normalize(statuses []string) []string {
	out := make([]string, 0, len(statuses))
	for _, s := range statuses {
		if k := Key(s); k != "" {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
