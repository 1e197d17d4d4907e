// Package report is the outcome of a run, in every form users see it: the
// JSON of --json and of the report file under dist/ (schema_version 1), the
// GitHub step summary (Markdown, one table per target) and the ::error::
// annotations. The pipeline (package publisher) fills it from the upload
// engine's per-file results; nothing here talks to an index.
//
// # JSON (schema_version 1)
//
// One target (`upload --json`) is one object. Fields are only ever added
// within a schema version.
//
//	{
//	  "schema_version": 1,
//	  "ok": true,                    // no failed file, no problem, no error
//	  "summary": {"uploaded": 2, "skipped": 1, "failed": 0, "would_upload": 0},
//	  "target": "pypi",              // the settings file's target name
//	  "repository_url": "https://upload.pypi.org/legacy/",
//	  "index_url": "https://pypi.org",
//	  "dry_run": false,
//	  "credentials": "trusted publishing (GitHub Actions)", // or "API token from PYPI_API_TOKEN"; never the token
//	  "files": [{
//	    "file": "dist/demo-1.0-py3-none-any.whl",   // the path as given
//	    "filename": "demo-1.0-py3-none-any.whl",
//	    "name": "demo", "version": "1.0",
//	    "type": "bdist_wheel",                      // or "sdist"
//	    "status": "uploaded",                       // uploaded | skipped | failed | would-upload
//	    "not_attempted": false,                     // true: failed because it was never sent (the run stopped first)
//	    "reason": "",                               // why skipped, or a note on an upload
//	    "size": 12345,
//	    "sha256": "…", "blake2_256": "…",
//	    "duration_seconds": 0.42,
//	    "attempts": 1,                              // upload requests sent
//	    "error": "",                                // set when failed: file, index URL and the index's message
//	    "url": "https://pypi.org/project/demo/1.0/"
//	  }],
//	  "releases": [{"name": "demo", "version": "1.0", "url": "https://pypi.org/project/demo/1.0/"}],
//	  "problems": [{"file": "…", "rule": "…", "message": "…"}], // verification; nothing uploaded
//	  "error": "",                   // a failure of the whole run (URL refused, no credentials)
//	  "duration_seconds": 1.7
//	}
//
// Files are listed in upload order (wheels first). "files" and "releases"
// are always arrays; "problems", "error", "reason", "credentials" and
// "target" are omitted when empty.
//
// Several targets (`publish --json`, `upload --config --json`, and the
// report file) wrap one such object per target:
//
//	{"targets": [{"target": "testpypi", "report": {…}}, …], "not_attempted": ["pypi"]}
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/url"
	"strings"
	"time"

	"github.com/goreleaser-pypi/goreleaser-pypi/internal/bytesize"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/attest"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/ghactions"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/upload"
)

// SchemaVersion is the version of the JSON report.
const SchemaVersion = 1

// File is the outcome for one file.
type File struct {
	File       string        `json:"file"`     // the path as given
	Filename   string        `json:"filename"` // the name on the index
	Name       string        `json:"name"`     // project name, as in the metadata
	Version    string        `json:"version"`
	Type       dist.Type     `json:"type"` // "bdist_wheel" or "sdist"
	Status     upload.Status `json:"status"`
	Reason     string        `json:"reason,omitempty"`
	Size       int64         `json:"size"`
	SHA256     string        `json:"sha256"`
	BLAKE2b256 string        `json:"blake2_256"`
	Duration   time.Duration `json:"-"`
	Attempts   int           `json:"attempts"`
	Err        error         `json:"-"`             // why it failed, with its type
	URL        string        `json:"url,omitempty"` // the release page on the index
	// Attestation is the PEP 740 outcome: {"status": "attested"|"skipped"|
	// "failed", "reason": ..., "rekor_log_index": N}.
	Attestation *attest.Result `json:"attestation,omitempty"`
}

// NewFile is the report line of an upload result; index is the index's base
// URL, for the release page.
func NewFile(r upload.Result, index *url.URL) File {
	d := r.Dist
	return File{
		File:       d.Path,
		Filename:   d.Filename,
		Name:       d.Metadata.Name(),
		Version:    d.Metadata.Version(),
		Type:       d.Type,
		Status:     r.Status,
		Reason:     r.Reason,
		Size:       d.Size,
		SHA256:     d.Digests.SHA256,
		BLAKE2b256: d.Digests.BLAKE2b256,
		Duration:   r.Duration,
		Attempts:   r.Attempts,
		Err:        r.Err,
		URL:        upload.ProjectURL(index, d.Metadata.Name(), d.Metadata.Version()),
	}
}

// Error is Err's text, or "".
func (f File) Error() string {
	if f.Err == nil {
		return ""
	}
	return f.Err.Error()
}

// failed reports whether the file is not on the index because of this run.
func (f File) failed() bool { return !f.Status.OK() }

// MarshalJSON renders the documented schema: a file that was never sent is
// "failed" with "not_attempted": true (schema 1 had no other status for it).
func (f File) MarshalJSON() ([]byte, error) {
	type plain File
	p := plain(f)
	notAttempted := f.Status == upload.StatusNotAttempted
	if notAttempted {
		p.Status = upload.StatusFailed
	}
	return json.Marshal(struct {
		plain
		NotAttempted    bool    `json:"not_attempted"`
		Error           string  `json:"error,omitempty"`
		DurationSeconds float64 `json:"duration_seconds"`
	}{p, notAttempted, f.Error(), seconds(f.Duration)})
}

// ReleasePage is one release (project and version) the run touched.
type ReleasePage struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	URL     string `json:"url"` // {index}/project/{name}/{version}/
}

// Summary counts the files by status; a file never sent counts as failed.
type Summary struct {
	Uploaded    int `json:"uploaded"`
	Skipped     int `json:"skipped"`
	Failed      int `json:"failed"`
	WouldUpload int `json:"would_upload"`
}

// Target is the outcome of publishing to one index.
type Target struct {
	Name          string         `json:"target,omitempty"`
	RepositoryURL string         `json:"repository_url"`
	IndexURL      string         `json:"index_url"`
	DryRun        bool           `json:"dry_run"`
	Credentials   string         `json:"credentials,omitempty"` // where the token came from; never the token
	Files         []File         `json:"files"`
	Releases      []ReleasePage  `json:"releases"`
	Problems      []dist.Problem `json:"problems,omitempty"` // verification problems: nothing was uploaded
	Err           error          `json:"-"`                  // why the run failed as a whole, if it did
	Duration      time.Duration  `json:"-"`
}

// SetFiles fills Files and Releases from the upload results, in order.
func (t *Target) SetFiles(results upload.Results, index *url.URL) {
	t.Files = t.Files[:0]
	seen := map[string]bool{}
	for _, r := range results {
		f := NewFile(r, index)
		t.Files = append(t.Files, f)
		key := dist.NormalizeName(f.Name) + "\x00" + f.Version
		if !seen[key] {
			seen[key] = true
			t.Releases = append(t.Releases, ReleasePage{Name: f.Name, Version: f.Version, URL: f.URL})
		}
	}
}

// Error is Err's text, or "".
func (t *Target) Error() string {
	if t.Err == nil {
		return ""
	}
	return t.Err.Error()
}

// Summary counts the files by status.
func (t *Target) Summary() Summary {
	var s Summary
	for _, f := range t.Files {
		switch f.Status {
		case upload.StatusUploaded:
			s.Uploaded++
		case upload.StatusSkipped:
			s.Skipped++
		case upload.StatusFailed, upload.StatusNotAttempted:
			s.Failed++
		case upload.StatusWouldUpload:
			s.WouldUpload++
		}
	}
	return s
}

// OK reports whether every file was uploaded, skipped or would be uploaded,
// with no problem and no run-wide error.
func (t *Target) OK() bool {
	return t.Err == nil && len(t.Problems) == 0 && t.Summary().Failed == 0
}

// MarshalJSON renders the documented schema.
func (t *Target) MarshalJSON() ([]byte, error) {
	type plain Target
	p := plain(*t)
	if p.Files == nil {
		p.Files = []File{}
	}
	if p.Releases == nil {
		p.Releases = []ReleasePage{}
	}
	return json.Marshal(struct {
		SchemaVersion int     `json:"schema_version"`
		OK            bool    `json:"ok"`
		Summary       Summary `json:"summary"`
		plain
		Error           string  `json:"error,omitempty"`
		DurationSeconds float64 `json:"duration_seconds"`
	}{SchemaVersion, t.OK(), t.Summary(), p, t.Error(), seconds(t.Duration)})
}

// WriteJSON writes the report as indented JSON and a newline.
func (t *Target) WriteJSON(w io.Writer) error { return writeJSON(w, t) }

// Annotations are the GitHub Actions ::error:: lines for the failures of t:
// one per verification problem and per failed file, so that they show on the
// run's summary page.
func (t *Target) Annotations() []ghactions.Annotation {
	var as []ghactions.Annotation
	for _, p := range t.Problems {
		as = append(as, ghactions.Annotation{Level: "error", File: p.File, Title: "PyPI: " + p.Rule, Message: p.Message})
	}
	for _, f := range t.Files {
		if f.failed() {
			as = append(as, ghactions.Annotation{Level: "error", File: f.File, Title: "PyPI upload failed", Message: f.Error()})
		}
	}
	if t.Err != nil && len(as) == 0 {
		as = append(as, ghactions.Annotation{Level: "error", Title: "PyPI upload failed", Message: t.Error()})
	}
	return as
}

// ReleaseFailure is the report of a release stopped before any target was
// attempted (verification problems, a selection mistake such as an ids
// typo): it names no target, and nothing was published anywhere.
func ReleaseFailure(err error, problems []dist.Problem, dryRun bool) *Target {
	return &Target{Err: err, Problems: problems, DryRun: dryRun}
}

// Markdown renders the report as a GitHub step summary: a heading naming
// the target and the index, one table row per file (uploaded to where,
// skipped and why, failed and why) and links to the releases. A report
// with no target (ReleaseFailure) is headed "nothing was published"
// instead: a "Published to" heading would claim the opposite.
func (t *Target) Markdown() string {
	var b strings.Builder
	s := t.Summary()
	verb := "Published to"
	if t.DryRun {
		verb = "Dry run against"
	}
	name := ""
	if t.Name != "" {
		name = mdEscape(t.Name) + ": "
	}
	if t.Name == "" && t.RepositoryURL == "" {
		b.WriteString("### 🐍 PyPI: nothing was published\n\n")
	} else {
		fmt.Fprintf(&b, "### 🐍 %s%s %s\n\n", name, verb, mdEscape(t.RepositoryURL))
	}
	if t.Err != nil {
		fmt.Fprintf(&b, "❌ %s\n\n", mdCell(t.Error()))
	}
	if len(t.Problems) > 0 {
		b.WriteString("Verification failed, nothing was uploaded:\n\n| File | Problem |\n|---|---|\n")
		for _, p := range t.Problems {
			fmt.Fprintf(&b, "| `%s` | %s |\n", mdCode(p.File), mdCell(p.Message))
		}
		b.WriteString("\n")
	}
	if len(t.Files) > 0 {
		b.WriteString("| File | Status | Size | SHA256 |\n|---|---|---:|---|\n")
		for _, f := range t.Files {
			status := statusIcon(f.Status) + " " + string(f.Status)
			switch {
			case f.Err != nil:
				status += ": " + f.Error()
			case f.Reason != "":
				status += ": " + f.Reason
			case f.Status == upload.StatusUploaded && f.URL != "":
				status += " to " + f.URL
			}
			if a := f.Attestation; a != nil && a.Status == attest.StatusAttested {
				status += " · attested"
				if a.RekorLogIndex != nil {
					status += fmt.Sprintf(" (Rekor log index %d)", *a.RekorLogIndex)
				}
			} else if a != nil && a.Status == attest.StatusFailed {
				status += " · not attested: " + a.Reason
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | `%s` |\n", mdCode(f.Filename), mdCell(status), bytesize.Format(f.Size), f.SHA256)
		}
		fmt.Fprintf(&b, "\n%d uploaded, %d skipped, %d failed", s.Uploaded, s.Skipped, s.Failed)
		if t.DryRun {
			fmt.Fprintf(&b, ", %d would be uploaded", s.WouldUpload)
		}
		fmt.Fprintf(&b, " in %s.\n", t.Duration.Round(10*time.Millisecond))
	}
	if len(t.Releases) > 0 && !t.DryRun {
		b.WriteString("\n")
		for _, rel := range t.Releases {
			fmt.Fprintf(&b, "- [%s %s](%s)\n", mdEscape(rel.Name), mdEscape(rel.Version), rel.URL)
		}
	}
	return b.String()
}

// TargetEntry is one target's report in a Release.
type TargetEntry struct {
	Target string  `json:"target"`
	Report *Target `json:"report"`
}

// Release is the outcome of publishing one release to every target, in
// order. Targets after a failed one are listed in NotAttempted.
type Release struct {
	Targets      []TargetEntry `json:"targets"`
	NotAttempted []string      `json:"not_attempted,omitempty"`
	// Problems are the verification problems that stopped the release
	// before any target was attempted.
	Problems []dist.Problem `json:"problems,omitempty"`
	// Error is why the release, or part of it, was not published.
	Error string `json:"error,omitempty"`
}

// Add appends a target's report.
func (r *Release) Add(t *Target) {
	r.Targets = append(r.Targets, TargetEntry{Target: t.Name, Report: t})
}

// OK reports whether every target was attempted and succeeded.
func (r *Release) OK() bool {
	if r == nil || len(r.NotAttempted) > 0 {
		return false
	}
	for _, t := range r.Targets {
		if t.Report == nil || !t.Report.OK() {
			return false
		}
	}
	return true
}

// MarshalJSON keeps "targets" an array when empty.
func (r *Release) MarshalJSON() ([]byte, error) {
	type plain Release
	p := plain(*r)
	if p.Targets == nil {
		p.Targets = []TargetEntry{}
	}
	return json.Marshal(p)
}

// WriteJSON writes the report as indented JSON and a newline.
func (r *Release) WriteJSON(w io.Writer) error { return writeJSON(w, r) }

// Markdown is every target's step summary, in order, and a line for each
// target that was not attempted.
func (r *Release) Markdown() string {
	var b strings.Builder
	for _, t := range r.Targets {
		b.WriteString(t.Report.Markdown())
		b.WriteString("\n")
	}
	for _, name := range r.NotAttempted {
		fmt.Fprintf(&b, "### 🐍 %s: not attempted\n\nAn earlier target failed, so nothing was published here.\n\n", mdEscape(name))
	}
	return b.String()
}

func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

func seconds(d time.Duration) float64 { return math.Round(d.Seconds()*1000) / 1000 }

func statusIcon(s upload.Status) string {
	switch s {
	case upload.StatusUploaded:
		return "✅"
	case upload.StatusSkipped:
		return "⏭️"
	case upload.StatusWouldUpload:
		return "📦"
	}
	return "❌"
}

// mdCell makes text safe inside a table cell.
func mdCell(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.ReplaceAll(mdEscape(s), "|", `\|`)
}

func mdEscape(s string) string {
	return strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(s)
}

func mdCode(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "`", "'"), "|", `\|`) }
