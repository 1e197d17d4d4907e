package index_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/index"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/pypitest"
)

// published builds p, uploads the build to a fresh local index and returns
// the index and the published wheel and sdist.
func published(t *testing.T, p project) (*pypitest.Server, *dist.Distribution, *dist.Distribution) {
	t.Helper()
	needBackends(t)
	srv := pypitest.NewServer(t, pypitest.WithToken(testToken))
	wheel, sdist := build(t, p, 1_700_000_000)
	upload(t, srv, wheel, sdist)
	return srv, wheel, sdist
}

// setuptoolsIndex is setuptoolsProject built and published once, for the
// tests that compare rebuilds of it (a build and an upload cost seconds).
// TestMain closes the index and removes the build.
var setuptoolsIndex struct {
	once         sync.Once
	srv          *pypitest.Server
	dir          string
	wheel, sdist *dist.Distribution
	err          error
}

func publishedSetuptools(t *testing.T) (*pypitest.Server, *dist.Distribution, *dist.Distribution) {
	t.Helper()
	needBackends(t)
	needTwine(t)
	s := &setuptoolsIndex
	s.once.Do(func() {
		if s.srv, s.err = pypitest.Start("127.0.0.1:0", pypitest.WithToken(testToken)); s.err != nil {
			return
		}
		if s.dir, s.err = os.MkdirTemp("", "index-test-"); s.err != nil {
			return
		}
		if s.wheel, s.sdist, s.err = buildIn(s.dir, setuptoolsProject, 1_700_000_000); s.err != nil {
			return
		}
		s.err = uploadFiles(s.srv, s.dir, s.wheel, s.sdist)
	})
	if s.err != nil {
		t.Fatal(s.err)
	}
	return s.srv, s.wheel, s.sdist
}

func TestMain(m *testing.M) {
	code := m.Run()
	if s := &setuptoolsIndex; s.srv != nil {
		s.srv.Close()
	}
	if setuptoolsIndex.dir != "" {
		os.RemoveAll(setuptoolsIndex.dir)
	}
	os.Exit(code)
}

func compare(t *testing.T, local *dist.Distribution, remote index.RemoteFile) index.Verdict {
	t.Helper()
	v, err := index.Compare(context.Background(), http.DefaultClient, local, remote, index.Options{})
	if err != nil {
		t.Fatalf("Compare(%s): %v", local.Filename, err)
	}
	return v
}

func mustDiffer(t *testing.T, a, b *dist.Distribution) {
	t.Helper()
	if a.Digests.SHA256 == b.Digests.SHA256 {
		t.Fatalf("the rebuild of %s is byte-identical; the test needs a byte-different rebuild", a.Filename)
	}
}

// A rebuild with another SOURCE_DATE_EPOCH, from a fresh checkout (other
// mtimes), differs in bytes and not in contents: Same, against both the
// JSON API's and the PEP 691 page's listing, and the download carried no
// credentials.
func TestSetuptoolsRebuildIsSame(t *testing.T) {
	srv, wheel, sdist := publishedSetuptools(t)
	wheel2, sdist2 := build(t, setuptoolsProject, 1_710_000_000)
	mustDiffer(t, wheel, wheel2)
	mustDiffer(t, sdist, sdist2)
	before := fileDownloads(srv)
	for _, local := range []*dist.Distribution{wheel2, sdist2} {
		for source, remote := range map[string]index.RemoteFile{"json": listedJSON(t, srv, local), "pep691": listedSimple(t, srv, local)} {
			v := compare(t, local, remote)
			if !v.Same || v.Identical || v.Difference != nil {
				t.Errorf("%s via %s: want Same (rebuilt), got %s", local.Filename, source, v)
			}
			if v.String() != index.ReasonRebuilt || v.Err() != nil {
				t.Errorf("%s via %s: reason %q, err %v", local.Filename, source, v, v.Err())
			}
			if !strings.HasPrefix(v.URL, srv.URL+"/files/") {
				t.Errorf("%s via %s: downloaded from %q", local.Filename, source, v.URL)
			}
		}
	}
	for _, r := range srv.Requests() {
		if strings.HasPrefix(r.Path, "/files/") && r.Authorization != "" {
			t.Errorf("the download of %s carried credentials", r.Path)
		}
	}
	if n := fileDownloads(srv) - before; n != 4 {
		t.Errorf("%d downloads, want 4 (two files, two listings)", n)
	}
}

// The file the index lists under the local sha256 is not downloaded.
func TestIdenticalIsNotDownloaded(t *testing.T) {
	srv, wheel, sdist := publishedSetuptools(t)
	before := fileDownloads(srv)
	for _, local := range []*dist.Distribution{wheel, sdist} {
		v := compare(t, local, listedJSON(t, srv, local))
		if !v.Same || !v.Identical || v.Err() != nil || v.String() != "identical file already on the index" {
			t.Errorf("%s: want Identical, got %s", local.Filename, v)
		}
	}
	if n := fileDownloads(srv) - before; n != 0 {
		t.Errorf("%d downloads for identical files, want none", n)
	}
}

// A relative file URL (as a PEP 503/691 page may list it) is resolved
// against the page it was listed on.
func TestRelativeFileURL(t *testing.T) {
	srv, _, _ := publishedSetuptools(t)
	wheel2, _ := build(t, setuptoolsProject, 1_710_000_000)
	remote := listedSimple(t, srv, wheel2)
	abs, err := url.Parse(remote.URL)
	if err != nil {
		t.Fatal(err)
	}
	remote.URL = "../.." + abs.Path // the page is /simple/rebuiltdemo/
	if v := compare(t, wheel2, remote); !v.Same || v.URL != abs.String() {
		t.Errorf("relative %s: got %s from %q", remote.URL, v, v.URL)
	}
	remote.Page = ""
	if _, err := index.Compare(context.Background(), nil, wheel2, remote, index.Options{}); err == nil || !strings.Contains(err.Error(), "relative URL") {
		t.Errorf("a relative URL without its page: %v", err)
	}
}

func TestFlitRebuildIsSame(t *testing.T) {
	srv, wheel, sdist := published(t, flitProject)
	wheel2, sdist2 := build(t, flitProject, 1_710_000_000)
	mustDiffer(t, wheel, wheel2)
	mustDiffer(t, sdist, sdist2)
	for _, local := range []*dist.Distribution{wheel2, sdist2} {
		if v := compare(t, local, listedSimple(t, srv, local)); !v.Same || v.Identical {
			t.Errorf("%s: want Same (rebuilt), got %s", local.Filename, v)
		}
	}
}

// One changed source byte: Different, naming the member and both hashes,
// and the conflict error says what to do.
func TestChangedSourceIsDifferent(t *testing.T) {
	srv, _, _ := publishedSetuptools(t)
	changed := setuptoolsProject.with("src/rebuiltdemo/__init__.py", "def main():\n    print(\"hellO\")\n")
	wheel2, sdist2 := build(t, changed, 1_700_000_000)
	for local, member := range map[*dist.Distribution]string{
		wheel2: "rebuiltdemo/__init__.py",
		sdist2: "rebuiltdemo-0.1.0/src/rebuiltdemo/__init__.py",
	} {
		v := compare(t, local, listedJSON(t, srv, local))
		d := v.Difference
		if v.Same || d == nil || d.Member != member || d.Kind != index.ContentDiffers {
			t.Fatalf("%s: want content differs in %s, got %s", local.Filename, member, v)
		}
		if d.Local.Size != d.Index.Size || d.Local.SHA256 == d.Index.SHA256 {
			t.Errorf("%s: states %+v %+v", local.Filename, d.Local, d.Index)
		}
		err := v.Err()
		t.Log(err)
		var ce *index.ConflictError
		if !errors.As(err, &ce) {
			t.Fatalf("Err() = %v, want a *ConflictError", err)
		}
		for _, want := range []string{local.Path, "a different file named " + local.Filename, member, "content differs", d.Local.SHA256, d.Index.SHA256, local.Digests.SHA256, "bump the version"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("conflict error lacks %q:\n%s", want, err)
			}
		}
	}
}

// A script that became executable: Different, mode.
func TestExecutableBitIsDifferent(t *testing.T) {
	srv, _, _ := publishedSetuptools(t)
	wheel2, sdist2 := build(t, setuptoolsProject.executable("src/rebuiltdemo/tool.sh"), 1_700_000_000)
	for local, member := range map[*dist.Distribution]string{
		wheel2: "rebuiltdemo/tool.sh",
		sdist2: "rebuiltdemo-0.1.0/src/rebuiltdemo/tool.sh",
	} {
		v := compare(t, local, listedJSON(t, srv, local))
		d := v.Difference
		if v.Same || d == nil || d.Member != member || d.Kind != index.ModeDiffers {
			t.Fatalf("%s: want mode differs in %s, got %s", local.Filename, member, v)
		}
		if want := member + ": mode differs (executable in the local file, not executable on the index)"; d.String() != want {
			t.Errorf("got %q, want %q", d.String(), want)
		}
	}
}

// A file added to the build: the wheel has a member the index's lacks.
func TestAddedFileIsMissingOnIndex(t *testing.T) {
	srv, _, _ := publishedSetuptools(t)
	wheel2, _ := build(t, setuptoolsProject.with("src/rebuiltdemo/extra.py", "X = 1\n"), 1_700_000_000)
	v := compare(t, wheel2, listedJSON(t, srv, wheel2))
	if d := v.Difference; d == nil || d.Member != "rebuiltdemo/extra.py" || d.Kind != index.MissingOnIndex || d.Index != nil {
		t.Fatalf("want rebuiltdemo/extra.py missing on the index, got %s", v)
	}
}

// A rebuild holding 24 MiB of incompressible data is compared in memory
// that does not grow with it: each member is hashed as it is decompressed.
func TestLargeRebuildInFlatMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and uploads 24 MiB distributions")
	}
	data := make([]byte, 24<<20)
	chacha := rand.NewChaCha8([32]byte{1})
	chacha.Read(data)
	big := setuptoolsProject.with("src/rebuiltdemo/blob.bin", string(data))
	big = big.with("pyproject.toml", strings.Replace(big.files["pyproject.toml"], `["*.sh"]`, `["*.sh", "*.bin"]`, 1))
	srv, wheel, sdist := published(t, big)
	wheel2, sdist2 := build(t, big, 1_710_000_000)
	mustDiffer(t, wheel, wheel2)
	mustDiffer(t, sdist, sdist2)
	for _, local := range []*dist.Distribution{wheel2, sdist2} {
		remote := listedJSON(t, srv, local)
		var v index.Verdict
		var err error
		n := allocated(func() { v, err = index.Compare(context.Background(), nil, local, remote, index.Options{}) })
		if err != nil || !v.Same {
			t.Fatalf("%s: %s, %v", local.Filename, v, err)
		}
		t.Logf("%s (%d MiB, both sides read and one downloaded): %.1f MiB allocated", local.Filename, local.Size>>20, float64(n)/(1<<20))
		if n > flatMemory {
			t.Errorf("%s: comparing allocated %d MiB", local.Filename, n>>20)
		}
	}
}
