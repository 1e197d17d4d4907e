package pypitest

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"
)

// The read side: the simple repository API (PEP 503 HTML, PEP 691 JSON,
// PEP 658/714 metadata files), file downloads and PyPI's JSON API.

const (
	simpleJSON       = "application/vnd.pypi.simple.v1+json"
	simpleJSONLatest = "application/vnd.pypi.simple.latest+json"
	simpleHTML       = "application/vnd.pypi.simple.v1+html"
	simpleHTMLLatest = "application/vnd.pypi.simple.latest+html"
)

// simpleFormat negotiates PEP 691's formats: JSON or HTML (text/html when
// the client asked for nothing in particular).
func simpleFormat(r *http.Request) (contentType string, isJSON bool) {
	switch negotiate(r.Header.Get("Accept"), "text/html", simpleJSON, simpleJSONLatest, simpleHTML, simpleHTMLLatest) {
	case simpleJSON, simpleJSONLatest:
		return simpleJSON, true
	case simpleHTML, simpleHTMLLatest:
		return simpleHTML, false
	}
	return "text/html", false
}

func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func (s *Server) handleSimpleIndex(w http.ResponseWriter, r *http.Request) {
	ct, isJSON := simpleFormat(r)
	w.Header().Set("Vary", "Accept")
	s.core.mu.Lock()
	type entry struct{ name, normalized string }
	var projects []entry
	for n, p := range s.core.projects {
		projects = append(projects, entry{p.name, n})
	}
	serial := s.core.serial
	s.core.mu.Unlock()
	sort.Slice(projects, func(i, j int) bool { return projects[i].normalized < projects[j].normalized })
	if isJSON {
		list := make([]map[string]any, len(projects))
		for i, p := range projects {
			list[i] = map[string]any{"name": p.name, "_last-serial": serial}
		}
		writeJSON(w, http.StatusOK, ct, map[string]any{"meta": map[string]any{"api-version": "1.1", "_last-serial": serial}, "projects": list})
		return
	}
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"1.1\">\n    <title>Simple index</title>\n  </head>\n  <body>\n")
	for _, p := range projects {
		fmt.Fprintf(&b, "    <a href=\"/simple/%s/\">%s</a>\n", p.normalized, html.EscapeString(p.name))
	}
	fmt.Fprintf(&b, "  </body>\n</html>\n<!--SERIAL %d-->\n", serial)
	w.Header().Set("Content-Type", ct)
	_, _ = w.Write([]byte(b.String()))
}

// handleSimpleNoSlash redirects /simple/name to /simple/name/.
func (s *Server) handleSimpleNoSlash(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/simple/"+normalizeName(r.PathValue("project"))+"/", http.StatusMovedPermanently)
}

// simpleFile is one file as the simple API lists it.
type simpleFile struct {
	filename, url, sha256, requiresPython, metadataSHA256 string
	size                                                  int64
	uploaded                                              time.Time
}

func (s *Server) handleSimpleProject(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("project")
	normalized := normalizeName(name)
	if name != normalized {
		http.Redirect(w, r, "/simple/"+normalized+"/", http.StatusMovedPermanently)
		return
	}
	ct, isJSON := simpleFormat(r)
	w.Header().Set("Vary", "Accept")
	s.core.mu.Lock()
	p := s.core.projects[normalized]
	if p == nil {
		s.core.mu.Unlock()
		http.Error(w, "404 Not Found", http.StatusNotFound)
		return
	}
	var files []simpleFile
	var versions []string
	for _, rel := range p.sortedReleases() {
		if len(rel.files) > 0 {
			versions = append(versions, rel.versionString())
		}
		sorted := append([]*storedFile(nil), rel.files...)
		sort.Slice(sorted, func(i, j int) bool { return sorted[i].Filename < sorted[j].Filename })
		for _, f := range sorted {
			files = append(files, simpleFile{
				filename: f.Filename, url: f.URL, sha256: f.Digests.SHA256, requiresPython: f.RequiresPython,
				metadataSHA256: f.metadataSHA256, size: f.Size, uploaded: f.UploadedAt,
			})
		}
	}
	displayName, serial := p.name, p.serial
	s.core.mu.Unlock()

	w.Header().Set("X-PyPI-Last-Serial", fmt.Sprint(serial))
	if isJSON {
		list := make([]map[string]any, len(files))
		for i, f := range files {
			entry := map[string]any{
				"filename":        f.filename,
				"url":             f.url,
				"hashes":          map[string]string{"sha256": f.sha256},
				"requires-python": nil,
				"size":            f.size,
				"upload-time":     f.uploaded.UTC().Format("2006-01-02T15:04:05.000000Z"),
				"yanked":          false,
			}
			if f.requiresPython != "" {
				entry["requires-python"] = f.requiresPython
			}
			if f.metadataSHA256 != "" {
				entry["core-metadata"] = map[string]string{"sha256": f.metadataSHA256}
				entry["data-dist-info-metadata"] = map[string]string{"sha256": f.metadataSHA256}
			} else {
				entry["core-metadata"] = false
				entry["data-dist-info-metadata"] = false
			}
			list[i] = entry
		}
		if versions == nil {
			versions = []string{}
		}
		writeJSON(w, http.StatusOK, ct, map[string]any{
			"meta":     map[string]any{"api-version": "1.1", "_last-serial": serial},
			"name":     normalized,
			"versions": versions,
			"files":    list,
		})
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"1.1\">\n    <title>Links for %s</title>\n  </head>\n  <body>\n    <h1>Links for %s</h1>\n",
		html.EscapeString(displayName), html.EscapeString(displayName))
	for _, f := range files {
		b.WriteString(`    <a href="` + html.EscapeString(f.url) + `#sha256=` + f.sha256 + `"`)
		if f.requiresPython != "" {
			b.WriteString(` data-requires-python="` + html.EscapeString(f.requiresPython) + `"`)
		}
		if f.metadataSHA256 != "" {
			b.WriteString(` data-dist-info-metadata="sha256=` + f.metadataSHA256 + `" data-core-metadata="sha256=` + f.metadataSHA256 + `"`)
		}
		b.WriteString(">" + html.EscapeString(f.filename) + "</a><br />\n")
	}
	fmt.Fprintf(&b, "  </body>\n</html>\n<!--SERIAL %d-->\n", serial)
	w.Header().Set("Content-Type", ct)
	_, _ = w.Write([]byte(b.String()))
}

// handleFile serves a stored file, or its METADATA (PEP 658) at
// "<file URL>.metadata".
func (s *Server) handleFile(w http.ResponseWriter, r *http.Request) {
	rel := r.PathValue("path")
	s.core.mu.Lock()
	f := s.core.byPath[rel]
	var metadata []byte
	if f == nil {
		if mf := s.core.byPath[strings.TrimSuffix(rel, ".metadata")]; mf != nil && strings.HasSuffix(rel, ".metadata") && mf.metadata != nil {
			metadata = mf.metadata
		}
	}
	s.core.mu.Unlock()
	switch {
	case metadata != nil:
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(metadata)
	case f != nil:
		fh, err := os.Open(f.Path)
		if err != nil {
			http.Error(w, "404 Not Found", http.StatusNotFound)
			return
		}
		defer fh.Close()
		w.Header().Set("Content-Type", "application/octet-stream")
		http.ServeContent(w, r, f.Filename, f.UploadedAt, fh)
	default:
		http.Error(w, "404 Not Found", http.StatusNotFound)
	}
}

func jsonNotFound(w http.ResponseWriter) {
	writeJSON(w, http.StatusNotFound, "application/json", map[string]string{"message": "Not Found"})
}

// handleJSONProject is GET /pypi/<project>/json: the latest release.
func (s *Server) handleJSONProject(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("project")
	s.core.mu.Lock()
	defer s.core.mu.Unlock()
	p := s.core.projects[normalizeName(name)]
	if p == nil {
		jsonNotFound(w)
		return
	}
	if p.name != name {
		http.Redirect(w, r, "/pypi/"+p.name+"/json", http.StatusMovedPermanently)
		return
	}
	latest := p.latestRelease()
	if latest == nil {
		jsonNotFound(w)
		return
	}
	releases := map[string]any{}
	for _, rel := range p.sortedReleases() {
		releases[rel.versionString()] = s.jsonFiles(rel)
	}
	writeJSON(w, http.StatusOK, "application/json", map[string]any{
		"info":            s.jsonInfo(p, latest),
		"last_serial":     p.serial,
		"releases":        releases,
		"urls":            s.jsonFiles(latest),
		"vulnerabilities": []any{},
	})
}

// handleJSONRelease is GET /pypi/<project>/<version>/json.
func (s *Server) handleJSONRelease(w http.ResponseWriter, r *http.Request) {
	name, version := r.PathValue("project"), r.PathValue("version")
	s.core.mu.Lock()
	defer s.core.mu.Unlock()
	p := s.core.projects[normalizeName(name)]
	if p == nil {
		jsonNotFound(w)
		return
	}
	if p.name != name {
		http.Redirect(w, r, "/pypi/"+p.name+"/"+version+"/json", http.StatusMovedPermanently)
		return
	}
	rel := p.findRelease(version)
	if rel == nil {
		jsonNotFound(w)
		return
	}
	writeJSON(w, http.StatusOK, "application/json", map[string]any{
		"info":            s.jsonInfo(p, rel),
		"last_serial":     p.serial,
		"urls":            s.jsonFiles(rel),
		"vulnerabilities": []any{},
	})
}

// jsonInfo is the "info" object of PyPI's JSON API for a release.
func (s *Server) jsonInfo(p *project, rel *release) map[string]any {
	m := rel.meta
	str := func(raw string) any {
		if v, ok := m.strings[raw]; ok {
			return v
		}
		return nil
	}
	list := func(raw string) any {
		if v, ok := m.lists[raw]; ok {
			return v
		}
		return nil
	}
	urls := map[string]string{}
	for _, u := range m.urls {
		urls[u[0]] = u[1]
	}
	var projectURLs any
	if len(urls) > 0 {
		projectURLs = urls
	}
	classifiers := m.lists["classifiers"]
	if classifiers == nil {
		classifiers = []string{}
	}
	var keywords any
	if len(m.keywords) > 0 {
		keywords = strings.Join(m.keywords, ",")
	}
	version := rel.versionString()
	return map[string]any{
		"author":                   str("author"),
		"author_email":             str("author_email"),
		"bugtrack_url":             nil,
		"classifiers":              classifiers,
		"description":              str("description"),
		"description_content_type": str("description_content_type"),
		"docs_url":                 nil,
		"download_url":             str("download_url"),
		"downloads":                map[string]int{"last_day": -1, "last_month": -1, "last_week": -1},
		"dynamic":                  list("dynamic"),
		"home_page":                str("home_page"),
		"keywords":                 keywords,
		"license":                  str("license"),
		"license_expression":       str("license_expression"),
		"license_files":            list("license_files"),
		"maintainer":               str("maintainer"),
		"maintainer_email":         str("maintainer_email"),
		"name":                     p.name,
		"package_url":              s.URL + "/project/" + p.normalized + "/",
		"platform":                 nil,
		"project_url":              s.URL + "/project/" + p.normalized + "/",
		"project_urls":             projectURLs,
		"provides_extra":           list("provides_extra"),
		"release_url":              s.URL + "/project/" + p.normalized + "/" + version + "/",
		"requires_dist":            list("requires_dist"),
		"requires_python":          str("requires_python"),
		"summary":                  str("summary"),
		"version":                  version,
		"yanked":                   false,
		"yanked_reason":            nil,
	}
}

// jsonFiles is the "urls" list of PyPI's JSON API.
func (s *Server) jsonFiles(rel *release) []map[string]any {
	files := make([]map[string]any, 0, len(rel.files))
	for _, f := range rel.files {
		var requiresPython any
		if f.RequiresPython != "" {
			requiresPython = f.RequiresPython
		}
		files = append(files, map[string]any{
			"comment_text": "",
			"digests": map[string]string{
				"blake2b_256": f.Digests.BLAKE2b256,
				"md5":         f.Digests.MD5,
				"sha256":      f.Digests.SHA256,
			},
			"downloads":            -1,
			"filename":             f.Filename,
			"has_sig":              false,
			"md5_digest":           f.Digests.MD5,
			"packagetype":          f.PackageType,
			"python_version":       f.PyVersion,
			"requires_python":      requiresPython,
			"size":                 f.Size,
			"upload_time":          f.UploadedAt.UTC().Format("2006-01-02T15:04:05"),
			"upload_time_iso_8601": f.UploadedAt.UTC().Format("2006-01-02T15:04:05.000000Z"),
			"url":                  f.URL,
			"yanked":               false,
			"yanked_reason":        nil,
		})
	}
	return files
}
