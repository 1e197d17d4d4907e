package dist

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestProblemSeverityJSON(t *testing.T) {
	for _, c := range []struct {
		p    Problem
		want string
	}{
		{Problem{File: "f", Rule: "r", Message: "m"}, `{"file":"f","rule":"r","message":"m","severity":"error"}`},
		{Problem{File: "f", Rule: "r", Message: "m", Severity: SeverityError}, `{"file":"f","rule":"r","message":"m","severity":"error"}`},
		{Problem{File: "f", Rule: "r", Message: "m", Severity: SeverityWarning}, `{"file":"f","rule":"r","message":"m","severity":"warning"}`},
	} {
		got, err := json.Marshal(c.p)
		if err != nil || string(got) != c.want {
			t.Errorf("%+v: %s %v, want %s", c.p, got, err, c.want)
		}
		var back Problem
		if err := json.Unmarshal(got, &back); err != nil || back.IsWarning() != c.p.IsWarning() {
			t.Errorf("round trip of %s: %+v %v", got, back, err)
		}
	}
	// Inside a slice and a struct too (the report embeds []Problem).
	got, _ := json.Marshal(struct{ P []Problem }{[]Problem{{Rule: "x"}}})
	if !strings.Contains(string(got), `"severity":"error"`) {
		t.Errorf("%s", got)
	}
}

func TestSplitProblems(t *testing.T) {
	ps := []Problem{{Rule: "a"}, {Rule: "b", Severity: SeverityWarning}, {Rule: "c", Severity: SeverityError}, {Rule: "d", Severity: SeverityWarning}}
	errs, warns := SplitProblems(ps)
	if strings.Join(rules(errs), ",") != "a,c" || strings.Join(rules(warns), ",") != "b,d" {
		t.Errorf("errors %v, warnings %v", errs, warns)
	}
}

// Every finding carries its severity: errors in problems, warnings in
// Distribution.Warnings; Strict makes the warnings errors.
func TestSeverityThroughCheck(t *testing.T) {
	dir := t.TempDir()
	data := okWheel(t, okMeta+"Description: header\n\nbody\n")
	a := writeFile(t, dir, "demo_py-0.1.0-py3-none-any.whl", data)
	other := filepath.Join(dir, "other")
	if err := os.Mkdir(other, 0o755); err != nil {
		t.Fatal(err)
	}
	bad := writeFile(t, other, "demo_py-0.1.0-py3-none-any.whl", okWheel(t, okMeta+"Requires-Dist: x @ https://example.org/x.whl\n"))

	dists, problems := Check([]string{a, bad}, Options{})
	if len(problems) != 2 || problems[0].Rule != RuleDirectReference || problems[1].Rule != RuleDuplicateFilename {
		t.Fatalf("problems: %+v", problems)
	}
	for _, p := range problems {
		if p.Severity != SeverityError {
			t.Errorf("an error without its severity: %+v", p)
		}
	}
	warns := Warnings(dists)
	if len(warns) != 1 || warns[0].Rule != RuleDescriptionSource || !warns[0].IsWarning() || warns[0].File != a {
		t.Fatalf("warnings: %+v", warns)
	}

	dists, problems = Check([]string{a}, Options{Strict: true})
	if len(Warnings(dists)) != 0 {
		t.Errorf("strict left warnings: %v", Warnings(dists))
	}
	if len(problems) != 1 || problems[0].Rule != RuleDescriptionSource || problems[0].IsWarning() ||
		!strings.Contains(problems[0].Message, "--strict") {
		t.Fatalf("strict: %+v", problems)
	}

	// The same file twice: one warning, which strict refuses.
	dists, problems = Check([]string{a, a}, Options{})
	if len(problems) != 0 || !hasRule(Warnings(dists), RuleDuplicateFile) {
		t.Errorf("same file twice: %v %v", problems, Warnings(dists))
	}
	if _, problems = Check([]string{a, a}, Options{Strict: true}); !hasRule(problems, RuleDuplicateFile) {
		t.Errorf("strict, same file twice: %v", problems)
	}
}
