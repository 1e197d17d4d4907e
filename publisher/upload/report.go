package upload

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/ghactions"
)

// Status is what happened to one file.
type Status string

// The statuses of a file.
const (
	// StatusUploaded: the index stored the file (or, after a retry, showed
	// that an earlier attempt had stored it).
	StatusUploaded Status = "uploaded"
	// StatusSkipped: the index already had this exact file (same name, same
	// sha256), or said it exists and could not be read (skip-existing only).
	StatusSkipped Status = "skipped"
	// StatusFailed: the file is not on the index (or the index has a
	// different file under its name); Result.Error says why.
	StatusFailed Status = "failed"
	// StatusWouldUpload: a dry run would upload the file.
	StatusWouldUpload Status = "would-upload"
)

// OK reports whether the status counts as success.
func (s Status) OK() bool { return s != StatusFailed }

// SchemaVersion is the version of the JSON report. Fields are only ever
// added within a version.
const SchemaVersion = 1

// Result is the outcome for one file.
type Result struct {
	File       string        `json:"file"`     // the path as given
	Filename   string        `json:"filename"` // the name on the index
	Name       string        `json:"name"`     // project name, as in the metadata
	Version    string        `json:"version"`
	Type       dist.Type     `json:"type"` // "bdist_wheel" or "sdist"
	Status     Status        `json:"status"`
	Reason     string        `json:"reason,omitempty"` // why skipped, or a note on an upload
	Size       int64         `json:"size"`
	SHA256     string        `json:"sha256"`
	BLAKE2b256 string        `json:"blake2_256"`
	Duration   time.Duration `json:"-"`
	Attempts   int           `json:"attempts"` // upload requests sent
	Error      string        `json:"error,omitempty"`
	URL        string        `json:"url,omitempty"` // the release page on the index
}

// MarshalJSON adds duration_seconds.
func (r Result) MarshalJSON() ([]byte, error) {
	type plain Result
	return json.Marshal(struct {
		plain
		DurationSeconds float64 `json:"duration_seconds"`
	}{plain(r), seconds(r.Duration)})
}

// Release is one release (project and version) the run touched.
type Release struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	URL     string `json:"url"` // {index}/project/{name}/{version}/
}

// Summary counts the files by status.
type Summary struct {
	Uploaded    int `json:"uploaded"`
	Skipped     int `json:"skipped"`
	Failed      int `json:"failed"`
	WouldUpload int `json:"would_upload"`
}

// Report is the outcome of a run. Its JSON form (WriteJSON) is the stable,
// documented output of --json; see the package documentation.
type Report struct {
	RepositoryURL string         `json:"repository_url"`
	IndexURL      string         `json:"index_url"`
	DryRun        bool           `json:"dry_run"`
	Credentials   string         `json:"credentials,omitempty"` // where the token came from; never the token
	Files         []Result       `json:"files"`
	Releases      []Release      `json:"releases"`
	Problems      []dist.Problem `json:"problems,omitempty"` // verification problems: nothing was uploaded
	Error         string         `json:"error,omitempty"`    // why the run failed as a whole, if it did
	Duration      time.Duration  `json:"-"`
}

// Summary counts the files by status.
func (r *Report) Summary() Summary {
	var s Summary
	for _, f := range r.Files {
		switch f.Status {
		case StatusUploaded:
			s.Uploaded++
		case StatusSkipped:
			s.Skipped++
		case StatusFailed:
			s.Failed++
		case StatusWouldUpload:
			s.WouldUpload++
		}
	}
	return s
}

// OK reports whether every file was uploaded, skipped or would be uploaded,
// with no problem and no run-wide error.
func (r *Report) OK() bool {
	return r.Error == "" && len(r.Problems) == 0 && r.Summary().Failed == 0
}

// MarshalJSON renders the documented schema.
func (r *Report) MarshalJSON() ([]byte, error) {
	type plain Report
	p := plain(*r)
	if p.Files == nil {
		p.Files = []Result{}
	}
	if p.Releases == nil {
		p.Releases = []Release{}
	}
	return json.Marshal(struct {
		SchemaVersion int     `json:"schema_version"`
		OK            bool    `json:"ok"`
		Summary       Summary `json:"summary"`
		plain
		DurationSeconds float64 `json:"duration_seconds"`
	}{SchemaVersion, r.OK(), r.Summary(), p, seconds(r.Duration)})
}

// WriteJSON writes the report as indented JSON and a newline.
func (r *Report) WriteJSON(w io.Writer) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

func seconds(d time.Duration) float64 { return math.Round(d.Seconds()*1000) / 1000 }

// WriteHashes prints the digests of each distribution the way
// pypa/gh-action-pypi-publish's print-hash does, so that they can be compared
// with what the index shows.
func WriteHashes(w io.Writer, dists []*dist.Distribution) {
	fmt.Fprintln(w, "Showing hash values of files to be uploaded:")
	for _, d := range dists {
		fmt.Fprintln(w, d.Path)
		fmt.Fprintln(w, "SHA256:", d.Digests.SHA256)
		if d.Digests.MD5 != "" {
			fmt.Fprintln(w, "MD5:", d.Digests.MD5)
		}
		fmt.Fprintln(w, "BLAKE2-256:", d.Digests.BLAKE2b256)
		fmt.Fprintln(w)
	}
}

// Annotations are the GitHub Actions ::error:: lines for the failures of r:
// one per verification problem and per failed file, so that they show on the
// run's summary page.
func (r *Report) Annotations() []ghactions.Annotation {
	var as []ghactions.Annotation
	for _, p := range r.Problems {
		as = append(as, ghactions.Annotation{Level: "error", File: p.File, Title: "PyPI: " + p.Rule, Message: p.Message})
	}
	for _, f := range r.Files {
		if f.Status == StatusFailed {
			as = append(as, ghactions.Annotation{Level: "error", File: f.File, Title: "PyPI upload failed", Message: f.Error})
		}
	}
	if r.Error != "" && len(as) == 0 {
		as = append(as, ghactions.Annotation{Level: "error", Title: "PyPI upload failed", Message: r.Error})
	}
	return as
}

// Markdown renders the report as a GitHub step summary: a heading, one table
// row per file and links to the releases.
func (r *Report) Markdown() string {
	var b strings.Builder
	s := r.Summary()
	verb := "Published to"
	if r.DryRun {
		verb = "Dry run against"
	}
	fmt.Fprintf(&b, "### 🐍 %s %s\n\n", verb, mdEscape(r.RepositoryURL))
	if r.Error != "" {
		fmt.Fprintf(&b, "❌ %s\n\n", mdCell(r.Error))
	}
	if len(r.Problems) > 0 {
		b.WriteString("Verification failed, nothing was uploaded:\n\n| File | Problem |\n|---|---|\n")
		for _, p := range r.Problems {
			fmt.Fprintf(&b, "| `%s` | %s |\n", mdCode(p.File), mdCell(p.Message))
		}
		b.WriteString("\n")
	}
	if len(r.Files) > 0 {
		b.WriteString("| File | Status | Size | SHA256 |\n|---|---|---:|---|\n")
		for _, f := range r.Files {
			status := statusIcon(f.Status) + " " + string(f.Status)
			switch {
			case f.Error != "":
				status += ": " + f.Error
			case f.Reason != "":
				status += ": " + f.Reason
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | `%s` |\n", mdCode(f.Filename), mdCell(status), HumanSize(f.Size), f.SHA256)
		}
		fmt.Fprintf(&b, "\n%d uploaded, %d skipped, %d failed", s.Uploaded, s.Skipped, s.Failed)
		if r.DryRun {
			fmt.Fprintf(&b, ", %d would be uploaded", s.WouldUpload)
		}
		fmt.Fprintf(&b, " in %s.\n", r.Duration.Round(10*time.Millisecond))
	}
	if len(r.Releases) > 0 && !r.DryRun {
		b.WriteString("\n")
		for _, rel := range r.Releases {
			fmt.Fprintf(&b, "- [%s %s](%s)\n", mdEscape(rel.Name), mdEscape(rel.Version), rel.URL)
		}
	}
	return b.String()
}

func statusIcon(s Status) string {
	switch s {
	case StatusUploaded:
		return "✅"
	case StatusSkipped:
		return "⏭️"
	case StatusWouldUpload:
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

// HumanSize renders a byte count the way people read it: "512 B", "1.5 MiB".
func HumanSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}
