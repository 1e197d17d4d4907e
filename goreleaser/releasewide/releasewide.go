// Package releasewide makes GoReleaser's custom publisher publish a whole
// Python release at once.
//
// GoReleaser runs a custom publisher's cmd once per artifact, in parallel,
// each process knowing only its own file. Left to themselves, the processes
// of one run would each verify, mint and upload one file: a broken sdist
// would not stop the wheel, GitLab's single identity token would serve one
// file only, and "wheels first, a new release's first file stored before
// the others complete, TestPyPI before PyPI"
// would not hold across processes.
//
// So the processes of a run coordinate through GoReleaser's dist directory
// (dist/goreleaser-pypi/): an exclusive file lock and a ledger keyed by the
// run (a hash of dist/metadata.json, which GoReleaser writes anew, with the
// time in nanoseconds, at the start of every run). The first process to
// take the lock is the leader: it finds every Python file of the run where
// GoReleaser's builders wrote them (goreleaser.Dist.Discover), checks the
// selection (the publisher's ids:, the settings' ids, skip_ids) and the
// version against the tag, and publishes them all with publisher.Publish:
// verify everything, one mint per target, wheels first, targets in order.
// It writes the ledger and a report (dist/goreleaser-pypi/report.json),
// then releases the lock. The others wait for the lock, read the ledger
// and exit with the truth about their own file.
//
// The lock is the kernel's (flock, LockFileEx): a leader killed mid-way
// releases it by dying, and the next process finds a ledger that is not
// done and publishes the release again; files already on the index are
// recognised by hash, so the run converges. A re-run of the tag writes a
// new metadata.json, hence a new run key: an old ledger never answers for
// a new run.
package releasewide

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/goreleaser-pypi/goreleaser-pypi/config"
	"github.com/goreleaser-pypi/goreleaser-pypi/goreleaser"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/report"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/upload"
)

// Where the processes of a run coordinate, inside the dist directory.
const (
	StateDirName   = "goreleaser-pypi"
	ReportFileName = "report.json"
	ledgerFileName = "ledger.json"
	lockFileName   = "lock"
)

// Options for Run.
type Options struct {
	Dist   *goreleaser.Dist
	Config *config.File
	// File is the artifact this process was handed ({{ abs .ArtifactPath }}).
	File string
	// Publish runs the pipeline (Tag and TagVersion are filled from the
	// run's metadata).
	Publish publisher.Options
	// Poll is how often a waiting process tries the lock (0: 100 ms).
	Poll time.Duration
}

// Outcome is what this process says about its own file.
type Outcome struct {
	// OK: the file is on every target (uploaded, or already there).
	OK bool
	// Message is one line about the file, leading with the fix when it
	// was not published.
	Message string
	// Details are more lines worth showing on failure (the problems found).
	Details []string
	// Leader: this process published the release.
	Leader bool
	// ReportPath is the run's report (JSON, report.Release's schema).
	ReportPath string
}

// ledger is the run's shared record.
type ledger struct {
	Run    string                 `json:"run"`
	Done   bool                   `json:"done"`
	Leader int                    `json:"leader_pid"`
	Error  string                 `json:"error,omitempty"`   // why the release (or part of it) was not published
	Lines  []string               `json:"details,omitempty"` // the problems, one per line
	Files  map[string]fileOutcome `json:"files"`             // by absolute path
	Python []string               `json:"python_builds"`     // the run's Python build ids, for messages
}

type fileOutcome struct {
	Filename string `json:"filename"`
	OK       bool   `json:"ok"`
	Message  string `json:"message"`
}

// Run publishes the run's Python release once, whichever process gets here
// first, and returns this process's outcome. Its error is for failures of
// the coordination itself (the dist directory cannot be written).
func Run(ctx context.Context, o Options) (*Outcome, error) {
	d := o.Dist
	state := filepath.Join(d.Dir, StateDirName)
	if err := os.MkdirAll(state, 0o755); err != nil {
		return nil, fmt.Errorf("preparing %s: %w", state, err)
	}
	run := runKey(d)
	lockFile, err := os.OpenFile(filepath.Join(state, lockFileName), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening the run's lock: %w", err)
	}
	defer lockFile.Close()
	if err := lock(ctx, lockFile, o.Poll); err != nil {
		return nil, err
	}
	defer unlock(lockFile)

	path := filepath.Join(state, ledgerFileName)
	if l, ok := readLedger(path); ok && l.Run == run && l.Done {
		return own(l, o.File, false, filepath.Join(state, ReportFileName)), nil
	}
	l := &ledger{Run: run, Leader: os.Getpid(), Files: map[string]fileOutcome{}}
	if err := writeJSON(path, l); err != nil {
		return nil, err
	}
	lead(ctx, o, l, filepath.Join(state, ReportFileName))
	l.Done = true
	if err := writeJSON(path, l); err != nil {
		return nil, err
	}
	return own(l, o.File, true, filepath.Join(state, ReportFileName)), nil
}

// runKey identifies the run: metadata.json is written anew, with the time
// in nanoseconds, at the start of every goreleaser run.
func runKey(d *goreleaser.Dist) string {
	sum := sha256.Sum256(d.MetadataRaw)
	return hex.EncodeToString(sum[:8])
}

// lock waits for the run's lock, trying every poll, until ctx ends.
func lock(ctx context.Context, f *os.File, poll time.Duration) error {
	if poll <= 0 {
		poll = 100 * time.Millisecond
	}
	for {
		ok, err := tryLock(f)
		if err != nil {
			return fmt.Errorf("locking %s: %w", f.Name(), err)
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for the publisher process that publishes this release: %w", context.Cause(ctx))
		case <-time.After(poll):
		}
	}
}

// lead publishes the release and records every file's outcome in l.
func lead(ctx context.Context, o Options, l *ledger, reportPath string) {
	d := o.Dist
	for _, b := range d.PythonBuilds() {
		l.Python = append(l.Python, b.ID)
	}
	list, err := selection(d, o.Config)
	if err != nil {
		l.Error = "nothing was published: " + err.Error()
		o.Publish.Log.Error(l.Error)
		publisher.GitHubOutputs(o.Publish, report.ReleaseFailure(errors.New(l.Error), nil, o.Publish.DryRun))
		for _, a := range list.Python() {
			l.Files[a.Resolved] = fileOutcome{Filename: a.Name, Message: l.Error}
		}
		writeReport(reportPath, &report.Release{}, l.Error)
		return
	}
	o.Publish.Log.WithField("files", len(list.Python())).WithField("tag", d.Metadata.Tag).Info("publishing the whole Python release (one goreleaser-pypi process for all files of this goreleaser run)")
	opts := o.Publish
	opts.Tag, opts.TagVersion = d.Metadata.Tag, d.Metadata.Version
	opts.WheelDir = filepath.Join(d.Dir, StateDirName, "wheels")
	res, err := publisher.Publish(ctx, o.Config, list, opts)
	if err != nil {
		var nothing *publisher.NothingToPublish
		if errors.As(err, &nothing) {
			l.Error = "nothing to publish: " + nothing.Reason
		} else {
			l.Error = err.Error()
			if len(res.Targets) == 0 && !strings.Contains(l.Error, "nothing was published") {
				l.Error = "nothing was published: " + l.Error
			}
		}
		for _, p := range res.Problems {
			l.Lines = append(l.Lines, p.Error())
		}
	}
	for _, a := range list.Python() {
		l.Files[a.Resolved] = outcomeOf(a, res, l.Error)
	}
	// Files the pipeline made itself (binary wheels) have no process of
	// their own; they count in every process's verdict on the release.
	for _, t := range res.Targets {
		for _, f := range t.Report.Files {
			if _, ok := l.Files[f.File]; !ok {
				l.Files[f.File] = outcomeOf(goreleaser.Artifact{Name: f.Filename, Resolved: f.File}, res, l.Error)
			}
		}
	}
	writeReport(reportPath, res, l.Error)
}

// selection checks the custom publisher's ids against the run's builds and
// returns the Python files GoReleaser hands to it. On error the list is
// still every Python file found, so each process can say it was not
// published.
func selection(d *goreleaser.Dist, cfg *config.File) (*goreleaser.List, error) {
	found, discoverErr := d.Discover()
	pub, _ := d.Publisher()
	var all []string
	for _, b := range d.Config.Builds {
		all = append(all, b.ID)
	}
	python := d.PythonBuilds()
	var pyIDs []string
	for _, b := range python {
		pyIDs = append(pyIDs, b.ID)
	}
	var errs []string
	if len(pub.IDs) == 0 {
		errs = append(errs, fmt.Sprintf("GoReleaser passed a non-Python artifact to goreleaser-pypi: the custom publisher %q in .goreleaser.yaml has no ids:, so GoReleaser hands it every artifact of the release (Go archives, checksums...), not only the Python files; select the Python builds: ids: [%s]",
			pub.Name, strings.Join(pyIDs, ", ")))
	}
	for _, id := range pub.IDs {
		switch {
		case !slices.Contains(all, id):
			msg := fmt.Sprintf("the custom publisher's ids: lists %q, which is no build of this release (Python builds: %s)", id, strings.Join(pyIDs, ", "))
			if best := config.Closest(id, pyIDs); best != "" {
				msg += fmt.Sprintf("; did you mean %q?", best)
			}
			errs = append(errs, msg)
		case !slices.Contains(pyIDs, id):
			errs = append(errs, fmt.Sprintf("the custom publisher's ids: lists %q, which is not a Python build (builder: uv or poetry): list only the Python builds there (%s)", id, strings.Join(pyIDs, ", ")))
		}
	}
	if len(pub.IDs) > 0 {
		for _, id := range pyIDs {
			if !slices.Contains(pub.IDs, id) && !slices.Contains(cfg.SkipIDs, id) {
				errs = append(errs, fmt.Sprintf("the release's Python build %q is not in the custom publisher's ids: [%s], so GoReleaser never hands its files to goreleaser-pypi; add it there, or list it under skip_ids: in the settings file if leaving it out is intended",
					id, strings.Join(pub.IDs, ", ")))
			}
		}
	}
	if discoverErr != nil {
		errs = append(errs, discoverErr.Error())
	}
	selected := &goreleaser.List{File: found.File}
	for _, a := range found.Artifacts {
		// Go binaries stay: binary_wheels may turn them into wheels.
		if len(pub.IDs) == 0 || slices.Contains(pub.IDs, a.ID()) || a.IsBinary() {
			selected.Artifacts = append(selected.Artifacts, a)
		}
	}
	if len(errs) > 0 {
		return found, errors.New(strings.Join(errs, "; "))
	}
	return selected, nil
}

// outcomeOf sums up one file over every target of the release.
func outcomeOf(a goreleaser.Artifact, res *report.Release, releaseErr string) fileOutcome {
	out := fileOutcome{Filename: a.Name, OK: true}
	var parts []string
	seen := false
	for _, t := range res.Targets {
		for _, f := range t.Report.Files {
			if f.File != a.Resolved {
				continue
			}
			seen = true
			part := t.Target + ": " + string(f.Status)
			switch {
			case !f.Status.OK():
				out.OK = false
				part += ": " + f.Error()
			case f.Status == upload.StatusUploaded:
				part += " to " + f.URL
			case f.Reason != "":
				part += " (" + f.Reason + ")"
			}
			parts = append(parts, part)
		}
	}
	for _, name := range res.NotAttempted {
		out.OK = false
		parts = append(parts, name+": not attempted (an earlier target failed)")
	}
	if !seen {
		out.OK = false
		msg := releaseErr
		if msg == "" {
			msg = "not published"
		}
		parts = append(parts, msg)
	} else if !out.OK && releaseErr != "" && len(res.NotAttempted) == 0 {
		parts = append(parts, releaseErr)
	}
	out.Message = strings.Join(parts, "; ")
	return out
}

// own is this process's outcome, read from the ledger.
func own(l *ledger, file string, leader bool, reportPath string) *Outcome {
	o := &Outcome{Leader: leader, ReportPath: reportPath, Details: l.Lines}
	abs, _ := filepath.Abs(file)
	if f, ok := l.Files[abs]; ok {
		o.OK, o.Message = f.OK, f.Filename+": "+f.Message
		if o.OK {
			// This file is published, but a file of the release without a
			// process of its own (a binary wheel) may not be: GoReleaser
			// must not call the release a success then.
			var failed []string
			for _, other := range l.Files {
				if !other.OK {
					failed = append(failed, other.Filename)
				}
			}
			if len(failed) > 0 {
				slices.Sort(failed)
				o.OK = false
				o.Message += fmt.Sprintf("; but the release is incomplete: %d file(s) were not published: %s (see the report)", len(failed), strings.Join(failed, ", "))
			}
		}
		return o
	}
	name := filepath.Base(file)
	parent := filepath.Base(filepath.Dir(abs))
	for _, id := range l.Python {
		if strings.HasPrefix(parent, id+"_") {
			o.Message = fmt.Sprintf("%s: not among the Python files this run built (%s)", name, cmp.Or(l.Error, "see the report"))
			return o
		}
	}
	o.Message = fmt.Sprintf("GoReleaser passed a non-Python artifact to goreleaser-pypi: %s. Select the Python builds in the custom publisher of .goreleaser.yaml: ids: [%s]",
		name, strings.Join(l.Python, ", "))
	if l.Error != "" {
		o.Details = append([]string{l.Error}, o.Details...)
	}
	return o
}

func readLedger(path string) (*ledger, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	var l ledger
	if json.Unmarshal(data, &l) != nil {
		return nil, false
	}
	return &l, true
}

// writeReport writes the run's report; a failure of the release as a whole
// goes in "error".
func writeReport(path string, res *report.Release, releaseErr string) {
	res.Error = releaseErr
	_ = writeJSON(path, res)
}

// writeJSON writes v atomically (a reader never sees half a file).
func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return os.Rename(tmp, path)
}
