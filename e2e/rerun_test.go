package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/pypitest"
)

// fileStatuses reads dist/goreleaser-pypi/report.json: file name → status
// and reason, for the first target.
func fileStatuses(t *testing.T, p *project) map[string]string {
	t.Helper()
	b, err := os.ReadFile(p.path("dist/goreleaser-pypi/report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Targets []struct {
			Report struct {
				Files []struct {
					Filename, Status, Reason string
				} `json:"files"`
			} `json:"report"`
		} `json:"targets"`
	}
	if err := json.Unmarshal(b, &r); err != nil || len(r.Targets) == 0 {
		t.Fatalf("report.json: %v\n%s", err, b)
	}
	out := map[string]string{}
	for _, f := range r.Targets[0].Report.Files {
		out[f.Filename] = f.Status + ": " + f.Reason
	}
	return out
}

// TestRerunSameTagConverges: the release job is re-run for the same tag.
// The example builds reproducibly (SOURCE_DATE_EPOCH from the commit), so
// GoReleaser rebuilds byte-identical files: skipped by sha256. Moved to
// another commit with the same Python sources, the tag rebuilds files whose
// bytes differ (archive timestamps) and whose contents do not: the re-run
// exits 0, uploads nothing and says "rebuilt, same contents". A real change
// under the same version is a clear conflict naming the member.
func TestRerunSameTagConverges(t *testing.T) {
	t.Parallel()
	tl := setup(t)
	srv := newIndex(t)
	p := newProject(t, nil)
	env := ciEnv(tl, srv, t.TempDir()+"/summary.md")
	if out, err := release(t, tl, p, env); err != nil {
		t.Fatalf("first release: %v\n%s", err, out)
	}
	first := indexFiles(t, srv, "polyglotdemo")
	uploads, _ := srv.UploadAttempts()

	// Time passes; the rebuild is byte-identical all the same.
	time.Sleep(1100 * time.Millisecond)
	out, err := release(t, tl, p, env)
	if err != nil {
		t.Fatalf("re-run of the same tag: %v\n%s", err, out)
	}
	for name, sum := range distFiles(t, p) {
		if first[name] != sum {
			t.Errorf("%s was rebuilt with other bytes: the example's build is not reproducible", name)
		}
	}
	for name, s := range fileStatuses(t, p) {
		if s != "skipped: identical file already on the index" {
			t.Errorf("%s: %s", name, s)
		}
	}
	if now, _ := srv.UploadAttempts(); now != uploads {
		t.Errorf("the re-run sent %d uploads", now-uploads)
	}

	// The tag moves to a later commit that leaves the Python package and
	// the Go sources alone.
	time.Sleep(1100 * time.Millisecond)
	p.write("NOTES.md", "A change outside the Python package and the Go sources.\n")
	p.git("add", "-A")
	p.git("commit", "-q", "-m", "a change outside the packages")
	p.git("tag", "-d", "v0.1.0")
	p.git("tag", "-a", "v0.1.0", "-m", "v0.1.0")
	out, err = release(t, tl, p, env)
	if err != nil {
		t.Fatalf("re-run of the moved tag: %v\n%s", err, out)
	}
	rebuilt := distFiles(t, p)
	differ := 0
	for name, sum := range rebuilt {
		if first[name] != sum {
			differ++
		}
	}
	if differ == 0 {
		t.Fatalf("the rebuilt files are byte-identical: the test no longer exercises a rebuild")
	}
	if now, _ := srv.UploadAttempts(); now != uploads {
		t.Errorf("the re-run sent %d uploads", now-uploads)
	}
	st := fileStatuses(t, p)
	rebuiltSeen := 0
	for name, s := range st {
		if !strings.HasPrefix(s, "skipped: ") {
			t.Errorf("%s: %s", name, s)
		}
		if strings.Contains(s, "already published (rebuilt, same contents)") {
			rebuiltSeen++
		}
	}
	if rebuiltSeen != differ {
		t.Errorf("%d files reported rebuilt, %d differ in bytes: %v", rebuiltSeen, differ, st)
	}

	// One source byte changed, released again under the same tag.
	p.replace("python/src/polyglotdemo/__init__.py", "hello, ", "hello,  ")
	p.git("add", "-A")
	p.git("commit", "-q", "-m", "a change under the same version")
	p.git("tag", "-d", "v0.1.0")
	p.git("tag", "-a", "v0.1.0", "-m", "v0.1.0")
	out, err = release(t, tl, p, env)
	if err == nil {
		t.Fatalf("a changed file under a published version passed:\n%s", out)
	}
	for _, want := range []string{"a different file named polyglotdemo-0.1.0", "first difference:", "polyglotdemo/__init__.py", "bump the version"} {
		if !strings.Contains(out, want) {
			t.Errorf("the conflict does not say %q:\n%s", want, out)
		}
	}
	if got := indexFiles(t, srv, "polyglotdemo"); !equalMaps(got, first) {
		t.Errorf("the index changed: %v, was %v", got, first)
	}
}

// TestFailedReleaseThenPublishFinishes: the index refuses the sdist once;
// goreleaser release fails (and writes no artifacts.json). The documented
// recovery, goreleaser-pypi publish --dist dist, finds the release's files
// and finishes it.
func TestFailedReleaseThenPublishFinishes(t *testing.T) {
	t.Parallel()
	tl := setup(t)
	srv := newIndex(t)
	srv.Faults().ForFile("polyglotdemo-0.1.0.tar.gz", 1, pypitest.Fault{Status: http.StatusBadRequest, Message: "Temporarily refused for this test."})
	p := newProject(t, nil)
	env := ciEnv(tl, srv, t.TempDir()+"/summary.md")
	out, err := release(t, tl, p, env)
	if err == nil {
		t.Fatalf("release succeeded though the index refused the sdist:\n%s", out)
	}
	if _, err := os.Stat(p.path("dist/artifacts.json")); err == nil {
		t.Fatal("GoReleaser wrote artifacts.json after a failed publisher: the test no longer covers recovery without it")
	}
	res, stderr := publish(t, tl, p, env, 0)
	if !strings.Contains(stderr, "no artifacts.json") {
		t.Errorf("publish does not say it found the files without artifacts.json:\n%s", stderr)
	}
	if len(res.Targets) != 1 || !res.Targets[0].Report.OK {
		t.Fatalf("publish: %+v", res)
	}
	if got := indexFiles(t, srv, "polyglotdemo"); !equalMaps(got, distFiles(t, p)) {
		t.Fatalf("the index has %v", got)
	}
}
