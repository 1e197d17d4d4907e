package goreleaser

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// copyList puts the real artifacts.json into root/distRel.
func copyList(t *testing.T, root, distRel string) string {
	t.Helper()
	data, err := os.ReadFile("testdata/v2.15.1/artifacts.json")
	if err != nil {
		t.Fatal(err)
	}
	if distRel != "dist" {
		data = []byte(strings.ReplaceAll(string(data), `"dist/`, `"`+distRel+`/`))
	}
	dist := filepath.Join(root, filepath.FromSlash(distRel))
	if err := os.MkdirAll(dist, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dist, FileName), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dist
}

func TestReadRealList(t *testing.T) {
	root := t.TempDir()
	dist := copyList(t, root, "dist")
	l, err := Read(dist)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Artifacts) != 16 {
		t.Fatalf("read %d artifacts", len(l.Artifacts))
	}
	py := l.Python()
	if len(py) != 2 {
		t.Fatalf("Python() = %+v", py)
	}
	w, s := py[0], py[1]
	if w.Type != TypeWheel || w.Name != "polyglotdemo-0.1.0-py3-none-any.whl" || w.ID() != "python-wheel" || w.Builder() != "uv" {
		t.Fatalf("wheel = %+v", w)
	}
	if want := filepath.Join(root, "dist", "python-wheel_none-any", "polyglotdemo-0.1.0-py3-none-any.whl"); w.Resolved != want {
		t.Fatalf("Resolved = %q, want %q", w.Resolved, want)
	}
	if sum, ok := w.Checksum(); !ok || sum != "e6281e2c98748d7a2ab634e941b5a20ae06139b7da8365006fb31f2c8cf741a4" {
		t.Fatalf("Checksum() = %q %v", sum, ok)
	}
	if s.Type != TypeSdist || s.ID() != "python-sdist" {
		t.Fatalf("sdist = %+v", s)
	}
	if _, ok := l.Artifacts[0].Checksum(); ok {
		t.Fatal("metadata.json has no checksum")
	}
}

func TestResolveRelativeDist(t *testing.T) {
	// --dist given relative to the working directory.
	root := t.TempDir()
	copyList(t, root, "dist")
	t.Chdir(root)
	l, err := Read("dist")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := l.Python()[1].Resolved, filepath.Join(root, "dist", "python-sdist_none-any", "polyglotdemo-0.1.0.tar.gz"); got != want {
		t.Fatalf("Resolved = %q, want %q", got, want)
	}
	if l.File != filepath.Join("dist", FileName) {
		t.Fatalf("File = %q", l.File)
	}
}

func TestResolveNestedDist(t *testing.T) {
	// dist: build/out in .goreleaser.yaml; paths are "build/out/...".
	root := t.TempDir()
	dist := copyList(t, root, "build/out")
	l, err := Read(dist)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := l.Python()[0].Resolved, filepath.Join(root, "build", "out", "python-wheel_none-any", "polyglotdemo-0.1.0-py3-none-any.whl"); got != want {
		t.Fatalf("Resolved = %q, want %q", got, want)
	}
}

func TestResolveAbsolute(t *testing.T) {
	if got := resolve("/p/dist", "/elsewhere/x.whl"); got != filepath.Clean("/elsewhere/x.whl") {
		t.Fatalf("got %q", got)
	}
	// A path that is not under dist falls back to dist's parent.
	if got := resolve("/p/dist", "LICENSE"); got != filepath.Join("/p", "LICENSE") {
		t.Fatalf("got %q", got)
	}
}

func TestSelect(t *testing.T) {
	l, err := Read(copyList(t, t.TempDir(), "dist"))
	if err != nil {
		t.Fatal(err)
	}
	all, err := l.Select(nil)
	if err != nil || len(all) != 2 {
		t.Fatalf("Select(nil) = %v, %v", all, err)
	}
	one, err := l.Select([]string{"python-sdist"})
	if err != nil || len(one) != 1 || one[0].Type != TypeSdist {
		t.Fatalf("Select(sdist) = %v, %v", one, err)
	}

	_, err = l.Select([]string{"python-wheel", "pythn-sdist"})
	want := `build id "pythn-sdist" matches no artifact in ` + l.File + `; Python build ids present: "python-sdist", "python-wheel" (other ids: "default", "polyglot"). List the ids of your builder: uv (or poetry) builds in the target's ids:`
	if err == nil || err.Error() != want {
		t.Fatalf("got  %v\nwant %s", err, want)
	}
	_, err = l.Select([]string{"polyglot"})
	if err == nil || !strings.HasPrefix(err.Error(), `build id "polyglot" has no wheel or sdist in `+l.File+` (its artifacts are: Binary)`) {
		t.Fatalf("got %v", err)
	}
}

func TestNoPython(t *testing.T) {
	dist := t.TempDir()
	os.WriteFile(filepath.Join(dist, FileName), []byte(`[{"name":"x","path":"dist/x","type":"Binary","internal_type":4,"extra":{"ID":"x"}}]`), 0o644)
	l, err := Read(dist)
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.Select(nil)
	if err == nil || !strings.Contains(err.Error(), `lists no Python wheels or sdists (types "Wheel", "Source Dist"): add a Python build to .goreleaser.yaml (builds: - builder: uv, or builder: poetry) (it has: Binary)`) {
		t.Fatalf("got %v", err)
	}
}

// TestTypeNotInternalType: a future GoReleaser renumbers internal_type; the
// reader must still find wheels by name, and must not take a non-Python
// artifact that now has the old number.
func TestTypeNotInternalType(t *testing.T) {
	dist := t.TempDir()
	os.WriteFile(filepath.Join(dist, FileName), []byte(`[
 {"name":"a-1-py3-none-any.whl","path":"dist/a-1-py3-none-any.whl","internal_type":34,"type":"Wheel","extra":{"ID":"w"}},
 {"name":"checksums.txt","path":"dist/checksums.txt","internal_type":33,"type":"Checksum"}]`), 0o644)
	l, _ := Read(dist)
	py := l.Python()
	if len(py) != 1 || py[0].Name != "a-1-py3-none-any.whl" {
		t.Fatalf("Python() = %+v", py)
	}
}

func TestReadErrors(t *testing.T) {
	dist := t.TempDir()
	_, err := Read(dist)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dist, FileName)+" not found: GoReleaser writes it at the end of `goreleaser release`") {
		t.Fatalf("got %v", err)
	}
	os.WriteFile(filepath.Join(dist, FileName), []byte(`{"not": "a list"}`), 0o644)
	_, err = Read(dist)
	if err == nil || !strings.Contains(err.Error(), "is not GoReleaser's artifact list") {
		t.Fatalf("got %v", err)
	}
}
