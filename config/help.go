package config

import (
	"fmt"
	"io"
	"strings"
)

// shown is the default as the documentation states it (Markdown).
func (s Setting) shown() string {
	switch {
	case s.Shown != "":
		return s.Shown
	case s.Default == "":
		return "unset"
	}
	return "`" + s.Default + "`"
}

// Markdown is the configuration table of docs/configuration.md.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| variable | default | meaning |\n| --- | --- | --- |\n")
	for _, s := range Settings() {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", s.Name, s.shown(), strings.ReplaceAll(s.Help, "|", `\|`))
	}
	return b.String()
}

// WriteHelp prints the table for `server -h`, as plain text.
func WriteHelp(w io.Writer) {
	plain := strings.NewReplacer("`", "", "[Query limits](api.md#query-limits)", "Query limits in docs/api.md")
	fmt.Fprintln(w, "Environment (an unset or empty variable takes its default):")
	for _, s := range Settings() {
		fmt.Fprintf(w, "  %s (default %s)\n", s.Name, plain.Replace(s.shown()))
		line := "       "
		for _, word := range strings.Fields(plain.Replace(s.Help)) {
			if len(line)+1+len(word) > 80 && strings.TrimSpace(line) != "" {
				fmt.Fprintln(w, line)
				line = "       "
			}
			line += " " + word
		}
		fmt.Fprintln(w, line)
	}
}
