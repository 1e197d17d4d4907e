package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/upload"
)

func dists() (*dist.Distribution, *dist.Distribution) {
	md := func(name, version string) *dist.Metadata {
		m, err := dist.ParseMetadata(strings.NewReader("Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version + "\n\n"))
		if err != nil {
			panic(err)
		}
		return m
	}
	w := &dist.Distribution{Path: "dist/a-1.0-py3-none-any.whl", Filename: "a-1.0-py3-none-any.whl", Type: dist.Wheel, Size: 2048,
		Metadata: md("A", "1.0"), Digests: dist.Digests{SHA256: "aa", BLAKE2b256: "bb"}}
	s := &dist.Distribution{Path: "dist/a-1.0.tar.gz", Filename: "a-1.0.tar.gz", Type: dist.Sdist, Size: 10,
		Metadata: md("A", "1.0"), Digests: dist.Digests{SHA256: "cc", BLAKE2b256: "dd"}}
	return w, s
}

func sample(t *testing.T) *Target {
	t.Helper()
	w, s := dists()
	index, _ := url.Parse("https://pypi.org")
	rep := &Target{Name: "pypi", RepositoryURL: "https://upload.pypi.org/legacy/", IndexURL: "https://pypi.org", Duration: 1500 * time.Millisecond}
	rep.SetFiles(upload.Results{
		{Dist: w, Status: upload.StatusUploaded, Attempts: 1},
		{Dist: s, Status: upload.StatusFailed, Attempts: 1, Err: errors.New("dist/a-1.0.tar.gz: upload refused | badly")},
	}, index)
	return rep
}

func TestJSONSchema(t *testing.T) {
	w, s := dists()
	index, _ := url.Parse("https://pypi.org")
	rep := &Target{Name: "pypi", RepositoryURL: "https://upload.pypi.org/legacy/", IndexURL: "https://pypi.org"}
	rep.SetFiles(upload.Results{
		{Dist: w, Status: upload.StatusUploaded, Attempts: 1},
		{Dist: s, Status: upload.StatusNotAttempted, Err: &upload.NotAttemptedError{File: s.Path, Reason: "interrupted"}},
	}, index)
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(buf.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"schema_version", "ok", "target", "repository_url", "index_url", "dry_run", "files", "releases", "summary", "duration_seconds"} {
		if _, ok := v[k]; !ok {
			t.Errorf("missing %s in %s", k, buf.String())
		}
	}
	files := v["files"].([]any)
	f := files[0].(map[string]any)
	for _, k := range []string{"file", "filename", "name", "version", "type", "status", "not_attempted", "size", "sha256", "blake2_256", "duration_seconds", "attempts", "url"} {
		if _, ok := f[k]; !ok {
			t.Errorf("missing files[].%s", k)
		}
	}
	if v["schema_version"].(float64) != 1 || v["ok"] != false || f["status"] != "uploaded" || f["url"] != "https://pypi.org/project/a/1.0/" {
		t.Errorf("%s", buf.String())
	}
	// A file never sent is "failed" in schema 1, and says it was not attempted.
	na := files[1].(map[string]any)
	if na["status"] != "failed" || na["not_attempted"] != true || na["error"] != "dist/a-1.0.tar.gz: not attempted: interrupted" {
		t.Errorf("not-attempted file: %v", na)
	}
	if sum := v["summary"].(map[string]any); sum["failed"].(float64) != 1 || sum["uploaded"].(float64) != 1 {
		t.Errorf("summary %v", sum)
	}
	if rels := v["releases"].([]any); len(rels) != 1 {
		t.Errorf("releases %v", rels)
	}
}

func TestErrorKeepsItsType(t *testing.T) {
	rep := sample(t)
	if rep.Files[1].Err == nil || rep.Files[1].Error() != "dist/a-1.0.tar.gz: upload refused | badly" {
		t.Fatalf("%+v", rep.Files[1])
	}
	rel := &Release{}
	rel.Add(rep)
	rel.NotAttempted = []string{"later"}
	var buf bytes.Buffer
	if err := rel.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var v struct {
		Targets []struct {
			Target string          `json:"target"`
			Report json.RawMessage `json:"report"`
		} `json:"targets"`
		NotAttempted []string `json:"not_attempted"`
	}
	if err := json.Unmarshal(buf.Bytes(), &v); err != nil || len(v.Targets) != 1 || v.Targets[0].Target != "pypi" || v.NotAttempted[0] != "later" {
		t.Fatalf("%v %s", err, buf.String())
	}
	if rel.OK() {
		t.Error("a release with a failed file is OK")
	}
	var empty bytes.Buffer
	_ = (&Release{}).WriteJSON(&empty)
	if !strings.Contains(empty.String(), `"targets": []`) {
		t.Errorf("empty release: %s", empty.String())
	}
}

func TestMarkdownAndAnnotations(t *testing.T) {
	rep := sample(t)
	md := rep.Markdown()
	for _, want := range []string{
		"### 🐍 pypi: Published to https://upload.pypi.org/legacy/",
		"| `a-1.0-py3-none-any.whl` | ✅ uploaded to https://pypi.org/project/a/1.0/ | 2 KiB | `aa` |",
		`refused \| badly`, "[A 1.0](https://pypi.org/project/a/1.0/)", "1 uploaded, 0 skipped, 1 failed",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	as := rep.Annotations()
	if len(as) != 1 || as[0].String() != "::error file=dist/a-1.0.tar.gz,title=PyPI upload failed::dist/a-1.0.tar.gz: upload refused | badly" {
		t.Errorf("%v", as)
	}
	rel := &Release{NotAttempted: []string{"pypi-prod"}}
	rel.Add(rep)
	if md := rel.Markdown(); !strings.Contains(md, "### 🐍 pypi: Published to") || !strings.Contains(md, "### 🐍 pypi-prod: not attempted") {
		t.Errorf("release markdown:\n%s", md)
	}
}

// TestReleaseFailureMarkdown: a release stopped before any target has its
// own heading; "Published to" with no target (issue 12's step summary)
// would say the opposite of what happened.
func TestReleaseFailureMarkdown(t *testing.T) {
	problems := []dist.Problem{{File: "dist/a-1.0.tar.gz", Rule: "sdist-archive", Message: "not gzip-compressed"}}
	got := ReleaseFailure(errors.New("verification failed: 1 problem(s) in 1 file(s); nothing was published"), problems, false).Markdown()
	want := "### 🐍 PyPI: nothing was published\n\n" +
		"❌ verification failed: 1 problem(s) in 1 file(s); nothing was published\n\n" +
		"Verification failed, nothing was uploaded:\n\n| File | Problem |\n|---|---|\n" +
		"| `dist/a-1.0.tar.gz` | not gzip-compressed |\n\n"
	if got != want {
		t.Errorf("verification failure:\n got %q\nwant %q", got, want)
	}
	got = ReleaseFailure(errors.New("nothing was published: ids: [python-whl] selects no build"), nil, true).Markdown()
	want = "### 🐍 PyPI: nothing was published\n\n❌ nothing was published: ids: [python-whl] selects no build\n\n"
	if got != want {
		t.Errorf("selection mistake (dry run):\n got %q\nwant %q", got, want)
	}
}
