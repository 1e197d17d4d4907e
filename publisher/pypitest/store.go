package pypitest

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"
)

// What the index holds: projects, their releases and files. Guarded by
// core.mu; files live on disk under core.dir/packages/ at Warehouse's
// content-addressed paths (blake2b[:2]/blake2b[2:4]/blake2b[4:]/filename).

type project struct {
	name       string // display name: the Name of the latest upload
	normalized string
	owners     map[string]bool
	releases   map[string]*release // by canonical version
	totalSize  int64
	serial     int
}

func newProject(name, owner string) *project {
	return &project{
		name:       name,
		normalized: normalizeName(name),
		owners:     map[string]bool{owner: true},
		releases:   map[string]*release{},
	}
}

type release struct {
	version  *version
	meta     *coreMetadata // of the upload that created the release
	files    []*storedFile
	created  time.Time
	hasSdist bool
}

// versionString is the release version as PyPI shows it (str(Version)).
func (r *release) versionString() string { return r.version.String() }

// storedFile is a distribution the index holds.
type storedFile struct {
	File
	relPath        string // under packages/
	metadata       []byte // wheel METADATA (PEP 658), nil for sdists
	metadataSHA256 string
}

// Digests are a stored file's hex digests.
type Digests struct {
	SHA256     string
	BLAKE2b256 string
	MD5        string
}

// File is a distribution file the index holds, as inspection sees it.
type File struct {
	Project     string // normalized project name
	Version     string // release version, normalized
	Filename    string
	PackageType string // "bdist_wheel" or "sdist"
	PyVersion   string // the form's pyversion ("source" for sdists)
	Size        int64
	Digests     Digests
	// Fields are the upload's form fields in the order sent (the file
	// part and :action aside).
	Fields []Field
	// URL is where the file is downloaded from; Path is where it is on disk.
	URL  string
	Path string
	// RequiresPython is the release's Requires-Python.
	RequiresPython string
	UploadedAt     time.Time
	// RecordMismatch is set when the wheel's RECORD does not list exactly
	// its files (PyPI accepts the file and e-mails the owners).
	RecordMismatch bool
	// Attestations is the raw "attestations" form field, if any.
	Attestations string
	// Provenance is the PEP 740 provenance object the Integrity API
	// serves: the verified attestations and the publisher's identity (nil
	// without attestations).
	Provenance json.RawMessage
}

// Files returns every file the index holds, in upload order.
func (s *Server) Files() []File {
	s.core.mu.Lock()
	defer s.core.mu.Unlock()
	files := make([]File, 0, len(s.core.byFilename))
	for _, f := range s.core.byFilename {
		files = append(files, f.File)
	}
	sort.SliceStable(files, func(i, j int) bool { return files[i].UploadedAt.Before(files[j].UploadedAt) })
	return files
}

// File returns the stored file with that filename.
func (s *Server) File(filename string) (File, bool) {
	s.core.mu.Lock()
	defer s.core.mu.Unlock()
	f, ok := s.core.byFilename[filename]
	if !ok {
		return File{}, false
	}
	return f.File, true
}

// DeleteFile removes a file, as an owner deleting it on PyPI: its
// filename can never be uploaded again.
func (s *Server) DeleteFile(filename string) error {
	s.core.mu.Lock()
	defer s.core.mu.Unlock()
	f, ok := s.core.byFilename[filename]
	if !ok {
		return fmt.Errorf("pypitest: no file named %s", filename)
	}
	p := s.core.projects[f.Project]
	for _, r := range p.releases {
		for i, rf := range r.files {
			if rf == f {
				r.files = append(r.files[:i], r.files[i+1:]...)
				if f.PackageType == "sdist" {
					r.hasSdist = false
				}
				break
			}
		}
	}
	p.totalSize -= f.Size
	delete(s.core.byFilename, filename)
	delete(s.core.byBlake2, f.Digests.BLAKE2b256)
	delete(s.core.byPath, f.relPath)
	s.core.deleted[filename] = true
	s.core.serial++
	p.serial = s.core.serial
	return os.Remove(f.Path)
}

// Projects returns the normalized names of the projects the index holds.
func (s *Server) Projects() []string {
	s.core.mu.Lock()
	defer s.core.mu.Unlock()
	names := make([]string, 0, len(s.core.projects))
	for n := range s.core.projects {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// sortedReleases returns a project's releases in PEP 440 order.
func (p *project) sortedReleases() []*release {
	rs := make([]*release, 0, len(p.releases))
	for _, r := range p.releases {
		rs = append(rs, r)
	}
	sort.Slice(rs, func(i, j int) bool { return compareVersions(rs[i].version, rs[j].version) < 0 })
	return rs
}

// latestRelease is what PyPI's JSON API shows by default: the highest
// final release, else the highest pre-release; only releases with files.
func (p *project) latestRelease() *release {
	var latest, latestPre *release
	for _, r := range p.sortedReleases() {
		if len(r.files) == 0 {
			continue
		}
		if r.version.isPrerelease() {
			latestPre = r
		} else {
			latest = r
		}
	}
	if latest == nil {
		return latestPre
	}
	return latest
}

// findRelease looks a release up by version: the exact string first, then
// by canonical version ("1.0" finds "1.0.0").
func (p *project) findRelease(v string) *release {
	for _, r := range p.releases {
		if r.versionString() == v {
			return r
		}
	}
	if pv, ok := parseVersion(v); ok {
		return p.releases[pv.canonical()]
	}
	return nil
}

// storagePath is Warehouse's content-addressed path of a file.
func storagePath(blake2, filename string) string {
	return strings.Join([]string{blake2[:2], blake2[2:4], blake2[4:], filename}, "/")
}
