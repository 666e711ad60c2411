package repodocs

import (
	"os"
	"path"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// outside names the documents kept outside the repository. A comment or
// page that cites one points a reader at a file they may not have, which
// may change without the code noticing; it cites the section of
// docs/partners/ (or docs/) that states the fact instead. The patterns
// are written so that this file does not match them itself.
var outside = []struct {
	what string
	re   *regexp.Regexp
}{
	{"the partner notes", regexp.MustCompile(`PARTNERS[.]md`)},
	{"the SmartMove API document", regexp.MustCompile(`smartmove[-]api`)},
	{"Propexo's OpenAPI extract", regexp.MustCompile(`propexo[-]openapi`)},
	{"a Propexo prospect page", regexp.MustCompile(`propexo[-](create|update)[-]prospect`)},
	{"the registration iframe spec", regexp.MustCompile(`registration[-]iframe`)},
	{"the lease service spec", regexp.MustCompile(`lease[-]service[.]txt`)},
	{"the GraphQL-over-HTTP spec", regexp.MustCompile(`graphql[-]over[-]http[.]md`)},
	{"the shared folder", regexp.MustCompile(`\bshared[/]`)},
	{"a path of this machine", regexp.MustCompile(`/work[/]`)},
}

// sourcesDir is where the outside documents may be named: its pages say
// which document each fact comes from. Paths are still refused there.
const sourcesDir = "docs/partners/"

// TestNoOutsideCitations: no file of the repository cites a document kept
// outside it.
func TestNoOutsideCitations(t *testing.T) {
	for _, f := range repoFiles(t) {
		for _, o := range outside {
			if strings.HasPrefix(f.rel, sourcesDir) && o.what != "the shared folder" && o.what != "a path of this machine" {
				continue
			}
			for _, m := range o.re.FindAllStringIndex(f.text, -1) {
				t.Errorf("%s:%d cites %s (%q), which is not in the repository: cite its fact in docs/partners/ instead",
					f.rel, lineOf(f.text, m[0]), o.what, f.text[m[0]:m[1]])
			}
		}
	}
}

var (
	// docCitation is a citation of a page of docs/, from anywhere: a
	// path, then anchors, the first after '#', more after ", #" or " and #".
	docCitation = regexp.MustCompile(`\bdocs/[\w./-]*?\.md((?:#[\w-]+)(?:(?:,\s*| and )#[\w-]+)*)?`)
	anchorName  = regexp.MustCompile(`#([\w-]+)`)
	// mdLink is a Markdown link's target.
	mdLink     = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	codeSpan   = regexp.MustCompile("`[^`\n]*`")
	fencedCode = regexp.MustCompile("(?ms)^ {0,3}```.*?^ {0,3}```")
)

// TestDocCitationsResolve: every page of docs/ (and its anchors) that a
// file cites, and every relative link of a Markdown page, names a file that
// exists and, for a Markdown file, anchors it defines. Moving or renaming a
// heading breaks the comments that cite it; this names them.
func TestDocCitationsResolve(t *testing.T) {
	files := repoFiles(t)
	byPath := map[string]string{}
	for _, f := range files {
		byPath[f.rel] = f.text
	}
	cache := map[string]map[string]bool{}
	check := func(from string, line int, target, anchorList string) {
		text, ok := byPath[target]
		if !ok {
			if st, err := os.Stat(root + "/" + target); err == nil && (st.IsDir() || anchorList == "") {
				return
			}
			t.Errorf("%s:%d cites %s, which does not exist", from, line, target)
			return
		}
		if !strings.HasSuffix(target, ".md") {
			return
		}
		if cache[target] == nil {
			cache[target] = anchors(text)
		}
		for _, a := range anchorName.FindAllStringSubmatch(anchorList, -1) {
			if !cache[target][a[1]] {
				t.Errorf("%s:%d cites %s#%s, which has no such heading (anchors: %s)", from, line, target, a[1], list(cache[target]))
			}
		}
	}
	cited := 0
	for _, f := range files {
		for _, m := range docCitation.FindAllStringSubmatchIndex(f.text, -1) {
			target := f.text[m[0]:m[1]]
			anchorList := ""
			if m[2] >= 0 {
				target, anchorList = f.text[m[0]:m[2]], f.text[m[2]:m[3]]
			}
			check(f.rel, lineOf(f.text, m[0]), target, anchorList)
			cited++
		}
		if !strings.HasSuffix(f.rel, ".md") {
			continue
		}
		// A page's own links, relative to it; code is not a link.
		text := fencedCode.ReplaceAllStringFunc(f.text, blank)
		text = codeSpan.ReplaceAllStringFunc(text, blank)
		for _, m := range mdLink.FindAllStringSubmatchIndex(text, -1) {
			link := text[m[2]:m[3]]
			if strings.Contains(link, "://") || strings.HasPrefix(link, "mailto:") {
				continue
			}
			target, anchor, _ := strings.Cut(link, "#")
			if target == "" {
				target = f.rel
			} else {
				target = path.Clean(path.Join(path.Dir(f.rel), target))
			}
			if anchor != "" {
				anchor = "#" + anchor
			}
			check(f.rel, lineOf(f.text, m[0]), target, anchor)
		}
	}
	if cited < 100 {
		t.Errorf("found only %d docs/ citations: is the pattern still right?", cited)
	}
}

// blank replaces every byte of s but newlines by a space, keeping offsets.
func blank(s string) string {
	b := []byte(s)
	for i := range b {
		if b[i] != '\n' {
			b[i] = ' '
		}
	}
	return string(b)
}

func list(set map[string]bool) string {
	var s []string
	for k := range set {
		s = append(s, k)
	}
	sort.Strings(s)
	return strings.Join(s, " ")
}
