package dist

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// testdata/corpus: real files written by many build backends, with what
// check must answer for each (corpus.json). A missing file fails the test:
// these are committed fixtures, not optional inputs.

type corpusCase struct {
	File     string   `json:"file"`
	Backend  string   `json:"backend"`
	Errors   []string `json:"errors"`
	Warnings []string `json:"warnings"`
	Why      string   `json:"why"`
}

func loadCorpus(t *testing.T) (dir string, cases []corpusCase) {
	t.Helper()
	dir = filepath.Join(testdataDir, "corpus")
	raw, err := os.ReadFile(filepath.Join(dir, "corpus.json"))
	if err != nil {
		t.Fatalf("the committed corpus is missing: %v", err)
	}
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatalf("corpus.json: %v", err)
	}
	if len(cases) < 10 {
		t.Fatalf("corpus.json lists only %d files", len(cases))
	}
	return dir, cases
}

func ruleSet(ps []Problem) []string {
	var out []string
	for _, p := range ps {
		if !slices.Contains(out, p.Rule) {
			out = append(out, p.Rule)
		}
	}
	slices.Sort(out)
	return out
}

func TestCorpus(t *testing.T) {
	dir, cases := loadCorpus(t)
	listed := map[string]bool{}
	for _, c := range cases {
		listed[c.File] = true
		t.Run(c.File, func(t *testing.T) {
			path := filepath.Join(dir, c.File)
			if _, err := os.Stat(path); err != nil {
				t.Fatalf("committed fixture missing (rebuild with testdata/corpus/build.sh): %v", err)
			}
			dists, problems := Check([]string{path}, Options{})
			wantErrs, wantWarns := slices.Sorted(slices.Values(c.Errors)), slices.Sorted(slices.Values(c.Warnings))
			if got := ruleSet(problems); !slices.Equal(got, wantErrs) {
				t.Errorf("%s (%s): errors %v, want %v (%s)\n%v", c.File, c.Backend, got, wantErrs, c.Why, problems)
			}
			if got := ruleSet(Warnings(dists)); !slices.Equal(got, wantWarns) {
				t.Errorf("%s (%s): warnings %v, want %v (%s)\n%v", c.File, c.Backend, got, wantWarns, c.Why, Warnings(dists))
			}
			for _, p := range append(problems, Warnings(dists)...) {
				if p.File != path {
					t.Errorf("finding names %q, not the file", p.File)
				}
			}
		})
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		n := e.Name()
		if (strings.HasSuffix(n, ".whl") || strings.HasSuffix(n, ".tar.gz")) && !listed[n] {
			t.Errorf("%s is in testdata/corpus but not in corpus.json", n)
		}
	}
}

// The License-File a setuptools 56–76 (or hatchling < 1.27) file declares
// under Metadata-Version < 2.4 is never sent: twine >= 6.1 leaves it out,
// and PyPI would refuse it.
func TestLicenseFileLeftOutOfForm(t *testing.T) {
	dir, _ := loadCorpus(t)
	for _, f := range []string{"licfile21-0.1.0-py3-none-any.whl", "licfile21-0.1.0.tar.gz", "hatch_demo-0.3.1-py3-none-any.whl"} {
		d, problems, err := Inspect(filepath.Join(dir, f), Options{})
		if err != nil {
			t.Fatalf("committed fixture: %v", err)
		}
		if len(problems) != 0 {
			t.Errorf("%s refused: %v", f, problems)
		}
		if !d.Metadata.Has("License-File") || d.Metadata.MetadataVersion() >= "2.4" {
			t.Fatalf("%s: the fixture should declare License-File under Metadata-Version < 2.4", f)
		}
		for _, fl := range d.FormFields() {
			if fl.Name == "license_file" {
				t.Errorf("%s: license_file sent: %q", f, fl.Value)
			}
		}
		if !hasRule(d.Warnings, RuleLicenseFileIgnored) {
			t.Errorf("%s: no %s warning: %v", f, RuleLicenseFileIgnored, d.Warnings)
		}
	}
	// Metadata-Version 2.4 keeps it, and a made-up 2.1 License-Expression
	// is still refused (twine drops only License-File).
	d, _ := inspectBytes(t, "demo_py-0.1.0-py3-none-any.whl", okWheel(t, metadataText("2.4", "demo-py", "0.1.0", "License-File: LICENSE")))
	if !slices.Contains(d.FormFields(), Field{"license_file", "LICENSE"}) {
		t.Errorf("2.4 License-File not sent: %v", d.FormFields())
	}
	_, problems := inspectBytes(t, "demo_py-0.1.0-py3-none-any.whl", okWheel(t, metadataText("2.2", "demo-py", "0.1.0", "License-Expression: MIT", "License-File: LICENSE")))
	if !hasRule(problems, RuleFieldVersion) || len(problems) != 1 {
		t.Errorf("2.2 License-Expression: %v", problems)
	}
}

// An RST README that readme_renderer refuses is refused by check, with the
// file, the line and the problem.
func TestDescriptionRenderRefused(t *testing.T) {
	dir, _ := loadCorpus(t)
	for _, f := range []string{"badrst-0.9.0-py3-none-any.whl", "badrst-0.9.0.tar.gz"} {
		path := filepath.Join(dir, f)
		_, problems := Check([]string{path}, Options{})
		if len(problems) != 1 || problems[0].Rule != RuleDescriptionRender {
			t.Fatalf("%s: %v", f, problems)
		}
		msg := problems[0].Error()
		for _, want := range []string{path + ": ", "description line 7: Title underline too short.", "The description failed to render for 'text/x-rst'."} {
			if !strings.Contains(msg, want) {
				t.Errorf("message lacks %q:\n%s", want, msg)
			}
		}
	}
	// Without Description-Content-Type PyPI renders as reStructuredText:
	// a Markdown README then fails, and the message says what to declare.
	md := "# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
	_, problems := inspectBytes(t, "demo_py-0.1.0-py3-none-any.whl", okWheel(t, okMeta+"\n"+md))
	if !hasRule(problems, RuleDescriptionRender) || !strings.Contains(problems[0].Message, "text/markdown") {
		t.Errorf("markdown without a content type: %v", problems)
	}
	for _, ct := range []string{"text/markdown", "text/plain", "text/markdown; variant=CommonMark"} {
		_, problems := inspectBytes(t, "demo_py-0.1.0-py3-none-any.whl", okWheel(t, okMeta+"Description-Content-Type: "+ct+"\n\n"+md+"\n.. raw:: html\n\n  <b>x</b>\n"))
		if len(problems) != 0 {
			t.Errorf("%s always renders: %v", ct, problems)
		}
	}
	// A blank description is not sent (PyPI would refuse it).
	d, problems := inspectBytes(t, "demo_py-0.1.0-py3-none-any.whl", okWheel(t, okMeta+"\n  \n\n"))
	if len(problems) != 0 {
		t.Errorf("blank description: %v", problems)
	}
	for _, f := range d.FormFields() {
		if f.Name == "description" {
			t.Errorf("blank description sent: %q", f.Value)
		}
	}
}

// A description the checker gives up on is a warning: PyPI decides.
func TestDescriptionTooComplexWarns(t *testing.T) {
	old := rstBudget
	rstBudget = 100
	defer func() { rstBudget = old }()
	d, problems := inspectBytes(t, "demo_py-0.1.0-py3-none-any.whl", okWheel(t, okMeta+"Description-Content-Type: text/x-rst\n\n"+strings.Repeat("Some *text*.\n\n", 50)))
	if len(problems) != 0 || !hasRule(d.Warnings, RuleDescriptionRender) || !strings.Contains(d.Warnings[0].Message, "was not checked") {
		t.Errorf("problems %v, warnings %v", problems, d.Warnings)
	}
}
