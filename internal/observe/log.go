package observe

import (
	"context"
	"io"
	"log/slog"
	"regexp"
	"strings"

	"github.com/leasegraph/leasegraph/cards"
)

// Redacted replaces every value this package will not log.
const Redacted = "[REDACTED]"

// NewLogger is the process's logger: JSON (format "json") or logfmt-like
// text lines, every one of them through Handler.
func NewLogger(w io.Writer, format string, level slog.Leveler) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if format == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(Wrap(h))
}

// Handler is the one place log lines are redacted: an attribute whose name
// says it holds a secret (secretWords) loses its value whatever it is, and
// every string still loses anything shaped like an API token or a card
// number (a token pasted into a URL path, a card number quoted in an
// error). It adds the request id of the record's context as request_id.
type Handler struct{ next slog.Handler }

// Wrap puts h behind Handler; a handler already wrapped is returned as is,
// so wrapping twice costs nothing.
func Wrap(h slog.Handler) slog.Handler {
	if _, ok := h.(*Handler); ok {
		return h
	}
	return &Handler{next: h}
}

// Unredacted marks the rare value that is logged on purpose although its
// attribute's name says secret (demo mode's token). Grep for it.
type Unredacted string

// LogValue lets the text and JSON handlers print it as a plain string.
func (u Unredacted) LogValue() slog.Value { return slog.StringValue(string(u)) }

// Enabled defers to the wrapped handler.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

// Handle redacts the record and adds its request id.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, scrub(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redact(a))
		return true
	})
	if id := RequestIDFrom(ctx); id != "" {
		out.AddAttrs(slog.String("request_id", id))
	}
	return h.next.Handle(ctx, out)
}

// WithAttrs redacts attributes bound ahead of time too.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		red[i] = redact(a)
	}
	return &Handler{next: h.next.WithAttrs(red)}
}

// WithGroup keeps redacting inside the group.
func (h *Handler) WithGroup(name string) slog.Handler { return &Handler{next: h.next.WithGroup(name)} }

// secretWords are the attribute names (lower case, without '_' and '-',
// matched anywhere in the name) whose values are never logged: the kinds
// of secret the product handles (API tokens, partner keys and passwords,
// card numbers and CVVs, the signing secret).
var secretWords = []string{"token", "authorization", "password", "passwd", "secret", "apikey", "cvv", "card", "ssn", "cookie", "credential"}

// separators are dropped from a key before it is compared: built once, as
// building a Replacer costs kilobytes and the request log checks every key.
var separators = strings.NewReplacer("_", "", "-", "")

func secretName(key string) bool {
	k := separators.Replace(strings.ToLower(key))
	for _, w := range secretWords {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

func redact(a slog.Attr) slog.Attr {
	if u, ok := a.Value.Any().(Unredacted); ok && a.Value.Kind() == slog.KindLogValuer {
		return slog.String(a.Key, string(u))
	}
	if secretName(a.Key) {
		return slog.String(a.Key, Redacted)
	}
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, scrub(v.String()))
	case slog.KindGroup:
		group := v.Group()
		red := make([]any, len(group))
		for i, g := range group {
			red[i] = redact(g)
		}
		return slog.Group(a.Key, red...)
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return slog.String(a.Key, scrub(err.Error()))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// tokenLike matches a leasegraph API token (or most of one) wherever it
// appears; the first 11 characters are its visible prefix, kept so that an
// operator can tell which token it was.
var tokenLike = regexp.MustCompile(`(?i)lg_[a-z2-7]{9,}`)

func scrub(s string) string {
	s = tokenLike.ReplaceAllStringFunc(s, func(m string) string { return m[:11] + Redacted })
	return cards.RedactNumbers(s)
}
