package dist

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// Check inspects and verifies every path, and the set as a whole. It returns
// the distributions in the order given (one per path, never nil: a file that
// could not be read gets a Distribution with only Path and Filename) and
// every error found; a caller must upload nothing when problems is not
// empty. Warnings (findings the index decides on, which do not stop the
// release) are in each Distribution's Warnings, with SeverityWarning:
// collect them with Warnings(dists) and log them. With Options.Strict they
// are returned as errors instead. It is the single entry point of
// verification: `check` and `upload` both run it over all files before
// anything is uploaded.
func Check(paths []string, opts Options) (dists []*Distribution, problems []Problem) {
	type result struct {
		d        *Distribution
		problems []Problem
		err      error
	}
	results := make([]result, len(paths))
	workers := runtime.GOMAXPROCS(0)
	if workers > len(paths) {
		workers = len(paths)
	}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				d, ps, err := Inspect(paths[i], opts)
				results[i] = result{d, ps, err}
			}
		}()
	}
	for i := range paths {
		jobs <- i
	}
	close(jobs)
	wg.Wait()

	for i, p := range paths {
		r := results[i]
		if r.err != nil {
			dists = append(dists, &Distribution{Path: p, Filename: filepath.Base(p), Metadata: &Metadata{}})
			up := unreadableProblem(p, r.err)
			up.Severity = SeverityError
			problems = append(problems, up)
			continue
		}
		dists = append(dists, r.d)
		problems = append(problems, r.problems...)
	}
	read := make([]bool, len(dists))
	for i := range dists {
		read[i] = results[i].err == nil
	}
	problems = append(problems, setProblems(dists, read)...)
	if opts.Strict {
		problems = promoteWarnings(dists, problems)
	}
	return dists, problems
}

// setProblems applies the rules about the set of files: no two different
// files under one name, one sdist per release. Identical files given twice
// only earn a warning: uploading one of them is enough.
func setProblems(dists []*Distribution, read []bool) []Problem {
	var problems []Problem
	first := map[string]*Distribution{}
	for i, d := range dists {
		if !read[i] {
			continue
		}
		f, dup := first[d.Filename]
		if !dup {
			first[d.Filename] = d
			continue
		}
		if f.Digests == d.Digests {
			d.Warnings = append(d.Warnings, Problem{File: d.Path, Rule: RuleDuplicateFile, Severity: SeverityWarning,
				Message: fmt.Sprintf("the same file is given twice (also as %s); it is uploaded once", f.Path)})
			continue
		}
		problems = append(problems, Problem{File: d.Path, Rule: RuleDuplicateFilename, Severity: SeverityError,
			Message: fmt.Sprintf("%s is also the name of a different file, %s: an index keeps one file per name (PyPI refuses the second with \"File already exists\"); keep one of them", d.Filename, f.Path)})
	}
	type release struct{ name, version string }
	sdists := map[release][]*Distribution{}
	var order []release
	for i, d := range dists {
		if !read[i] || d.Type != Sdist || first[d.Filename] != d {
			continue
		}
		v, err := ParseVersion(d.Version())
		if !ValidName(d.Name()) || err != nil {
			continue
		}
		key := release{NormalizeName(d.Name()), v.String()}
		if sdists[key] == nil {
			order = append(order, key)
		}
		sdists[key] = append(sdists[key], d)
	}
	for _, key := range order {
		ds := sdists[key]
		for _, d := range ds[1:] {
			problems = append(problems, Problem{File: d.Path, Rule: RuleDuplicateSdist, Severity: SeverityError,
				Message: fmt.Sprintf("Only one sdist may be uploaded per release: %s and %s are both sdists of %s %s; keep one", ds[0].Path, d.Path, key.name, key.version)})
		}
	}
	return problems
}

// unreadableProblem explains a file that could not be read. A missing sdist
// gets special care: GoReleaser predicts the PEP 625 name of the sdist, and
// older build backends write the pre-PEP 625 name instead, so the path handed
// to a publisher may not exist while the file sits next to it.
func unreadableProblem(path string, err error) Problem {
	if !errors.Is(err, fs.ErrNotExist) {
		return Problem{File: path, Rule: RuleFileUnreadable, Message: fmt.Sprintf("cannot be read: %v", err)}
	}
	dir := filepath.Dir(path)
	if _, derr := os.Stat(dir); derr != nil {
		return Problem{File: path, Rule: RuleFileMissing, Message: fmt.Sprintf("does not exist (nor does its directory %s)", dir)}
	}
	base := filepath.Base(path)
	if sib, kind := findSibling(dir, base); sib != "" {
		sibPath := filepath.Join(dir, sib)
		switch kind {
		case "sdist":
			return Problem{File: path, Rule: RuleSdistPrePEP625, Message: fmt.Sprintf(
				"does not exist, but %s does: the build backend wrote the sdist under its pre-PEP 625 name, while GoReleaser predicted the PEP 625 name %s, the only one PyPI accepts (it rejects %s). "+
					"Fix: build with a backend that writes PEP 625 names (uv, setuptools >= 69.3, hatchling, flit) and release again", sibPath, base, sib)}
		case "zip-sdist":
			return Problem{File: path, Rule: RuleSdistPrePEP625, Message: fmt.Sprintf(
				"does not exist, but %s does: the build backend wrote a .zip sdist, and PyPI accepts only .tar.gz sdists with PEP 625 names such as %s. "+
					"Fix: build the sdist as .tar.gz with a backend that writes PEP 625 names (uv, setuptools >= 69.3, hatchling, flit) and release again", sibPath, base)}
		default:
			return Problem{File: path, Rule: RuleFileMissing, Message: fmt.Sprintf(
				"does not exist, but %s, a wheel of the same project and version, does: the path given does not match the file the build wrote (check the artifact path or template handed to the publisher)", sibPath)}
		}
	}
	return Problem{File: path, Rule: RuleFileMissing, Message: "does not exist"}
}

// findSibling looks in dir for a file of the same project and version as
// base, spelled differently. kind is "sdist", "zip-sdist" or "wheel".
func findSibling(dir, base string) (sibling, kind string) {
	var name, version string
	wantWheel := strings.HasSuffix(base, ".whl")
	if wantWheel {
		w, err := ParseWheelFilename(base)
		if err != nil {
			return "", ""
		}
		name, version = w.Name, w.Version
	} else {
		s, err := ParseSdistFilename(base)
		if err != nil {
			return "", ""
		}
		name, version = s.Name, s.Version
	}
	want, err := ParseVersion(version)
	if err != nil {
		return "", ""
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", ""
	}
	var candidates []string
	for _, e := range entries {
		if e.IsDir() || e.Name() == base {
			continue
		}
		var n, v, k string
		if wantWheel {
			w, err := ParseWheelFilename(e.Name())
			if err != nil {
				continue
			}
			n, v, k = w.Name, w.Version, "wheel"
		} else {
			s, err := ParseSdistFilename(e.Name())
			if err != nil {
				continue
			}
			n, v, k = s.Name, s.Version, "sdist"
			if s.Ext == ".zip" {
				k = "zip-sdist"
			}
		}
		got, err := ParseVersion(v)
		if err != nil || NormalizeName(n) != NormalizeName(name) || !got.Equal(want) {
			continue
		}
		candidates = append(candidates, k+"\x00"+e.Name())
	}
	if len(candidates) == 0 {
		return "", ""
	}
	sort.Strings(candidates) // prefer a .tar.gz sdist over a .zip one
	k, n, _ := strings.Cut(candidates[0], "\x00")
	return n, k
}
