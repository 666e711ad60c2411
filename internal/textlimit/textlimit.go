// Package textlimit cuts text to what a column holds, counted in
// characters as ent's MaxRuneLen counts them and never inside one: a cut
// UTF-8 sequence is refused by PostgreSQL. It imports nothing, so that
// ent/schema may take its limits from here (as it does idemkey's) and the
// columns and the code that fills them cannot drift apart.
package textlimit

// ErrorLen bounds the error text a row keeps (IntegrationJob.last_error,
// LeaseSync.last_error, ScreeningRequest.error_message): a partner's message
// may be any length, and a write refused for it would lose the failure it
// records.
const ErrorLen = 1000

// Cut returns s, or its first n characters when it is longer.
func Cut(s string, n int) string {
	if len(s) <= n { // bytes: no string of n bytes has more than n characters
		return s
	}
	i := 0
	for k := range s {
		if i == n {
			return s[:k]
		}
		i++
	}
	return s
}

// ErrorText is s cut to ErrorLen.
func ErrorText(s string) string { return Cut(s, ErrorLen) }
