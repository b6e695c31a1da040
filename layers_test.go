package oversight_test

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestLayers keeps the layer table of docs/design/ARCHITECTURE.md true:
// every package of the module has a row, and imports only the packages of
// the module its row lists (tests aside).
func TestLayers(t *testing.T) {
	allowed := layerTable(t)
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const module = "github.com/oversight-dev/oversight"
	rel := func(path string) (string, bool) {
		if path == module {
			return "oversight", true
		}
		r, ok := strings.CutPrefix(path, module+"/")
		return r, ok
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		pkg, _ := rel(fields[0])
		may, ok := allowed[pkg]
		if !ok {
			for prefix, m := range allowed {
				if p, found := strings.CutSuffix(prefix, "/..."); found && strings.HasPrefix(pkg, p+"/") {
					may, ok = m, true
				}
			}
		}
		if !ok {
			t.Errorf("package %s has no row in the layer table of docs/design/ARCHITECTURE.md: add one saying what it holds and may import", pkg)
			continue
		}
		for _, imp := range fields[1:] {
			dep, ours := rel(imp)
			if ours && !slices.Contains(may, dep) && !slices.Contains(may, "any") {
				t.Errorf("%s imports %s, which its row of the layer table does not allow (it may import %s)", pkg, dep, strings.Join(may, ", "))
			}
		}
	}
}

// layerTable reads the packages and what each may import from the table
// of ARCHITECTURE.md: rows "| `pkg` … | holds | `a`, `b` |", "—" for
// nothing of the module, "any" for everything.
func layerTable(t *testing.T) map[string][]string {
	t.Helper()
	doc, err := os.ReadFile("docs/design/ARCHITECTURE.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("^\\| `([^`]+)`[^|]*\\|[^|]*\\| ([^|]+) \\|$")
	name := regexp.MustCompile("`([^`]+)`")
	table := map[string][]string{}
	for line := range strings.Lines(string(doc)) {
		m := row.FindStringSubmatch(strings.TrimRight(line, "\n"))
		if m == nil {
			continue
		}
		var may []string
		if strings.TrimSpace(m[2]) == "any" {
			may = []string{"any"}
		}
		for _, n := range name.FindAllStringSubmatch(m[2], -1) {
			may = append(may, n[1])
		}
		table[m[1]] = may
	}
	if len(table) < 10 {
		t.Fatalf("read %d rows from the layer table of ARCHITECTURE.md; has its format changed?", len(table))
	}
	return table
}
