package dist

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The real distributions in the repository's testdata/: good/ was built by
// setuptools and flit and must pass; every file in bad/ must fail with the
// rule its README (cases.json) documents.

const testdataDir = "../../testdata"

// caseRules maps the rule names of testdata/bad/cases.json to ours. A new
// rule there fails the test until it is mapped here.
var caseRules = map[string][]string{
	"wheel-not-zip":               {RuleZipStructure},
	"sdist-not-targz":             {RuleArchive},
	"filename-version":            {RuleFilenameVersion},
	"wheel-metadata-missing":      {RuleWheelContents},
	"wheel-record-missing":        {RuleWheelContents},
	"wheel-wheel-missing":         {RuleWheelContents},
	"wheel-dist-info-multiple":    {RuleWheelContents},
	"wheel-record-mismatch":       {RuleRecordMismatch},
	"filename-name-normalized":    {RuleFilenameName},
	"wheel-platform-tag":          {RulePlatformTag},
	"filetype-egg":                {RuleFileType},
	"archive-path-traversal":      {RuleArchivePath},
	"archive-path-absolute":       {RuleArchivePath},
	"archive-symlink-escape":      {RuleArchivePath},
	"zip-duplicate-name":          {RuleZipStructure},
	"zip-data-descriptor":         {RuleZipStructure},
	"zip-comment":                 {RuleZipComment, RuleZipStructure},
	"zip-trailing-data":           {RuleZipStructure},
	"zip-compression-ratio":       {RuleCompressionRatio},
	"zip-compression-method":      {RuleZipCompression},
	"sdist-extension":             {RuleSdistFilename},
	"sdist-filename":              {RuleSdistFilename, RuleFilenameVersion},
	"sdist-top-dir":               {RuleSdistLayout},
	"sdist-pkg-info-missing":      {RuleSdistLayout},
	"license-file-missing":        {RuleLicenseFile},
	"license-file-path":           {RuleLicenseFile},
	"metadata-encoding":           {RuleMetadataFile},
	"metadata-nul":                {RuleMetadataFile},
	"metadata-version":            {RuleMetadataVersion},
	"metadata-name":               {RuleName},
	"metadata-version-invalid":    {RuleVersion, RuleFilename},
	"metadata-version-local":      {RuleLocalVersion},
	"metadata-license-conflict":   {RuleLicenseConflict},
	"metadata-license-expression": {RuleLicenseExpression},
	"metadata-field-version":      {RuleFieldVersion},
	"metadata-summary":            {RuleSummary},
	"metadata-direct-url":         {RuleDirectReference},
	"metadata-classifier":         {RuleClassifier},
	"metadata-url":                {RuleProjectURL, RuleURL},
}

type badCase struct {
	File, Kind, Defect, Rule, Rejection string
	// Client is "warning" for a file the index refuses but a client can
	// only warn about (check refuses it with Options.Strict).
	Client string
}

func distFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("committed fixture directory %s is missing: %v", dir, err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() || strings.HasSuffix(e.Name(), ".md") || strings.HasSuffix(e.Name(), ".json") || strings.HasSuffix(e.Name(), ".py") {
			continue
		}
		out = append(out, filepath.Join(dir, e.Name()))
	}
	return out
}

func TestCheckGoodTestdata(t *testing.T) {
	files := distFiles(t, filepath.Join(testdataDir, "good"))
	if len(files) == 0 {
		t.Fatal("committed fixtures missing: testdata/good holds no distribution")
	}
	dists, problems := Check(files, Options{MD5: true})
	for _, p := range problems {
		t.Errorf("good file refused: %s [%s]", p.Error(), p.Rule)
	}
	for _, d := range dists {
		for _, w := range d.Warnings {
			t.Errorf("good file warned: %s [%s]", w.Error(), w.Rule)
		}
		if d.Name() == "" || d.Version() == "" || len(d.Digests.SHA256) != 64 || len(d.Digests.BLAKE2b256) != 64 || len(d.Digests.MD5) != 32 {
			t.Errorf("%s: incomplete inspection: %+v", d.Path, d)
		}
	}
}

func TestCheckBadTestdata(t *testing.T) {
	dir := filepath.Join(testdataDir, "bad")
	raw, err := os.ReadFile(filepath.Join(dir, "cases.json"))
	if err != nil {
		t.Fatalf("committed fixture missing: testdata/bad/cases.json: %v", err)
	}
	var cases []badCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, c := range cases {
		documented[c.File] = true
		t.Run(c.File, func(t *testing.T) {
			want, ok := caseRules[c.Rule]
			if !ok {
				t.Fatalf("cases.json rule %q is not mapped to a dist rule (defect: %s)", c.Rule, c.Defect)
			}
			path := filepath.Join(dir, c.File)
			dists, problems := Check([]string{path}, Options{})
			if c.Client == "warning" {
				found := false
				for _, w := range Warnings(dists) {
					for _, r := range want {
						found = found || w.Rule == r
					}
				}
				if len(problems) != 0 || !found {
					t.Fatalf("%s: want only a %v warning, got problems %v, warnings %v", c.File, want, problems, Warnings(dists))
				}
				_, problems = Check([]string{path}, Options{Strict: true})
			}
			if len(problems) == 0 {
				t.Fatalf("%s passed the check; it should fail with %s (%s)", c.File, c.Rule, c.Defect)
			}
			found := false
			for _, p := range problems {
				if p.File != path {
					t.Errorf("problem names %q, not the file %q", p.File, path)
				}
				for _, r := range want {
					found = found || p.Rule == r
				}
			}
			if !found {
				t.Errorf("%s (%s): want rule %v, got %v", c.File, c.Defect, want, problems)
			}
		})
	}
	// Every distribution in bad/ must be documented.
	for _, f := range distFiles(t, dir) {
		if !documented[filepath.Base(f)] {
			t.Errorf("%s is not in cases.json", f)
		}
	}
}

// The trap seen with GoReleaser: it predicts the PEP 625 sdist name, the
// build backend (setuptools 66) writes the old one.
func TestCheckPredictedSdistNameMissing(t *testing.T) {
	real, err := os.ReadFile(filepath.Join(testdataDir, "bad", "demo-py-0.1.0.tar.gz"))
	if err != nil {
		t.Fatalf("committed fixture missing: testdata/bad/demo-py-0.1.0.tar.gz: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "dist", "sdist_none-any")
	os.MkdirAll(dir, 0o755)
	writeFile(t, dir, "demo-py-0.1.0.tar.gz", real)
	predicted := filepath.Join(dir, "demo_py-0.1.0.tar.gz")
	_, problems := Check([]string{predicted}, Options{})
	if len(problems) != 1 || problems[0].Rule != RuleSdistPrePEP625 {
		t.Fatalf("want one %s problem, got %v", RuleSdistPrePEP625, problems)
	}
	msg := problems[0].Error()
	for _, want := range []string{predicted, filepath.Join(dir, "demo-py-0.1.0.tar.gz"), "does not exist", "pre-PEP 625", "setuptools >= 69.3", "uv", "hatchling", "flit"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(strings.ToLower(msg), "upload demo-py") || strings.Contains(msg, "rename") {
		t.Errorf("message must not suggest uploading the old-named file:\n%s", msg)
	}
}
