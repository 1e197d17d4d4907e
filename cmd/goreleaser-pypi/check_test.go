package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testdata = "../../testdata"

func checkCLI(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"check"}, args...), &out, &errb, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

func goodFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, pattern := range []string{"*.whl", "*.tar.gz"} {
		m, _ := filepath.Glob(filepath.Join(testdata, "good", pattern))
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Skip("no testdata/good")
	}
	return files
}

func TestCheckCommandGood(t *testing.T) {
	files := goodFiles(t)
	code, out, errOut := checkCLI(t, nil, files...)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(files) {
		t.Fatalf("want one line per file, got:\n%s", out)
	}
	for i, l := range lines {
		if !strings.HasPrefix(l, files[i]+": ok (") {
			t.Errorf("line %d: %q", i, l)
		}
	}
}

func TestCheckCommandBad(t *testing.T) {
	good := goodFiles(t)[0]
	bad := filepath.Join(testdata, "bad", "bad_version_mismatch-0.1.0-py3-none-any.whl")
	if _, err := os.Stat(bad); err != nil {
		t.Skip("no testdata/bad")
	}
	missing := filepath.Join(t.TempDir(), "nope-1.0-py3-none-any.whl")
	code, out, errOut := checkCLI(t, nil, good, bad, missing)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		good + ": ok",
		bad + ": version in filename (0.1.0) does not match METADATA Version (0.2.0) [filename-version]",
		missing + ": does not exist [file-missing]",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "2 of 3 files would be refused") {
		t.Errorf("stderr: %s", errOut)
	}
}

func TestCheckCommandJSON(t *testing.T) {
	good := goodFiles(t)[0]
	bad := filepath.Join(testdata, "bad", "bad_zip_comment-0.1.0-py3-none-any.whl")
	code, out, _ := checkCLI(t, nil, "--json", good, bad)
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	var report struct {
		OK    bool `json:"ok"`
		Files []struct {
			File     string `json:"file"`
			OK       bool   `json:"ok"`
			Name     string `json:"name"`
			Version  string `json:"version"`
			Size     int64  `json:"size"`
			Digests  map[string]string
			Problems []struct{ Rule, Message string }
		} `json:"files"`
	}
	if err := json.Unmarshal([]byte(out), &report); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if report.OK || len(report.Files) != 2 {
		t.Fatalf("%+v", report)
	}
	g, b := report.Files[0], report.Files[1]
	if !g.OK || g.File != good || g.Name == "" || g.Version == "" || g.Size == 0 || len(g.Digests["sha256"]) != 64 || len(g.Digests["blake2_256"]) != 64 || g.Digests["md5"] != "" || len(g.Problems) != 0 {
		t.Errorf("good entry: %+v", g)
	}
	if b.OK || len(b.Problems) == 0 || b.Problems[0].Rule != "zip-comment" || b.Problems[0].Message == "" {
		t.Errorf("bad entry: %+v", b)
	}
}

func TestCheckCommandUsage(t *testing.T) {
	if code, _, errOut := checkCLI(t, nil); code != 2 || !strings.Contains(errOut, "at least one file") {
		t.Errorf("no args: exit %d %s", code, errOut)
	}
	if code, _, _ := checkCLI(t, nil, "--max-file-size", "lots", "x.whl"); code != 2 {
		t.Errorf("bad size: exit %d", code)
	}
	good := goodFiles(t)[0]
	if code, out, _ := checkCLI(t, nil, "--max-file-size", "1KiB", good); code != 1 || !strings.Contains(out, "[file-size]") {
		t.Errorf("--max-file-size 1KiB: exit %d\n%s", code, out)
	}
}

func TestCheckCommandAnnotations(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "x-1.0-py3-none-any.whl")
	code, _, errOut := checkCLI(t, map[string]string{"GITHUB_ACTIONS": "true"}, missing)
	if code != 1 || !strings.Contains(errOut, "::error file="+missing+",title=goreleaser-pypi check%3A file-missing::does not exist") {
		t.Errorf("exit %d, stderr:\n%s", code, errOut)
	}
	_, _, errOut = checkCLI(t, nil, missing)
	if strings.Contains(errOut, "::error") {
		t.Error("annotations outside GitHub Actions")
	}
}
