package reliability

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/goreleaser-pypi/goreleaser-pypi/internal/secrets"
	"github.com/goreleaser-pypi/goreleaser-pypi/internal/wheelgen"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/pypitest"
)

// localFile is one distribution written for a test.
type localFile struct {
	path, filename, sha256, kind string // kind: "Wheel" or "Source Dist"
}

// fixture is a set of distributions in one directory.
type fixture struct {
	dir   string
	files []localFile
}

func (fx fixture) paths() []string {
	out := make([]string, len(fx.files))
	for i, f := range fx.files {
		out[i] = f.path
	}
	return out
}

// wheelTags give distinct, PyPI-valid wheel names within one release.
var wheelTags = []string{"py3-none-any", "cp312-abi3-manylinux_2_17_x86_64", "cp313-cp313-win_amd64", "cp313-cp313-macosx_11_0_arm64", "py2.py3-none-any"}

// addRelease writes wheels (one per tag in wheelTags[:wheels]) and,
// optionally, the sdist of name==version, each with size payload bytes.
func (fx *fixture) addRelease(t testing.TB, name, version string, wheels int, sdist bool, size int64, seed int64) {
	t.Helper()
	for i := range wheels {
		spec := wheelgen.Spec{Name: name, Version: version, Size: size, Seed: seed + int64(i), Tag: wheelTags[i]}
		p, err := wheelgen.Write(fx.dir, spec)
		if err != nil {
			t.Fatal(err)
		}
		fx.files = append(fx.files, localFile{path: p, filename: filepath.Base(p), sha256: fileSHA256(t, p), kind: "Wheel"})
	}
	if sdist {
		p, err := wheelgen.WriteSdist(fx.dir, wheelgen.Spec{Name: name, Version: version, Size: size, Seed: seed + 100})
		if err != nil {
			t.Fatal(err)
		}
		fx.files = append(fx.files, localFile{path: p, filename: filepath.Base(p), sha256: fileSHA256(t, p), kind: "Source Dist"})
	}
}

func newFixture(t testing.TB) *fixture { return &fixture{dir: t.TempDir()} }

func fileSHA256(t testing.TB, p string) string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// writeArtifacts writes GoReleaser's dist/artifacts.json listing the
// fixture's files (absolute paths, as GoReleaser writes for absolute dist
// directories), and returns the dist directory.
func (fx *fixture) writeArtifacts(t testing.TB) string {
	t.Helper()
	distDir := filepath.Join(t.TempDir(), "dist")
	if err := os.MkdirAll(distDir, 0o755); err != nil {
		t.Fatal(err)
	}
	type artifact struct {
		Name  string         `json:"name"`
		Path  string         `json:"path"`
		Type  string         `json:"type"`
		Extra map[string]any `json:"extra"`
	}
	var list []artifact
	for _, f := range fx.files {
		id, ext := "python-wheel", ".whl"
		if f.kind == "Source Dist" {
			id, ext = "python-sdist", ".tar.gz"
		}
		list = append(list, artifact{Name: f.filename, Path: f.path, Type: f.kind, Extra: map[string]any{"ID": id, "Builder": "uv", "Ext": ext}})
	}
	// A Go binary in the same release, which publish must leave alone.
	list = append(list, artifact{Name: "demo_linux_amd64", Path: filepath.Join(distDir, "demo_linux_amd64", "demo"), Type: "Binary", Extra: map[string]any{"ID": "demo"}})
	b, _ := json.MarshalIndent(list, "", "  ")
	writeFile(t, distDir, "artifacts.json", string(b))
	return distDir
}

// checkLedger is the invariant of every end-to-end run: each local file is
// either on the index exactly once with its own sha256 and reported
// uploaded or skipped, or not on the index and reported failed; the index
// holds nothing else. It returns the count of files on the index.
func checkLedger(t testing.TB, srv *pypitest.Server, fx *fixture, rep report) (stored int) {
	t.Helper()
	status := map[string]string{}
	for _, f := range rep.Files {
		if _, dup := status[f.Filename]; dup {
			t.Errorf("report lists %s twice", f.Filename)
		}
		status[f.Filename] = f.Status
	}
	local := map[string]bool{}
	for _, f := range fx.files {
		local[f.filename] = true
		st, ok := status[f.filename]
		if !ok {
			t.Errorf("report does not mention %s", f.filename)
			continue
		}
		on, held := srv.File(f.filename)
		switch st {
		case "uploaded", "skipped":
			if !held {
				t.Errorf("%s reported %s but the index does not hold it", f.filename, st)
			} else if on.Digests.SHA256 != f.sha256 {
				t.Errorf("%s reported %s but the index holds other content", f.filename, st)
			}
		case "failed":
			if held {
				t.Errorf("%s reported failed but the index holds it", f.filename)
			}
		default:
			t.Errorf("%s: status %q", f.filename, st)
		}
		if held {
			stored++
		}
	}
	for _, f := range srv.Files() {
		if !local[f.Filename] {
			t.Errorf("the index holds %s, which was never given", f.Filename)
		}
	}
	return stored
}

var (
	// jwtShape matches an encoded JWT's header and payload (both JSON
	// objects, so both start "eyJ").
	jwtShape = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}`)
	// pypiTokenShape matches an API token as PyPI and pypitest write them.
	pypiTokenShape = regexp.MustCompile(`pypi-[A-Za-z0-9_-]{16,}`)
)

// scanSecrets fails t when any output holds a secret of the run: the
// secrets given, every credential the index received (decoded from the
// Authorization headers it logged: minted tokens included), the issuer's
// request token, and anything shaped like a JWT or a PyPI token. The
// ::add-mask:: line is the one place a secret may be printed.
func scanSecrets(t testing.TB, outputs map[string]string, srv *pypitest.Server, given ...string) {
	t.Helper()
	all := append([]string(nil), given...)
	if srv != nil {
		all = append(all, srv.Issuer.RequestToken)
		for _, r := range srv.Requests() {
			if tok := basicPassword(r.Authorization); tok != "" {
				all = append(all, tok)
			}
		}
	}
	secrets.Scan(t, outputs, dedupe(all)...)
	names := make([]string, 0, len(outputs))
	for n := range outputs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		for i, line := range strings.Split(outputs[n], "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "::add-mask::") {
				continue
			}
			if jwtShape.MatchString(line) {
				t.Errorf("%s line %d holds a JWT", n, i+1)
			}
			if pypiTokenShape.MatchString(line) {
				t.Errorf("%s line %d holds something shaped like a PyPI token", n, i+1)
			}
		}
	}
}

// basicPassword returns the password of an HTTP Basic Authorization header.
func basicPassword(h string) string {
	enc, ok := strings.CutPrefix(h, "Basic ")
	if !ok {
		return ""
	}
	b, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return ""
	}
	_, pw, _ := strings.Cut(string(b), ":")
	return pw
}

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
