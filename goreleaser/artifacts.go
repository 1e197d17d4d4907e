// Package goreleaser reads what GoReleaser leaves in its dist directory:
// the artifact list (artifacts.json, written at the end of a run) and the
// list's model shared by every front end (the command line, the plugin).
//
// It imports nothing from GoReleaser on purpose: the goreleaser-pypi binary
// uses it (`goreleaser-pypi publish --dist dist`) and must start fast and stay
// small. The format of artifacts.json is GoReleaser's JSON encoding of its
// artifact list:
//
//	{"name": "x-1.0-py3-none-any.whl", "path": "dist/python-wheel_none-any/x-1.0-py3-none-any.whl",
//	 "goos": "all", "goarch": "all", "target": "none-any", "internal_type": 33, "type": "Wheel",
//	 "extra": {"Builder": "uv", "Checksum": "sha256:...", "Ext": ".whl", "ID": "python-wheel"}}
//
// Artifacts are matched on "type" (the stable name), never on
// "internal_type", an enum position that shifts between GoReleaser releases
// (Wheel was 33 in v2.15.1 and 34 in v2.18.2).
package goreleaser

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// FileName is the artifact list's name inside the dist directory.
const FileName = "artifacts.json"

// The artifact types goreleaser-pypi uses, as GoReleaser names them:
// Python distributions, and the Go binaries binary_wheels turns into
// wheels.
const (
	TypeWheel           = "Wheel"
	TypeSdist           = "Source Dist"
	TypeBinary          = "Binary"
	TypeUniversalBinary = "Universal Binary"
)

// Artifact is one entry of artifacts.json.
type Artifact struct {
	Name    string         `json:"name"`
	Path    string         `json:"path"` // as GoReleaser wrote it: relative to where it ran, or absolute
	Goos    string         `json:"goos,omitempty"`
	Goarch  string         `json:"goarch,omitempty"`
	Goarm   string         `json:"goarm,omitempty"`
	Goamd64 string         `json:"goamd64,omitempty"`
	Target  string         `json:"target,omitempty"`
	Type    string         `json:"type"`
	Extra   map[string]any `json:"extra,omitempty"`

	// Resolved is Path as an absolute path (see Read).
	Resolved string `json:"-"`
}

// IsBinary reports whether the artifact is a Go binary (universal ones too).
func (a Artifact) IsBinary() bool { return a.Type == TypeBinary || a.Type == TypeUniversalBinary }

// BinaryName is the command a binary artifact installs (GoReleaser's
// extra "Binary", else its file name without ".exe").
func (a Artifact) BinaryName() string {
	if b := a.extraString("Binary"); b != "" {
		return b
	}
	return strings.TrimSuffix(a.Name, ".exe")
}

// ID is the id of the GoReleaser build (or archive, ...) that made the artifact.
func (a Artifact) ID() string { return a.extraString("ID") }

// Builder is the GoReleaser builder that made it ("uv", "poetry", "go"...).
func (a Artifact) Builder() string { return a.extraString("Builder") }

// Checksum returns the hex SHA-256 GoReleaser recorded for the file
// (extra "Checksum": "sha256:<hex>"), if it recorded one.
func (a Artifact) Checksum() (sha256 string, ok bool) {
	algo, sum, found := strings.Cut(a.extraString("Checksum"), ":")
	if !found || algo != "sha256" || sum == "" {
		return "", false
	}
	return strings.ToLower(sum), true
}

// IsPython reports whether the artifact is a wheel or an sdist.
func (a Artifact) IsPython() bool { return a.Type == TypeWheel || a.Type == TypeSdist }

func (a Artifact) extraString(key string) string {
	s, _ := a.Extra[key].(string)
	return s
}

// List is a read artifacts.json.
type List struct {
	// File is the artifacts.json path as given to Read (joined with FileName).
	File string
	// Artifacts in file order.
	Artifacts []Artifact
}

// Read reads distDir/artifacts.json and resolves every artifact path.
//
// GoReleaser writes paths relative to the directory it ran in (the project
// root), e.g. "dist/python-wheel_none-any/x.whl" for dist "dist". That
// directory is not recorded, so it is recovered from where the list is: the
// nearest ancestor of distDir under which the path lands inside distDir
// (the project root when dist is "dist", also for a nested dist such as
// "build/out"). Absolute paths are kept.
func Read(distDir string) (*List, error) {
	file := filepath.Join(distDir, FileName)
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s not found: GoReleaser writes it at the end of `goreleaser release` (or `goreleaser build`); run that first, or point --dist at GoReleaser's dist directory (%w)", file, err)
	}
	if err != nil {
		return nil, fmt.Errorf("reading GoReleaser's artifact list: %w", err)
	}
	var items []Artifact
	if err := json.Unmarshal(data, &items); err != nil {
		return nil, fmt.Errorf("%s is not GoReleaser's artifact list (a JSON array of artifacts): %w", file, err)
	}
	absDist, err := filepath.Abs(distDir)
	if err != nil {
		return nil, err
	}
	for i := range items {
		items[i].Resolved = resolve(absDist, items[i].Path)
	}
	return &List{File: file, Artifacts: items}, nil
}

// resolve makes an artifact path absolute (see Read).
func resolve(absDist, path string) string {
	p := filepath.FromSlash(path)
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	for dir := filepath.Dir(absDist); ; dir = filepath.Dir(dir) {
		cand := filepath.Join(dir, p)
		if within(absDist, cand) {
			return cand
		}
		if parent := filepath.Dir(dir); parent == dir {
			break
		}
	}
	// Not under dist (GoReleaser only writes there, but extra files may be
	// listed): the project root is most often dist's parent.
	return filepath.Join(filepath.Dir(absDist), p)
}

func within(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != "." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && rel != ".."
}

// Python returns the wheels and sdists, in file order.
func (l *List) Python() []Artifact {
	var out []Artifact
	for _, a := range l.Artifacts {
		if a.IsPython() {
			out = append(out, a)
		}
	}
	return out
}

// Select returns the Python artifacts made by the builds ids (every Python
// artifact when ids is empty). An id that matches no Python artifact is an
// error listing the ids present, so a typo or a renamed build cannot
// silently publish nothing (or less than intended).
func (l *List) Select(ids []string) ([]Artifact, error) {
	py := l.Python()
	if len(py) == 0 {
		return nil, fmt.Errorf("%s lists no Python wheels or sdists (types %q, %q): add a Python build to .goreleaser.yaml (builds: - builder: uv, or builder: poetry)%s",
			l.File, TypeWheel, TypeSdist, l.presentTypes())
	}
	if len(ids) == 0 {
		return py, nil
	}
	var unknown []string
	for _, id := range ids {
		if !slices.ContainsFunc(py, func(a Artifact) bool { return a.ID() == id }) {
			unknown = append(unknown, id)
		}
	}
	if len(unknown) > 0 {
		return nil, l.unknownIDs(unknown)
	}
	var out []Artifact
	for _, a := range py {
		if slices.Contains(ids, a.ID()) {
			out = append(out, a)
		}
	}
	return out, nil
}

func (l *List) unknownIDs(unknown []string) error {
	pyIDs, otherIDs := map[string]bool{}, map[string][]string{}
	for _, a := range l.Artifacts {
		id := a.ID()
		if id == "" {
			continue
		}
		if a.IsPython() {
			pyIDs[id] = true
		} else if !slices.Contains(otherIDs[id], a.Type) {
			otherIDs[id] = append(otherIDs[id], a.Type)
		}
	}
	var lines []string
	for _, id := range unknown {
		if types, ok := otherIDs[id]; ok && !pyIDs[id] {
			lines = append(lines, fmt.Sprintf("build id %q has no wheel or sdist in %s (its artifacts are: %s)", id, l.File, strings.Join(types, ", ")))
		} else {
			lines = append(lines, fmt.Sprintf("build id %q matches no artifact in %s", id, l.File))
		}
	}
	msg := strings.Join(lines, "; ")
	msg += fmt.Sprintf("; Python build ids present: %s", quoted(keys(pyIDs)))
	if len(otherIDs) > 0 {
		msg += fmt.Sprintf(" (other ids: %s)", quoted(keys(otherIDs)))
	}
	return errors.New(msg + ". List the ids of your builder: uv (or poetry) builds in the target's ids:")
}

func (l *List) presentTypes() string {
	var types []string
	for _, a := range l.Artifacts {
		if !slices.Contains(types, a.Type) {
			types = append(types, a.Type)
		}
	}
	if len(types) == 0 {
		return " (the list is empty)"
	}
	return fmt.Sprintf(" (it has: %s)", strings.Join(types, ", "))
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func quoted(ss []string) string {
	if len(ss) == 0 {
		return "none"
	}
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// FilesList presents files given on a command line as the artifacts of a
// release, typed by extension. Anything that is not a wheel goes on as an
// sdist, so that verification says what is wrong with it.
func FilesList(files []string) *List {
	l := &List{File: "the command line"}
	for _, f := range files {
		typ := TypeSdist
		if strings.HasSuffix(strings.ToLower(f), ".whl") {
			typ = TypeWheel
		}
		l.Artifacts = append(l.Artifacts, Artifact{Name: filepath.Base(f), Path: f, Type: typ, Resolved: f})
	}
	return l
}
