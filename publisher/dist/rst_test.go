package dist

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testdata/rst: reStructuredText documents and what the real readme_renderer
// made of each (expectations.json, written by scripts/rst-expectations).

type rstExpectation struct {
	Renders bool `json:"renders"`
	Halt    *struct {
		Line    *int   `json:"line"`
		Level   *int   `json:"level"`
		Message string `json:"message"`
	} `json:"halt"`
	Messages []struct {
		Line    *int   `json:"line"`
		Level   int    `json:"level"`
		Message string `json:"message"`
	} `json:"messages"`
}

type rstExpectations struct {
	Docutils       string                    `json:"docutils"`
	ReadmeRenderer string                    `json:"readme_renderer"`
	Files          map[string]rstExpectation `json:"files"`
}

func loadRSTExpectations(t *testing.T) (string, rstExpectations) {
	t.Helper()
	dir := filepath.Join(testdataDir, "rst")
	raw, err := os.ReadFile(filepath.Join(dir, "expectations.json"))
	if err != nil {
		t.Fatalf("the committed RST corpus is missing: %v", err)
	}
	var exp rstExpectations
	if err := json.Unmarshal(raw, &exp); err != nil {
		t.Fatal(err)
	}
	if len(exp.Files) < 100 {
		t.Fatalf("expectations.json covers only %d documents", len(exp.Files))
	}
	return dir, exp
}

func lineOf(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

func TestRSTCorpus(t *testing.T) {
	dir, exp := loadRSTExpectations(t)
	if exp.Docutils != "0.23" {
		t.Errorf("expectations were generated with docutils %s; PyPI runs 0.23 (scripts/rst-expectations --docutils)", exp.Docutils)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".rst") {
			if _, ok := exp.Files[e.Name()]; !ok {
				t.Errorf("%s has no expectation: run scripts/rst-expectations", e.Name())
			}
		}
	}
	for name, want := range exp.Files {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatalf("committed fixture missing: %v", err)
			}
			renders, problems, _ := CheckRST(string(data))
			if renders != want.Renders {
				t.Errorf("renders = %v, readme_renderer: %v (halt %+v); ours: %v", renders, want.Renders, want.Halt, problems)
			}
			var wantMsgs, gotMsgs []string
			for _, m := range want.Messages {
				wantMsgs = append(wantMsgs, fmt.Sprintf("%d: %s", lineOf(m.Line), m.Message))
			}
			for _, p := range problems {
				if p.Message != rstNoContent {
					gotMsgs = append(gotMsgs, fmt.Sprintf("%d: %s", p.Line, p.Message))
				}
			}
			if strings.Join(wantMsgs, "\n") != strings.Join(gotMsgs, "\n") {
				t.Errorf("messages differ\nreadme_renderer/docutils:\n  %s\nours:\n  %s", strings.Join(wantMsgs, "\n  "), strings.Join(gotMsgs, "\n  "))
			}
			if want.Halt != nil && len(problems) > 0 {
				if p := problems[0]; p.Message != want.Halt.Message || p.Line != lineOf(want.Halt.Line) {
					t.Errorf("first problem %v, readme_renderer stopped at line %d: %s", p, lineOf(want.Halt.Line), want.Halt.Message)
				}
			}
		})
	}
}

// Large and pathological descriptions end in bounded time: the checker
// stops at rstMaxProblems problems (the verdict is known) and gives up,
// with ErrRSTTooComplex, past its work budget.
func TestRSTBounded(t *testing.T) {
	for _, unit := range []string{"*a ", "``a ", "|a ", "a_ ", "[1]_ ", ":x:`a "} {
		text := strings.Repeat(strings.Repeat(unit, 100)+"\n", (256<<10)/(len(unit)*100))
		renders, problems, err := CheckRST(text)
		if err != nil || renders || len(problems) == 0 || len(problems) > rstMaxProblems {
			t.Errorf("%q: renders %v, %d problems, %v", unit, renders, len(problems), err)
		}
	}
	var b strings.Builder
	for i := 0; b.Len() < 256<<10; i++ {
		fmt.Fprintf(&b, "Section %d\n====================\n\nText with *em*, ``lit``, `link <https://example.org/%d>`__ and `Section %d`_.\n\n", i, i, i)
	}
	if renders, problems, err := CheckRST(b.String()); !renders || err != nil {
		t.Errorf("a large valid document: %v %v %v", renders, problems, err)
	}
	old := rstBudget
	rstBudget = 10_000
	defer func() { rstBudget = old }()
	if renders, problems, err := CheckRST(b.String()); err != ErrRSTTooComplex || !renders || problems != nil {
		t.Errorf("past the budget: %v %v %v", renders, problems, err)
	}
}
