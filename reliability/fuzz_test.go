package reliability

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/goreleaser-pypi/goreleaser-pypi/config"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/endpoint"
)

// Fuzz targets over every parser that reads bytes an attacker or a broken
// build can control. Each asserts more than "no panic": the result is
// consistent, bounded in time, and every problem names the file.
//
// Run one for 10 minutes with:
//
//	go test ./reliability -run '^$' -fuzz '^FuzzInspectWheel$' -fuzztime 10m -parallel 1

// inspectBudget is how long one inspection of a small fuzz input may take.
// The inputs are a few KiB; anything slower is a complexity bug (a
// quadratic loop, an unbounded decompression).
const inspectBudget = 3 * time.Second

// goodFiles returns the committed distributions built by real tools.
func goodFiles(tb testing.TB, pattern string) []string {
	tb.Helper()
	m, err := filepath.Glob(filepath.Join(repoRoot, "testdata", "good", pattern))
	if err != nil || len(m) == 0 {
		tb.Fatalf("no testdata/good/%s: %v", pattern, err)
	}
	return m
}

// badFiles returns the committed broken distributions matching pattern.
func badFiles(tb testing.TB, pattern string) []string {
	tb.Helper()
	m, _ := filepath.Glob(filepath.Join(repoRoot, "testdata", "bad", pattern))
	return m
}

func mustRead(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// inspectBytes writes data under filename and inspects it, checking the
// invariants every inspection must keep.
func inspectBytes(t *testing.T, filename string, data []byte) (*dist.Distribution, []dist.Problem) {
	t.Helper()
	path := filepath.Join(t.TempDir(), filename)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	d, problems, err := dist.Inspect(path, dist.Options{})
	if took := time.Since(start); took > inspectBudget {
		t.Errorf("inspecting %d bytes took %v", len(data), took)
	}
	if err != nil {
		// Only an unreadable file is an error; a readable one gets problems.
		t.Fatalf("Inspect of a readable file returned an error instead of problems: %v", err)
	}
	if d == nil {
		t.Fatal("Inspect returned no distribution and no error")
	}
	if d.Size != int64(len(data)) || d.Filename != filename {
		t.Errorf("distribution says %s of %d bytes, file is %s of %d", d.Filename, d.Size, filename, len(data))
	}
	for _, p := range problems {
		if p.File != path || p.Rule == "" || p.Message == "" {
			t.Errorf("problem without file, rule or message: %+v", p)
		}
		if !utf8.ValidString(p.Message) {
			t.Errorf("problem message is not UTF-8: %q", p.Message)
		}
	}
	if len(problems) == 0 {
		checkAccepted(t, d)
	}
	return d, problems
}

// checkAccepted holds for every distribution verification lets through: it
// is exactly what the upload form will claim.
func checkAccepted(t *testing.T, d *dist.Distribution) {
	t.Helper()
	if d.Type != dist.Wheel && d.Type != dist.Sdist {
		t.Fatalf("accepted a file of type %q", d.Type)
	}
	if !dist.ValidName(d.Name()) {
		t.Errorf("accepted an invalid project name %q", d.Name())
	}
	if _, err := dist.ParseVersion(d.Version()); err != nil {
		t.Errorf("accepted an invalid version %q: %v", d.Version(), err)
	}
	for _, h := range []string{d.Digests.SHA256, d.Digests.BLAKE2b256} {
		if len(h) != 64 {
			t.Errorf("accepted with digest %q", h)
		}
	}
	switch d.Type {
	case dist.Wheel:
		w, err := dist.ParseWheelFilename(d.Filename)
		if err != nil {
			t.Errorf("accepted a wheel whose name does not parse: %v", err)
			return
		}
		if w.Name != dist.FilenameName(d.Name()) {
			t.Errorf("accepted wheel %s for project %q", d.Filename, d.Name())
		}
	case dist.Sdist:
		if want := dist.SdistFilename(d.Name(), d.Version()); d.Filename != want {
			t.Errorf("accepted sdist %s, PEP 625 name is %s", d.Filename, want)
		}
	}
	for _, f := range d.FormFields() {
		if !utf8.ValidString(f.Value) {
			t.Errorf("form field %s is not UTF-8", f.Name)
		}
	}
}

// FuzzInspectWheel mutates real wheels' bytes (zip structure, headers,
// compressed data) under a fixed, valid name.
func FuzzInspectWheel(f *testing.F) {
	for _, p := range goodFiles(f, "*.whl") {
		f.Add(mustRead(f, p))
	}
	for _, p := range badFiles(f, "bad_*.whl") {
		if st, err := os.Stat(p); err == nil && st.Size() < 64<<10 {
			f.Add(mustRead(f, p))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		inspectBytes(t, "tinyutil-0.1.0-py3-none-any.whl", data)
	})
}

// FuzzInspectSdist mutates real sdists' tar streams. The fuzzer works on the
// uncompressed tar (mutating deflate output mostly yields garbage that stops
// at the gzip layer); raw=true feeds the bytes as they are, to the gzip
// reader too.
func FuzzInspectSdist(f *testing.F) {
	for _, p := range goodFiles(f, "*.tar.gz") {
		gz := mustRead(f, p)
		f.Add(gunzip(f, gz), false)
		f.Add(gz, true)
	}
	f.Add(hostileTar(f), false)
	f.Fuzz(func(t *testing.T, data []byte, raw bool) {
		if !raw {
			data = gzipBytes(data)
		}
		inspectBytes(t, "tinyutil-0.1.0.tar.gz", data)
	})
}

// hostileTar is an sdist tar with every entry type an extractor must not
// trust: hard link and symlink escaping the top directory, a device, a FIFO.
func hostileTar(tb testing.TB) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(h *tar.Header, body string) {
		h.Size = int64(len(body))
		h.Mode = 0o644
		if err := tw.WriteHeader(h); err != nil {
			tb.Fatal(err)
		}
		if body != "" {
			_, _ = tw.Write([]byte(body))
		}
	}
	add(&tar.Header{Name: "tinyutil-0.1.0/PKG-INFO", Typeflag: tar.TypeReg}, "Metadata-Version: 2.1\nName: tinyutil\nVersion: 0.1.0\n")
	add(&tar.Header{Name: "tinyutil-0.1.0/evil", Typeflag: tar.TypeSymlink, Linkname: "../../etc/passwd"}, "")
	add(&tar.Header{Name: "tinyutil-0.1.0/hard", Typeflag: tar.TypeLink, Linkname: "/etc/shadow"}, "")
	add(&tar.Header{Name: "tinyutil-0.1.0/dev", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 3}, "")
	add(&tar.Header{Name: "tinyutil-0.1.0/fifo", Typeflag: tar.TypeFifo}, "")
	_ = tw.Close()
	return buf.Bytes()
}

func gunzip(tb testing.TB, gz []byte) []byte {
	tb.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		tb.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := out.ReadFrom(zr); err != nil {
		tb.Fatal(err)
	}
	return out.Bytes()
}

// gzipBytes wraps b in gzip with stored (uncompressed) blocks: compressing
// inside the fuzz target would make every input look new to the fuzzer
// (compress/flate is instrumented too) and drown the signal from the tar
// and metadata readers.
func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.NoCompression)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}

// FuzzParseMetadata feeds METADATA/PKG-INFO text to the parser: it must
// never panic, be deterministic, and keep what it returns UTF-8 and
// single-line where headers are concerned.
func FuzzParseMetadata(f *testing.F) {
	f.Add([]byte("Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n\nbody\n"))
	f.Add([]byte("Metadata-Version: 2.4\nName: x\nVersion: 1\nLicense-Expression: MIT OR (Apache-2.0 AND BSD-3-Clause)\nDescription: a\n        |  b\n        c\nRequires-Dist: foo[bar]>=1; python_version<'3.9'\n"))
	f.Add([]byte("\xef\xbb\xbfName: bom\n"))
	f.Add([]byte(" continuation first\n"))
	f.Add([]byte("Name: a\r\nVersion:\r\n\t1.0\r\n\r\n"))
	f.Add([]byte("Name: \xff\xfe\n"))
	f.Add([]byte("Summary: one\n two\n\n\n"))
	for _, p := range goodFiles(f, "*.whl") {
		if m := wheelMember(f, p, ".dist-info/METADATA"); m != nil {
			f.Add(m)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m1, err1 := dist.ParseMetadata(bytes.NewReader(data))
		m2, err2 := dist.ParseMetadata(bytes.NewReader(data))
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("non-deterministic: %v vs %v", err1, err2)
		}
		if err1 != nil {
			if m1 != nil {
				t.Errorf("error %v with metadata", err1)
			}
			if !utf8.ValidString(err1.Error()) {
				t.Errorf("error message not UTF-8: %q", err1.Error())
			}
			return
		}
		if !utf8.Valid(data) {
			t.Fatalf("accepted metadata that is not UTF-8")
		}
		if len(m1.Headers) != len(m2.Headers) || m1.Body != m2.Body {
			t.Fatalf("non-deterministic result")
		}
		total := len(m1.Body)
		for _, h := range m1.Headers {
			if h.Name == "" || strings.ContainsAny(h.Name, ": \t\r\n") {
				t.Errorf("header name %q", h.Name)
			}
			if !utf8.ValidString(h.Value) {
				t.Errorf("header %s value not UTF-8", h.Name)
			}
			total += len(h.Name) + len(h.Value)
		}
		// Parsing never invents text: what it returns fits in the input.
		if total > len(data) {
			t.Errorf("parsed %d bytes of text out of %d bytes of input", total, len(data))
		}
	})
}

// FuzzParseFilenames checks the wheel and sdist filename grammars: no
// panic, and whatever parses rebuilds to itself.
func FuzzParseFilenames(f *testing.F) {
	for _, s := range []string{
		"demo_py-0.1.0-py3-none-any.whl", "demo-1.0-1build-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
		"flit_hello-0.3.0-py2.py3-none-any.whl", "a-1!2.0.post1.dev3-py3-none-any.whl", "x--py3-none-any.whl",
		"demo_py-0.1.0.tar.gz", "demo-py-0.1.0.zip", "a-b-c-1.0rc1.tar.gz", "-1.0.tar.gz", "é-1.0-py3-none-any.whl",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if w, err := dist.ParseWheelFilename(name); err == nil {
			if got := w.String(); got != name {
				t.Errorf("wheel %q rebuilds as %q", name, got)
			}
			if _, err := dist.ParseVersion(w.Version); err != nil {
				t.Errorf("wheel %q: version %q accepted by the filename parser only", name, w.Version)
			}
			if len(w.Tags()) == 0 {
				t.Errorf("wheel %q has no tags", name)
			}
			if w.Name == "" || strings.ContainsAny(w.Name, "-/\\") {
				t.Errorf("wheel %q: name part %q", name, w.Name)
			}
		}
		if s, err := dist.ParseSdistFilename(name); err == nil {
			if got := s.Name + "-" + s.Version + s.Ext; got != name {
				t.Errorf("sdist %q rebuilds as %q", name, got)
			}
			if s.Name == "" {
				t.Errorf("sdist %q: empty name", name)
			}
		}
		// Normalization is idempotent whatever the input.
		n := dist.NormalizeName(name)
		if dist.NormalizeName(n) != n {
			t.Errorf("NormalizeName not idempotent on %q", name)
		}
		if v, err := dist.NormalizeVersion(name); err == nil {
			if v2, err := dist.NormalizeVersion(v); err != nil || v2 != v {
				t.Errorf("NormalizeVersion(%q) = %q, then %q, %v", name, v, v2, err)
			}
		}
	})
}

// FuzzConfigParse feeds settings files to the strict decoder: no panic, no
// blow-up on YAML aliases, and whatever loads is valid: credentials can only
// go to https or loopback http, bounds hold, names are unique.
func FuzzConfigParse(f *testing.F) {
	seeds := []string{
		"version: 1\ntargets:\n  - name: pypi\n",
		"targets:\n  - name: testpypi\n    repository_url: https://test.pypi.org/legacy/\n    ids: [a, b]\n  - name: pypi\n    skip_existing: true\n    retry: {attempts: 3, delay: 2s, max_delay: 1m}\n",
		"targets:\n  - repository_url: http://127.0.0.1:8080/legacy/\n    concurrency: 64\n    max_file_size: 200MiB\n    check_url: https://pypi.org/simple/\n",
		"targets:\n  - name: x\n    disable: ${SKIP:-false}\n    token_env: ${TOKEN_VAR}\n    trusted_publishing: always\n    audience: pypi\n    fail_fast: true\n",
		"targets:\n  - nmae: typo\n",
		"targets:\n  - concurrency: lots\n",
		"targets:\n  - repository_url: http://pypi.example.com/legacy/\n",
		"targets:\n  - retry: {delay: soon}\n",
		"targets:\n  - name: a\n  - name: a\n",
		"a: &a [x, x, x, x]\nb: &b [*a, *a, *a, *a]\nc: &c [*b, *b, *b, *b]\ntargets: [*c]\n",
		"targets: !!binary aGVsbG8=\n",
		"",
		"\t",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	env := map[string]string{"SKIP": "true", "TOKEN_VAR": "MY_TOKEN", "URL": "https://example.org/legacy/"}
	getenv := func(k string) string { return env[k] }
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		file, err := config.Parse(data, "fuzz.yaml", getenv)
		if took := time.Since(start); took > inspectBudget {
			t.Errorf("parsing %d bytes took %v", len(data), took)
		}
		if err != nil {
			if file != nil {
				t.Errorf("error %v with a file", err)
			}
			msg := err.Error()
			if msg == "" || !strings.Contains(msg, "fuzz.yaml") {
				t.Errorf("error does not name the file: %q", msg)
			}
			return
		}
		names := map[string]bool{}
		for _, tg := range file.Targets {
			if names[tg.Name] {
				t.Errorf("duplicate target name %q loaded", tg.Name)
			}
			names[tg.Name] = true
			if _, err := endpoint.Parse(tg.RepositoryURL); err != nil {
				t.Errorf("loaded a repository URL the uploader refuses: %q: %v", tg.RepositoryURL, err)
			}
			if tg.CheckURL != "" {
				if _, err := endpoint.Parse(tg.CheckURL); err != nil {
					t.Errorf("loaded a check URL the uploader refuses: %q: %v", tg.CheckURL, err)
				}
			}
			if tg.Concurrency < 1 || tg.Concurrency > config.MaxConcurrency {
				t.Errorf("concurrency %d loaded", tg.Concurrency)
			}
			if tg.Retry.Attempts < 1 || tg.Retry.Attempts > config.MaxRetryAttempts || tg.Retry.Delay < 0 || tg.Retry.MaxDelay > config.MaxRetryDelay {
				t.Errorf("retry %+v loaded", tg.Retry)
			}
			switch tg.TrustedPublishing {
			case config.TrustedPublishingAuto, config.TrustedPublishingAlways, config.TrustedPublishingNever:
			default:
				t.Errorf("trusted_publishing %q loaded", tg.TrustedPublishing)
			}
			if tg.MaxFileSize < 0 {
				t.Errorf("max_file_size %d loaded", tg.MaxFileSize)
			}
		}
	})
}
