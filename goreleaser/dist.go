package goreleaser

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// What GoReleaser writes into its dist directory before the build (the
// effective configuration and the run's metadata). Both exist during the
// publish phase, when artifacts.json does not yet.
const (
	ConfigFileName   = "config.yaml"
	MetadataFileName = "metadata.json"
)

// Python builders: GoReleaser's builds whose outputs are wheels and sdists.
var pythonBuilders = []string{"uv", "poetry"}

// Metadata is dist/metadata.json: the run's project, tag and version.
type Metadata struct {
	ProjectName string `json:"project_name"`
	Tag         string `json:"tag"`
	PreviousTag string `json:"previous_tag"`
	Version     string `json:"version"`
	Commit      string `json:"commit"`
	Date        string `json:"date"`
}

// Build is one entry of the effective configuration's builds.
type Build struct {
	ID        string   `yaml:"id"`
	Builder   string   `yaml:"builder"`
	BuildMode string   `yaml:"buildmode"`
	Targets   []string `yaml:"targets"`
	Dir       string   `yaml:"dir"`
	Binary    string   `yaml:"binary"`
	Goos      []string `yaml:"goos"`
	Goarch    []string `yaml:"goarch"`
}

// IsPython reports whether the build makes wheels or sdists.
func (b Build) IsPython() bool { return slices.Contains(pythonBuilders, b.Builder) }

// Publisher is one entry of the effective configuration's publishers.
type Publisher struct {
	Name    string   `yaml:"name"`
	IDs     []string `yaml:"ids"`
	Cmd     string   `yaml:"cmd"`
	Disable string   `yaml:"disable"`
}

// RunsUs reports whether the publisher's command runs goreleaser-pypi.
func (p Publisher) RunsUs() bool {
	for _, w := range strings.Fields(p.Cmd) {
		if filepath.Base(strings.Trim(w, `"'`)) == "goreleaser-pypi" {
			return true
		}
	}
	return false
}

// EffectiveConfig is the part of dist/config.yaml goreleaser-pypi reads.
type EffectiveConfig struct {
	ProjectName string      `yaml:"project_name"`
	Dist        string      `yaml:"dist"`
	Builds      []Build     `yaml:"builds"`
	Publishers  []Publisher `yaml:"publishers"`
	Checksum    struct {
		NameTemplate string `yaml:"name_template"`
		Disable      string `yaml:"disable"`
	} `yaml:"checksum"`
}

// Dist is GoReleaser's dist directory of one run, as GoReleaser leaves it
// from the start of the run on.
type Dist struct {
	// Dir is the absolute path of the dist directory.
	Dir      string
	Config   EffectiveConfig
	Metadata Metadata
	// MetadataRaw is metadata.json as written: it identifies the run (its
	// date has nanoseconds), so a ledger is never mistaken for another run's.
	MetadataRaw []byte
}

// OpenDist reads dir's config.yaml and metadata.json. An error says dir is
// not (yet) a GoReleaser dist directory.
func OpenDist(dir string) (*Dist, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	d := &Dist{Dir: abs}
	raw, err := os.ReadFile(filepath.Join(abs, MetadataFileName))
	if err != nil {
		return nil, fmt.Errorf("%s is not a GoReleaser dist directory (no %s): %w", dir, MetadataFileName, err)
	}
	if err := json.Unmarshal(raw, &d.Metadata); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, MetadataFileName), err)
	}
	d.MetadataRaw = raw
	cfg, err := os.ReadFile(filepath.Join(abs, ConfigFileName))
	if err != nil {
		return nil, fmt.Errorf("%s is not a GoReleaser dist directory (no %s): %w", dir, ConfigFileName, err)
	}
	if err := yaml.Unmarshal(cfg, &d.Config); err != nil {
		return nil, fmt.Errorf("%s is not GoReleaser's effective configuration: %w", filepath.Join(dir, ConfigFileName), err)
	}
	return d, nil
}

// FindDist finds the GoReleaser dist directory a file lies in: the nearest
// ancestor holding config.yaml and metadata.json. GoReleaser writes build
// outputs to dist/<build id>_<target>/, so that is usually the parent's
// parent. It returns an error wrapping fs.ErrNotExist when there is none.
func FindDist(path string) (*Dist, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	for dir := filepath.Dir(abs); ; dir = filepath.Dir(dir) {
		if isDist(dir) {
			return OpenDist(dir)
		}
		if parent := filepath.Dir(dir); parent == dir {
			return nil, fmt.Errorf("%s is not inside a GoReleaser dist directory: %w", path, fs.ErrNotExist)
		}
	}
}

// IsDist reports whether dir looks like a GoReleaser dist directory.
func IsDist(dir string) bool { return isDist(dir) }

func isDist(dir string) bool {
	for _, f := range []string{ConfigFileName, MetadataFileName} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.IsDir() {
			return false
		}
	}
	return true
}

// Finished reports whether the run wrote artifacts.json: GoReleaser does so
// after the publish phase, so while custom publishers run it is absent.
func (d *Dist) Finished() bool {
	_, err := os.Stat(filepath.Join(d.Dir, FileName))
	return err == nil
}

// PythonBuilds are the builds that make wheels and sdists, in file order.
func (d *Dist) PythonBuilds() []Build {
	var out []Build
	for _, b := range d.Config.Builds {
		if b.IsPython() {
			out = append(out, b)
		}
	}
	return out
}

// Publisher returns the custom publisher entry that runs goreleaser-pypi.
func (d *Dist) Publisher() (Publisher, bool) {
	for _, p := range d.Config.Publishers {
		if p.RunsUs() && p.Disable != "true" {
			return p, true
		}
	}
	return Publisher{}, false
}

// Discover lists the Python distributions the run built, found where
// GoReleaser's builders write them (dist/<build id>_<target>/), with the
// checksums the run recorded when it has a checksums file. It is the list
// of a run that has not written artifacts.json yet (custom publishers run
// before it is written; a failed run never writes it).
//
// An sdist build whose backend wrote a pre-PEP 625 name is listed under the
// name GoReleaser predicted, when that file does not exist: verification
// then says what happened and how to fix it.
func (d *Dist) Discover() (*List, error) {
	l := &List{File: filepath.Join(d.Dir, ConfigFileName)}
	sums := d.checksums()
	var errs []error
	for _, b := range d.PythonBuilds() {
		targets := b.Targets
		if len(targets) == 0 {
			targets = []string{"none-any"}
		}
		found := 0
		for _, target := range targets {
			dir := filepath.Join(d.Dir, b.ID+"_"+target)
			entries, err := os.ReadDir(dir)
			if err != nil {
				continue
			}
			var names []string
			for _, e := range entries {
				if !e.IsDir() && isDistributionName(e.Name()) {
					names = append(names, e.Name())
				}
			}
			sort.Strings(names)
			if b.BuildMode == "sdist" {
				names = d.predictSdist(b, names, dir)
			}
			for _, name := range names {
				typ := TypeSdist
				if strings.HasSuffix(strings.ToLower(name), ".whl") {
					typ = TypeWheel
				}
				path := filepath.Join(dir, name)
				extra := map[string]any{"ID": b.ID, "Builder": b.Builder}
				if sum, ok := sums[name]; ok {
					extra["Checksum"] = "sha256:" + sum
				}
				rel, _ := filepath.Rel(filepath.Dir(d.Dir), path)
				l.Artifacts = append(l.Artifacts, Artifact{Name: name, Path: filepath.ToSlash(rel), Type: typ, Target: target, Extra: extra, Resolved: path})
				found++
			}
		}
		if found == 0 {
			errs = append(errs, fmt.Errorf("build %q (builder: %s) wrote no wheel or sdist under %s", b.ID, b.Builder, filepath.Join(d.Dir, b.ID+"_*")))
		}
	}
	l.Artifacts = append(l.Artifacts, d.binaries()...)
	return l, errors.Join(errs...)
}

// binaries lists the Go builds' binaries where GoReleaser writes them
// (dist/<build id>_<goos>_<goarch>[_<variant>]/<binary>[.exe], and
// dist/<build id>_darwin_all/ for a universal binary), as artifacts.json
// would list them: for binary_wheels.
func (d *Dist) binaries() []Artifact {
	var out []Artifact
	for _, b := range d.Config.Builds {
		if b.IsPython() || (b.Builder != "" && b.Builder != "go") {
			continue
		}
		targets := append(slices.Clone(b.Targets), "darwin_all")
		for _, target := range targets {
			parts := strings.Split(target, "_")
			if len(parts) < 2 {
				continue
			}
			a := Artifact{Goos: parts[0], Goarch: parts[1], Target: target, Type: TypeBinary}
			if target == "darwin_all" {
				a.Type = TypeUniversalBinary
			}
			if len(parts) > 2 {
				switch a.Goarch {
				case "amd64":
					a.Goamd64 = parts[2]
				case "arm":
					a.Goarm = parts[2]
				}
			}
			name := b.Binary
			if a.Goos == "windows" {
				name += ".exe"
			}
			path := filepath.Join(d.Dir, b.ID+"_"+target, name)
			if st, err := os.Stat(path); err != nil || st.IsDir() {
				continue
			}
			rel, _ := filepath.Rel(filepath.Dir(d.Dir), path)
			a.Name, a.Path, a.Resolved = name, filepath.ToSlash(rel), path
			a.Extra = map[string]any{"ID": b.ID, "Binary": b.Binary, "Builder": "go"}
			out = append(out, a)
		}
	}
	return out
}

// predictSdist replaces an sdist whose name is not the one GoReleaser
// predicted (a pre-PEP 625 name) by the predicted path, when the build's
// pyproject.toml says the name and version and the predicted file is
// missing: verification then names both files, the cause and the fix.
func (d *Dist) predictSdist(b Build, names []string, dir string) []string {
	name, version := pyprojectNameVersion(filepath.Join(filepath.Dir(d.Dir), b.Dir, "pyproject.toml"))
	if name == "" || version == "" {
		return names
	}
	predicted := strings.ReplaceAll(name, "-", "_") + "-" + version + ".tar.gz"
	if slices.Contains(names, predicted) {
		return names
	}
	out := []string{predicted}
	for _, n := range names {
		if !strings.HasSuffix(n, ".tar.gz") {
			out = append(out, n)
		}
	}
	return out
}

// pyprojectNameVersion reads [project] name and version from a
// pyproject.toml, the way GoReleaser's uv builder predicts the sdist name
// (literal strings only; "" when absent or dynamic).
func pyprojectNameVersion(path string) (name, version string) {
	f, err := os.Open(path)
	if err != nil {
		return "", ""
	}
	defer f.Close()
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			section = strings.Trim(line, "[] ")
			continue
		}
		if section != "project" {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		value = strings.TrimSpace(value)
		if len(value) < 2 || (value[0] != '"' && value[0] != '\'') || value[len(value)-1] != value[0] {
			continue
		}
		switch strings.TrimSpace(key) {
		case "name":
			name = value[1 : len(value)-1]
		case "version":
			version = value[1 : len(value)-1]
		}
	}
	return name, version
}

// checksums reads the run's checksums file, when it has one: file name →
// sha256. GoReleaser writes it in its checksum step, before publishing.
func (d *Dist) checksums() map[string]string {
	out := map[string]string{}
	if d.Config.Checksum.Disable == "true" {
		return out
	}
	for _, name := range d.checksumFileCandidates() {
		data, err := os.ReadFile(filepath.Join(d.Dir, name))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			fields := strings.Fields(line)
			if len(fields) == 2 && len(fields[0]) == 64 {
				out[fields[1]] = strings.ToLower(fields[0])
			}
		}
		break
	}
	return out
}

// checksumFileCandidates is the checksums file's name: its template
// rendered with what the common templates use, or GoReleaser's default.
func (d *Dist) checksumFileCandidates() []string {
	tmpl := d.Config.Checksum.NameTemplate
	if tmpl == "" {
		tmpl = "{{ .ProjectName }}_{{ .Version }}_checksums.txt"
	}
	r := strings.NewReplacer(
		"{{ .ProjectName }}", d.Metadata.ProjectName, "{{.ProjectName}}", d.Metadata.ProjectName,
		"{{ .Version }}", d.Metadata.Version, "{{.Version}}", d.Metadata.Version,
		"{{ .Tag }}", d.Metadata.Tag, "{{.Tag}}", d.Metadata.Tag,
	)
	out := []string{r.Replace(tmpl)}
	if matches, _ := filepath.Glob(filepath.Join(d.Dir, "*checksums*.txt")); len(matches) == 1 {
		out = append(out, filepath.Base(matches[0]))
	}
	return out
}

// isDistributionName keeps wheels and sdists (and legacy .zip sdists, so
// that verification can explain why they are refused).
func isDistributionName(name string) bool {
	n := strings.ToLower(name)
	return strings.HasSuffix(n, ".whl") || strings.HasSuffix(n, ".tar.gz") || strings.HasSuffix(n, ".zip")
}
