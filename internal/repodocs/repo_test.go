package repodocs

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// root is the module root: the tests run in internal/repodocs.
const root = "../.."

// modulePath reads the module's path from go.mod.
func modulePath(t *testing.T) string {
	t.Helper()
	f, err := os.Open(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m, ok := strings.CutPrefix(sc.Text(), "module "); ok {
			return strings.TrimSpace(m)
		}
	}
	t.Fatal("go.mod names no module")
	return ""
}

// repoFile is a file of the repository a person reads or a tool runs.
type repoFile struct {
	rel  string // slash-separated, from the module root
	text string
}

// scanned says which files the document rules apply to: source, schema,
// SQL, scripts and Markdown. Vendored and generated assets are not ours to
// word.
func scanned(rel string) bool {
	switch {
	case strings.HasPrefix(rel, ".git/"), strings.HasPrefix(rel, "internal/playground/assets/"):
		return false
	case filepath.Base(rel) == "Makefile", rel == ".ci/run":
		return true
	}
	switch filepath.Ext(rel) {
	case ".go", ".sql", ".md", ".graphqls", ".yml", ".yaml", ".sh", ".tmpl", ".html", ".js":
		return true
	}
	return false
}

// repoFiles reads every scanned file of the repository.
func repoFiles(t *testing.T) []repoFile {
	t.Helper()
	var files []repoFile
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			// node_modules: npm's packages, installed by the TypeScript
			// example (examples/typescript) and never committed.
			if d.Name() == ".git" || d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			return nil
		}
		if !scanned(rel) {
			return nil
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files = append(files, repoFile{rel: rel, text: string(raw)})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 100 {
		t.Fatalf("found only %d files under %s: is the test running in internal/repodocs?", len(files), root)
	}
	return files
}

// lineOf is the 1-based line of offset i in text.
func lineOf(text string, i int) int { return strings.Count(text[:i], "\n") + 1 }

var (
	fence     = regexp.MustCompile("(?m)^ {0,3}(```|~~~)")
	heading   = regexp.MustCompile(`^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$`)
	htmlID    = regexp.MustCompile(`<a\s+(?:id|name)="([^"]+)"`)
	mdLinkTxt = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
)

// anchors lists the anchors a Markdown text defines, as GitHub derives
// them from its headings (lower case; letters, digits, '-' and '_' kept,
// spaces become '-', the rest dropped; a repeated one gets -1, -2, ...),
// plus explicit <a id="..."> anchors. Headings inside fenced code are not
// headings.
func anchors(text string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	inFence := false
	for _, line := range strings.Split(text, "\n") {
		if fence.MatchString(line) {
			inFence = !inFence
			continue
		}
		if inFence {
			continue
		}
		for _, m := range htmlID.FindAllStringSubmatch(line, -1) {
			out[m[1]] = true
		}
		m := heading.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		slug := slugify(mdLinkTxt.ReplaceAllString(m[1], "$1"))
		if n := seen[slug]; n > 0 {
			out[fmt.Sprintf("%s-%d", slug, n)] = true
		} else {
			out[slug] = true
		}
		seen[slug]++
	}
	return out
}

func slugify(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case unicode.IsLetter(r), unicode.IsDigit(r), r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	return b.String()
}
