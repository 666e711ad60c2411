package repodocs

import (
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// layoutRow is one row of DESIGN.md's layout table, as TestImportRules
// reads it (the grammar is DESIGN.md's, above the table).
type layoutRow struct {
	line     int      // in DESIGN.md
	label    string   // the paths it names, for messages
	exact    []string // packages the row covers by name (module-relative)
	subtrees []string // x of every x/... it covers
	// The rule: everything, the standard library only, or the listed
	// packages of ours (exact names and x/... subtrees).
	everything, stdlibOnly bool
	allowExact, allowTree  map[string]bool
	empty                  bool // the cell says nothing
}

var backticked = regexp.MustCompile("`([^`]+)`")

// splitRow splits a Markdown table row into its cells; \| is a pipe
// inside a cell.
func splitRow(line string) []string {
	line = strings.TrimSpace(line)
	line = strings.TrimPrefix(strings.TrimSuffix(line, "|"), "|")
	line = strings.ReplaceAll(line, `\|`, "\x00")
	cells := strings.Split(line, "|")
	for i, c := range cells {
		cells[i] = strings.TrimSpace(strings.ReplaceAll(c, "\x00", "|"))
	}
	return cells
}

// readLayout parses the table under DESIGN.md's "## Layout" whose header
// has the "path" and "may import" columns.
func readLayout(t *testing.T) []layoutRow {
	t.Helper()
	raw, err := os.ReadFile(root + "/DESIGN.md")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(raw), "\n")
	start := -1
	for i, l := range lines {
		if strings.TrimSpace(l) == "## Layout" {
			start = i
			break
		}
	}
	if start < 0 {
		t.Fatal(`DESIGN.md has no "## Layout" section`)
	}
	pathCol, ruleCol, header := -1, -1, -1
	for i := start + 1; i < len(lines) && !strings.HasPrefix(lines[i], "## "); i++ {
		if !strings.HasPrefix(strings.TrimSpace(lines[i]), "|") {
			continue
		}
		for j, c := range splitRow(lines[i]) {
			switch strings.ToLower(c) {
			case "path":
				pathCol = j
			case "may import":
				ruleCol = j
			}
		}
		if pathCol >= 0 && ruleCol >= 0 {
			header = i
			break
		}
	}
	if header < 0 {
		t.Fatal(`DESIGN.md's Layout section has no table with "path" and "may import" columns`)
	}
	var rows []layoutRow
	for i := header + 2; i < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[i]), "|"); i++ {
		cells := splitRow(lines[i])
		if len(cells) <= ruleCol || len(cells) <= pathCol {
			t.Errorf("DESIGN.md:%d: a layout row with %d cells", i+1, len(cells))
			continue
		}
		r := layoutRow{line: i + 1, allowExact: map[string]bool{}, allowTree: map[string]bool{}}
		var names []string
		for _, m := range backticked.FindAllStringSubmatch(cells[pathCol], -1) {
			names = append(names, m[1])
			p := strings.TrimSuffix(m[1], "/")
			if x, ok := strings.CutSuffix(p, "/..."); ok {
				r.subtrees = append(r.subtrees, x)
			} else {
				r.exact = append(r.exact, p)
			}
		}
		r.label = "(" + strings.Join(names, ", ") + ")"
		rule := cells[ruleCol]
		switch strings.ToLower(strings.Trim(rule, "` ")) {
		case "everything":
			r.everything = true
		case "stdlib only":
			r.stdlibOnly = true
		case "":
			r.empty = true
		default:
			for _, m := range backticked.FindAllStringSubmatch(rule, -1) {
				if x, ok := strings.CutSuffix(m[1], "/..."); ok {
					r.allowTree[x] = true
				} else {
					r.allowExact[strings.TrimSuffix(m[1], "/")] = true
				}
			}
		}
		rows = append(rows, r)
	}
	if len(rows) < 10 {
		t.Fatalf("DESIGN.md's layout table has %d rows", len(rows))
	}
	return rows
}

// goPackages lists the module's packages and, for each, the packages its
// non-test files import, from `go list`.
func goPackages(t *testing.T) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", "./...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	pkgs := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkgs[f[0]] = f[1:]
	}
	return pkgs
}

func inTree(pkg, tree string) bool { return pkg == tree || strings.HasPrefix(pkg, tree+"/") }

// isStdlib: the standard library's import paths have no dot in their
// first element; every module's do (ours too, github.com/...).
func isStdlib(imp string) bool {
	first, _, _ := strings.Cut(imp, "/")
	return !strings.Contains(first, ".")
}

// TestImportRules enforces the "may import" column of DESIGN.md's layout
// table: every package of the module is covered by a row, and imports only
// what its row allows. The rules are read from DESIGN.md, never copied
// here, so the table cannot drift from the code unnoticed.
func TestImportRules(t *testing.T) {
	module := modulePath(t)
	rows := readLayout(t)
	full := goPackages(t)
	rel := map[string]string{} // module-relative name (the root is ".") -> import path
	for p := range full {
		r := strings.TrimPrefix(strings.TrimPrefix(p, module), "/")
		if r == "" {
			r = "."
		}
		rel[r] = p
	}
	isPkg := func(p string) bool { _, ok := rel[p]; return ok }
	hasPkgs := func(tree string) bool {
		for p := range rel {
			if inTree(p, tree) {
				return true
			}
		}
		return false
	}

	// Every path a row names exists, and names what the grammar says.
	for _, r := range rows {
		for _, p := range r.exact {
			st, err := os.Stat(root + "/" + p)
			switch {
			case err != nil:
				t.Errorf("DESIGN.md:%d: the layout row %s names `%s`, which does not exist", r.line, r.label, p)
			case st.IsDir() && !isPkg(p):
				t.Errorf("DESIGN.md:%d: the layout row %s names `%s/`, a folder without Go files: write `%s/...` for the packages below it", r.line, r.label, p, p)
			}
		}
		for _, p := range r.subtrees {
			if !hasPkgs(p) {
				t.Errorf("DESIGN.md:%d: the layout row %s names `%s/...`, under which there is no package", r.line, r.label, p)
			}
		}
		for p := range r.allowExact {
			if !isPkg(p) {
				t.Errorf("DESIGN.md:%d: the layout row %s may import `%s`, which is no package of this module", r.line, r.label, p)
			}
		}
		for p := range r.allowTree {
			if !hasPkgs(p) {
				t.Errorf("DESIGN.md:%d: the layout row %s may import `%s/...`, under which there is no package", r.line, r.label, p)
			}
		}
	}

	// The row of each package: an exact path, else the longest x/....
	rowOf := func(p string) (*layoutRow, string) {
		var exact []*layoutRow
		var best *layoutRow
		bestLen := -1
		for i := range rows {
			r := &rows[i]
			for _, e := range r.exact {
				if e == p {
					exact = append(exact, r)
				}
			}
			for _, s := range r.subtrees {
				if inTree(p, s) && len(s) > bestLen {
					best, bestLen = r, len(s)
				}
			}
		}
		switch {
		case len(exact) > 1:
			return nil, "is named by two layout rows (DESIGN.md lines " + strconv.Itoa(exact[0].line) + " and " + strconv.Itoa(exact[1].line) + ")"
		case len(exact) == 1:
			return exact[0], ""
		case best != nil:
			return best, ""
		}
		return nil, "is covered by no row of DESIGN.md's layout table: add one (or a path to a row) that says what it may import"
	}

	var problems []string
	for p, imp := range rel {
		r, why := rowOf(p)
		if r == nil {
			problems = append(problems, "package "+p+" "+why)
			continue
		}
		if r.empty {
			problems = append(problems, "package "+p+": its layout row "+r.label+" (DESIGN.md:"+strconv.Itoa(r.line)+") says nothing under \"may import\"")
			continue
		}
		for _, dep := range full[imp] {
			ours := dep == module || strings.HasPrefix(dep, module+"/")
			d := strings.TrimPrefix(strings.TrimPrefix(dep, module), "/")
			switch {
			case r.everything:
			case r.stdlibOnly && !isStdlib(dep):
				if ours {
					dep = d
				}
				problems = append(problems, "package "+p+" imports "+dep+", but its layout row "+r.label+" (DESIGN.md:"+strconv.Itoa(r.line)+") says stdlib only")
			case !ours || d == p:
			case r.allowExact[d] || anyTree(r.allowTree, d):
			default:
				problems = append(problems, "package "+p+" imports "+d+", which its layout row "+r.label+" (DESIGN.md:"+strconv.Itoa(r.line)+") does not allow")
			}
		}
	}
	sort.Strings(problems)
	for _, p := range problems {
		t.Error(p)
	}
}

func anyTree(trees map[string]bool, p string) bool {
	for tree := range trees {
		if inTree(p, tree) {
			return true
		}
	}
	return false
}
