package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goreleaser-pypi/goreleaser-pypi/internal/wheelgen"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
)

// TestSecretsNeverOnArgv runs every upload contender against fake tools that
// record their argv and environment: the token must travel only through the
// environment (goreleaser-pypi, twine) or a 0600 config file (curl).
func TestSecretsNeverOnArgv(t *testing.T) {
	dir := t.TempDir()
	argvLog := filepath.Join(dir, "argv.log")
	fake := filepath.Join(dir, "fake")
	// Prints one 200 status per -T so the curl contender's accounting passes.
	script := "#!/bin/sh\nprintf '%s\\n' \"$@\" >> " + argvLog + "\nenv | grep -E '^(SSL_CERT_FILE|REQUESTS_CA_BUNDLE)=' >> " + argvLog + "\nfor a in \"$@\"; do [ \"$a\" = -T ] && printf '\\ncurl-status 200\\n'; done\nexit 0\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	h := &harness{cfg: smokeConfig(), log: io.Discard, boundary: newBoundary(), token: "pypi-bench-secret0123456789", work: dir}
	h.tools = tools{Binary: fake, Twine: fake, Curl: fake}
	h.env = []string{"PATH=/usr/bin:/bin"}
	files, err := h.wheels("w", "argv-test", 2, 4*kib, 1)
	if err != nil {
		t.Fatal(err)
	}
	curl, err := h.curlUpload("curl", 4, files)
	if err != nil {
		t.Fatal(err)
	}
	plain := &index{URL: "http://127.0.0.1:1", RepositoryURL: "http://127.0.0.1:1/legacy/"}
	// Through the WAN profile: the same, plus the local CA for each tool.
	wan := &index{URL: "https://127.0.0.1:1", RepositoryURL: "https://127.0.0.1:1/legacy/", CAFile: filepath.Join(dir, "wan-ca.pem")}
	for _, idx := range []*index{plain, wan} {
		for _, c := range []contender{h.goreleaserUpload("g", 4, files), h.twineUploadContender("t", files, true), curl} {
			if _, err := c.run(context.Background(), idx); err != nil {
				t.Fatalf("%s: %v", c.Name, err)
			}
		}
	}
	argv, err := os.ReadFile(argvLog)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(argv), "--concurrency") || !strings.Contains(string(argv), "--request-target") {
		t.Fatalf("fake tools were not all run:\n%s", argv)
	}
	for _, want := range []string{"SSL_CERT_FILE=" + wan.CAFile, "REQUESTS_CA_BUNDLE=" + wan.CAFile, "--cacert\n" + wan.CAFile, "--http1.1"} {
		if !strings.Contains(string(argv), want) {
			t.Errorf("through the WAN profile, no %q:\n%s", want, argv)
		}
	}
	basic := base64.StdEncoding.EncodeToString([]byte("__token__:" + h.token))
	if strings.Contains(string(argv), "secret0123456789") || strings.Contains(string(argv), basic) {
		t.Errorf("the token is on a command line:\n%s", argv)
	}
	st, err := os.Stat(filepath.Join(dir, "curl-auth.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("curl config mode %v, want 0600", st.Mode().Perm())
	}
}

// TestUploadBody parses a prebuilt raw body back: every form field of the
// distribution in order, then the file, byte for byte, as "content".
func TestUploadBody(t *testing.T) {
	dir := t.TempDir()
	path, err := wheelgen.Write(dir, wheelgen.Spec{Name: "body-test", Version: "2.0", Size: 100 * kib, Seed: 7, Description: "# body\n\nwith \"quotes\"\r\nand CRLF"})
	if err != nil {
		t.Fatal(err)
	}
	ds, problems := dist.Check([]string{path}, dist.Options{})
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	d := ds[0]
	boundary := newBoundary()
	bodyPath, err := writeUploadBody(dir, d, boundary)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(bodyPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, params, err := mime.ParseMediaType("multipart/form-data; boundary=" + boundary)
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(f, params["boundary"])
	var got []dist.Field
	var content []byte
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		if p.FormName() == "content" {
			if p.FileName() != d.Filename || p.Header.Get("Content-Type") != "application/octet-stream" {
				t.Errorf("content part: filename %q type %q", p.FileName(), p.Header.Get("Content-Type"))
			}
			content = b
			continue
		}
		if content != nil {
			t.Error("a field follows the file part")
		}
		got = append(got, dist.Field{Name: p.FormName(), Value: string(b)})
	}
	if !slices.Equal(got, d.FormFields()) {
		t.Errorf("fields:\n%v\nwant\n%v", got, d.FormFields())
	}
	want, _ := os.ReadFile(path)
	if !bytes.Equal(content, want) {
		t.Errorf("content: %d bytes, want the %d bytes of the wheel", len(content), len(want))
	}
	sum := sha256.Sum256(want)
	if d.Digests.SHA256 != hex.EncodeToString(sum[:]) || d.Metadata.Name() != "body-test" || d.Metadata.Version() != "2.0" || d.PyVersion != "py3" {
		t.Errorf("inspected %+v %+v", d, d.Metadata)
	}
}

func TestSummarize(t *testing.T) {
	s := summarize([]float64{5, 1, 4, 2, 3})
	if s.N != 5 || s.Min != 1 || s.Q1 != 2 || s.Median != 3 || s.Q3 != 4 || s.Max != 5 {
		t.Errorf("%+v", s)
	}
	if s := summarize([]float64{1, 2, 3, 4}); s.Median != 2.5 || s.Q1 != 1.75 {
		t.Errorf("%+v", s)
	}
	if s := summarize(nil); s.N != 0 {
		t.Errorf("%+v", s)
	}
}

func TestPairedRatios(t *testing.T) {
	run := func(rep int, ms int) runResult {
		return runResult{Rep: rep, measurement: measurement{Wall: time.Duration(ms) * time.Millisecond}}
	}
	a := &contenderResult{Runs: []runResult{run(0, 100), run(1, 300), run(2, 50)}}
	b := &contenderResult{Runs: []runResult{run(0, 200), run(1, 100)}} // rep 2 failed
	got := pairedRatios(a, b)
	want := []float64{0.5, 3}
	if len(got) != len(want) {
		t.Fatalf("%v", got)
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-9 {
			t.Errorf("%v, want %v", got, want)
		}
	}
}

func TestTargets(t *testing.T) {
	run := func(rep int, ms int, rss int64) runResult {
		return runResult{Rep: rep, measurement: measurement{Wall: time.Duration(ms) * time.Millisecond, MaxRSS: rss}}
	}
	rep := &report{Results: []*benchResult{
		{ID: "B1", Contenders: []*contenderResult{
			{Name: "goreleaser-pypi -c4", Runs: []runResult{run(0, 100, mib)}},
			{Name: "twine upload", Runs: []runResult{run(0, 250, mib)}},
			{Name: "curl -P4 (raw limit)", Runs: []runResult{run(0, 95, mib)}},
		}},
		{ID: "B2", Contenders: []*contenderResult{
			{Name: "goreleaser-pypi", Runs: []runResult{run(0, 100, 20*mib), run(1, 100, 50*mib)}},
			{Name: "curl (raw limit)", Runs: []runResult{run(0, 100, mib), run(1, 100, mib)}},
		}},
	}}
	got := map[string]string{}
	for _, tg := range rep.targets() {
		v := "not measured"
		if tg.Met != nil {
			v = map[bool]string{true: "met", false: "missed"}[*tg.Met]
		}
		got[tg.Name] = v
	}
	want := map[string]string{
		"B1 goreleaser-pypi -c4 vs twine upload":                 "missed", // 2.5× < 3×
		"B1 goreleaser-pypi -c4 vs curl -P4":                     "met",    // 1.05
		"B2 goreleaser-pypi vs curl":                             "met",
		"goreleaser-pypi peak RSS, every run of every benchmark": "missed", // one run at 50 MiB
		"B3 goreleaser-pypi vs twine upload":                     "not measured",
		"B5 goreleaser-pypi -c8 vs twine upload":                 "not measured",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s, want %s", k, got[k], v)
		}
	}
}

func TestWriteIntoKeepsHandWrittenText(t *testing.T) {
	path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	if err := writeInto(path, beginMarker+"\nfirst\n"+endMarker+"\n"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	edited := "# Benchmarks\n\nIntro by hand.\n\n" + strings.TrimPrefix(string(b), "# Benchmarks\n\n") + "\n## Analysis\n\nBy hand.\n"
	os.WriteFile(path, []byte(edited), 0o644)
	if err := writeInto(path, beginMarker+"\nsecond\n"+endMarker+"\n"); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(path)
	s := string(b)
	if !strings.Contains(s, "Intro by hand.") || !strings.Contains(s, "## Analysis\n\nBy hand.") || !strings.Contains(s, "second") || strings.Contains(s, "first") {
		t.Errorf("got:\n%s", s)
	}
}

// TestPeakRSSIsTheContendersOwn guards against the trap process.run avoids:
// a child started by a big Go process inherits its RSS high-water mark, so a
// /bin/true would "use" as much memory as the harness.
func TestPeakRSSIsTheContendersOwn(t *testing.T) {
	ballast := make([]byte, 128*mib)
	for i := 0; i < len(ballast); i += 4096 { // touch every page
		ballast[i] = 1
	}
	m, _, err := process{Path: "/bin/true", Env: []string{"PATH=/usr/bin:/bin"}}.run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if m.MaxRSS <= 0 || m.MaxRSS > 16*mib {
		t.Errorf("/bin/true peak RSS %.1f MiB with a 128 MiB harness: the harness's memory leaks into the figure", float64(m.MaxRSS)/mib)
	}
	if ballast[0] != 1 {
		t.Fatal("ballast")
	}
}

// TestCPUIsMeasured checks the CPU figure of a contender that burns CPU.
func TestCPUIsMeasured(t *testing.T) {
	m, _, err := process{Path: "/bin/sh", Args: []string{"-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done"}, Env: []string{"PATH=/usr/bin:/bin"}}.run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if m.CPU < 50*time.Millisecond || m.CPU > m.Wall+50*time.Millisecond {
		t.Errorf("CPU %v for a busy loop of wall %v", m.CPU, m.Wall)
	}
}
