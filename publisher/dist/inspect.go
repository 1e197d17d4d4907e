package dist

import (
	"bufio"
	"bytes"
	"crypto/md5" //nolint:gosec // PyPI's optional md5_digest, not for security
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/goreleaser-pypi/goreleaser-pypi/internal/bytesize"

	"golang.org/x/crypto/blake2b"
)

// DefaultMaxFileSize is PyPI's default per-file upload limit ("100 MB",
// which Warehouse computes as 100 MiB). It is the one home of that figure
// on the client side (pypitest, which shares no code with the client, has
// its own default). Verification does not apply it: PyPI raises the limit
// per project and per organisation, and a client cannot know a project's
// limit. It serves to plan uploads (a file above it may be refused, so
// upload it first) and to name the default in messages.
const DefaultMaxFileSize = 100 << 20

// Options tune inspection and verification.
type Options struct {
	// MaxFileSize is an explicit per-file size ceiling (settings:
	// max_file_size); 0 means no check: the index decides (PyPI's default
	// is DefaultMaxFileSize, raised per project on request).
	MaxFileSize int64
	// MaxMetadataSize caps METADATA / PKG-INFO; 0 means 4 MiB.
	MaxMetadataSize int64
	// MaxCompressionRatio is the decompression-bomb ceiling applied once an
	// archive decompresses to more than 64 MiB; 0 means PyPI's 50.
	MaxCompressionRatio float64
	// AllowClassifiers names classifiers that are not in the list embedded
	// in this build (added to trove-classifiers since) and should pass
	// without a warning (settings: allow_classifiers; --allow-classifier).
	// Deprecated and private classifiers stay errors: PyPI refuses them.
	AllowClassifiers []string
	// Strict turns every warning into an error (check --strict).
	Strict bool
	// MD5 also computes the md5 digest (--print-hash). PyPI treats
	// md5_digest as optional and it costs a third of verification time, so
	// it is neither computed nor sent otherwise.
	MD5 bool
}

// SizeProblem is the file-size rule on its own, for callers that verified
// files once and check them against several limits (one per target): nil
// when d fits limit, and always nil for limit 0 (no client-side limit: the
// index decides).
func SizeProblem(d *Distribution, limit int64) *Problem {
	if limit <= 0 || d.Size <= limit {
		return nil
	}
	return &Problem{File: d.Path, Rule: RuleFileSize, Message: fmt.Sprintf("file is %s, over the %s per file set by max_file_size (--max-file-size); raise or remove that setting if the index allows larger files (PyPI's default is %s, raised per project on request: https://docs.pypi.org/project-management/storage-limits)", bytesize.Format(d.Size), bytesize.Format(limit), bytesize.Format(DefaultMaxFileSize))}
}

func (o Options) maxMetadataSize() int64 {
	if o.MaxMetadataSize > 0 {
		return o.MaxMetadataSize
	}
	return DefaultMaxMetadataSize
}

// Problem is one rule a file breaks (an error: the index refuses the file)
// or one finding a person should know about while the index decides (a
// warning: the release goes on).
type Problem struct {
	File    string `json:"file"`    // the path as given
	Rule    string `json:"rule"`    // short stable identifier, e.g. "filename-version"
	Message string `json:"message"` // what is wrong and what to do
	// Severity is SeverityError or SeverityWarning; the zero value reads
	// as an error (and is written "error" in JSON), so a Problem built
	// without one keeps refusing.
	Severity Severity `json:"severity"`
}

// Error renders "path: message".
func (p Problem) Error() string { return p.File + ": " + p.Message }

// VerifyError is the failure of a verification: every problem found, in
// every file. Nothing may be uploaded when it happens.
type VerifyError struct {
	Problems []Problem
}

// Error says how many problems in how many files, and that nothing was
// published (the problems themselves are listed one per line by whoever
// reports them).
func (e *VerifyError) Error() string {
	files := map[string]bool{}
	for _, p := range e.Problems {
		files[p.File] = true
	}
	return fmt.Sprintf("verification failed: %d problem(s) in %d file(s); nothing was published", len(e.Problems), len(files))
}

// Unwrap exposes each problem to errors.As.
func (e *VerifyError) Unwrap() []error {
	out := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p
	}
	return out
}

// IsWarning reports whether p only warns: the release may go on.
func (p Problem) IsWarning() bool { return p.Severity == SeverityWarning }

// MarshalJSON writes the severity in full ("error" when unset).
func (p Problem) MarshalJSON() ([]byte, error) {
	type plain Problem
	if p.Severity == "" {
		p.Severity = SeverityError
	}
	return json.Marshal(plain(p))
}

// Inspect reads the distribution at path once: it computes its digests
// (sha256 and blake2b-256, plus md5 with Options.MD5, in one streaming pass), checks the archive's
// structure, reads its core metadata and verifies everything PyPI would
// refuse about this one file. It returns an error only when the file cannot
// be read at all (it does not exist, it is a directory, an I/O error); then
// the Distribution is nil. Rules about a set of files are Check's.
func Inspect(path string, opts Options) (*Distribution, []Problem, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if fi.IsDir() {
		return nil, nil, fmt.Errorf("%s is a directory, not a wheel or sdist", path)
	}
	if !fi.Mode().IsRegular() {
		// A named pipe would block the open, a device (a link to
		// /dev/zero) would never end.
		kind := "special file"
		switch t := fi.Mode().Type(); {
		case t&os.ModeNamedPipe != 0:
			kind = "named pipe"
		case t&os.ModeDevice != 0:
			kind = "device"
		case t&os.ModeSocket != 0:
			kind = "socket"
		}
		return nil, nil, fmt.Errorf("%s is a %s, not a regular file: pass the wheel or sdist itself", path, kind)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	in := &inspection{
		opts: opts,
		file: f,
		d: &Distribution{
			Path:     path,
			Filename: filepath.Base(path),
			Size:     fi.Size(),
			Metadata: &Metadata{},
		},
	}
	if err := in.run(); err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", path, err)
	}
	for i := range in.problems {
		in.problems[i].File = path
	}
	for i := range in.d.Warnings {
		in.d.Warnings[i].File = path
	}
	return in.d, in.problems, nil
}

type inspection struct {
	opts     Options
	file     *os.File
	d        *Distribution
	problems []Problem
}

func (in *inspection) add(rule, format string, args ...any) {
	in.problems = append(in.problems, Problem{Rule: rule, Message: fmt.Sprintf(format, args...), Severity: SeverityError})
}

func (in *inspection) warn(rule, format string, args ...any) {
	in.d.Warnings = append(in.d.Warnings, Problem{Rule: rule, Message: fmt.Sprintf(format, args...), Severity: SeverityWarning})
}

func (in *inspection) addFindings(fs []finding) {
	for _, f := range fs {
		in.problems = append(in.problems, Problem{Rule: f.rule, Message: f.msg, Severity: SeverityError})
	}
}

// hashingReader feeds every byte read from the file to the digests. The
// caller must call digests (or stop) once it is done reading.
//
// Hashing is the bulk of verification time, so blake2b runs on a goroutine
// of its own, overlapping sha256 (and the zip walk) on the reading one; md5,
// which PyPI treats as optional, is computed only when asked for.
type hashingReader struct {
	sha, md hash.Hash // md is nil unless md5 was asked for
	blake   *asyncHash
	n       int64
	r       io.Reader
}

func newHashingReader(r io.Reader, withMD5 bool) *hashingReader {
	b, _ := blake2b.New256(nil) // no key: cannot fail
	h := &hashingReader{sha: sha256.New(), blake: newAsyncHash(b), r: r}
	if withMD5 {
		h.md = md5.New() //nolint:gosec // PyPI's optional md5_digest, not for security
	}
	return h
}

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	if n > 0 {
		h.sha.Write(p[:n])
		h.blake.Write(p[:n])
		if h.md != nil {
			h.md.Write(p[:n])
		}
		h.n += int64(n)
	}
	return n, err
}

// digests finishes the hashes; the reader must not be read afterwards.
func (h *hashingReader) digests() Digests {
	d := Digests{
		SHA256:     hex.EncodeToString(h.sha.Sum(nil)),
		BLAKE2b256: hex.EncodeToString(h.blake.Sum()),
	}
	if h.md != nil {
		d.MD5 = hex.EncodeToString(h.md.Sum(nil))
	}
	return d
}

// stop releases the hashing goroutine when digests is never called.
func (h *hashingReader) stop() { h.blake.Sum() }

// asyncHash hashes on a goroutine of its own: Write copies into one of a
// few fixed buffers and hands full ones over, so memory stays constant.
type asyncHash struct {
	h    hash.Hash
	work chan []byte
	free chan []byte
	done chan struct{}
	buf  []byte
	sum  []byte
}

const (
	asyncHashBuffers = 8
	asyncHashBufSize = 64 << 10
)

func newAsyncHash(h hash.Hash) *asyncHash {
	a := &asyncHash{
		h:    h,
		work: make(chan []byte, asyncHashBuffers),
		free: make(chan []byte, asyncHashBuffers),
		done: make(chan struct{}),
	}
	for range asyncHashBuffers - 1 {
		a.free <- make([]byte, 0, asyncHashBufSize)
	}
	a.buf = make([]byte, 0, asyncHashBufSize)
	go func() {
		defer close(a.done)
		for b := range a.work {
			a.h.Write(b)
			a.free <- b[:0]
		}
	}()
	return a
}

func (a *asyncHash) Write(p []byte) {
	for len(p) > 0 {
		n := copy(a.buf[len(a.buf):cap(a.buf)], p)
		a.buf = a.buf[:len(a.buf)+n]
		p = p[n:]
		if len(a.buf) == cap(a.buf) {
			a.work <- a.buf
			a.buf = <-a.free
		}
	}
}

// Sum flushes what is buffered, stops the goroutine and returns the digest.
// Later calls return the same digest.
func (a *asyncHash) Sum() []byte {
	if a.sum == nil {
		if len(a.buf) > 0 {
			a.work <- a.buf
		}
		close(a.work)
		<-a.done
		a.sum = a.h.Sum(nil)
	}
	return a.sum
}

func (in *inspection) run() error {
	d := in.d
	name := d.Filename
	if strings.IndexFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
		in.add(RuleFilenameChars, "filename %q contains control characters; PyPI refuses non-printable characters in filenames", name)
	}
	if strings.Contains(name, `\`) {
		in.add(RuleFilenameChars, "filename %q contains a backslash; PyPI refuses '/' and '\\' in filenames", name)
	}
	if p := SizeProblem(d, in.opts.MaxFileSize); p != nil {
		in.add(p.Rule, "%s", p.Message)
	}
	hr := newHashingReader(in.file, in.opts.MD5)
	defer hr.stop()
	br := bufio.NewReaderSize(hr, 64<<10)
	switch {
	case strings.HasSuffix(name, ".whl"):
		d.Type = Wheel
		if err := in.wheel(br); err != nil {
			return err
		}
	case strings.HasSuffix(name, ".tar.gz"):
		d.Type = Sdist
		d.PyVersion = "source"
		in.sdist(br)
	case strings.HasSuffix(name, ".zip"):
		d.Type = Sdist
		d.PyVersion = "source"
		in.add(RuleSdistFilename, "%s is a .zip sdist; PyPI accepts sdists only as .tar.gz (PEP 625): build the sdist as a .tar.gz", name)
	default:
		in.add(RuleFileType, "%s is neither a wheel (.whl) nor an sdist (.tar.gz); PyPI accepts no other distribution type", name)
	}
	// Whatever the readers left (or everything, for files we do not open)
	// still has to be hashed.
	if _, err := io.Copy(io.Discard, br); err != nil {
		return err
	}
	d.Digests = hr.digests()
	if hr.n != d.Size {
		return fmt.Errorf("the file changed while it was read (%d bytes, expected %d)", hr.n, d.Size)
	}
	return nil
}

var distInfoMemberRE = regexp.MustCompile(`^[^/]+\.dist-info/(METADATA|WHEEL|RECORD|entry_points\.txt)$`)

func (in *inspection) wheel(br *bufio.Reader) error {
	d := in.d
	wn, err := ParseWheelFilename(d.Filename)
	if err != nil {
		in.add(RuleFilename, "%v", err)
	} else {
		d.Wheel = &wn
		d.PyVersion = wn.Python
	}
	limit := in.opts.maxMetadataSize()
	walk := newZipWalk(d.Size, in.opts.MaxCompressionRatio, limit, distInfoMemberRE.MatchString)
	if err := walk.run(&offsetReader{r: br}); err != nil {
		return err
	}
	for _, f := range walk.findings {
		if f.rule == RuleZipStructure {
			f.msg = zipStructureMessage(f.msg)
		}
		in.add(f.rule, "%s", f.msg)
	}
	if walk.comment > 0 && walk.structureOK {
		in.add(RuleZipComment, "ZIP archive not accepted: the archive has a %d-byte comment; PyPI's ZIP rules allow no archive comment (rebuild the wheel with a standard build backend)", walk.comment)
	}
	if f := walk.ratioFinding(); f != nil {
		in.add(f.rule, "%s", f.msg)
	}
	if len(walk.members) == 0 && !walk.structureOK {
		return nil // not a zip at all: nothing more to say
	}
	for _, m := range walk.members {
		if why := unsafeMemberPath(m.Name); why != "" {
			in.add(RuleArchivePath, "member %q %s", m.Name, why)
		}
		if m.isSymlink() {
			target, err := readMember(in.file, m, 4096)
			if err != nil || linkEscapes("", m.Name, string(target)) {
				in.add(RuleArchivePath, "symlink %q points to %q, outside the wheel", m.Name, target)
			}
		}
	}
	if d.Wheel == nil || !walk.structureOK {
		// Without a file name to find the .dist-info by, or with a framing
		// that tools read differently, the contents say nothing reliable.
		return nil
	}
	distInfo := wn.DistInfo()
	other := otherDistInfos(walk.members, distInfo)
	if walk.byName[distInfo+"/METADATA"] != nil && len(other) > 0 {
		in.add(RuleWheelContents, "the wheel has %d .dist-info directories (%s/ and %s); a wheel has exactly one, and pip refuses it", len(other)+1, distInfo, strings.Join(other, ", "))
	}
	member := func(base string) *zipMember { return walk.byName[distInfo+"/"+base] }
	missing := func(base, format string) {
		msg := fmt.Sprintf(format, distInfo+"/"+base)
		if len(other) > 0 {
			msg += fmt.Sprintf("; the wheel has %s instead: was the file renamed, or built under another name or version?", strings.Join(other, ", "))
		}
		in.add(RuleWheelContents, "%s", msg)
	}
	if len(other) > 0 && member("WHEEL") == nil && member("RECORD") == nil && member("METADATA") == nil {
		// One cause, one problem: the name and the contents disagree.
		in.add(RuleWheelContents, "WHEEL not found at %s/WHEEL (nor RECORD or METADATA): the wheel has %s instead, so its name and its contents disagree: was the file renamed, or built under another name or version? Publish it under the name it was built with",
			distInfo, strings.Join(other, ", "))
		return nil
	}
	if member("WHEEL") == nil {
		missing("WHEEL", "WHEEL not found at %s")
	}
	if m := member("RECORD"); m == nil {
		missing("RECORD", "wheel does not contain the required RECORD file: %s")
	} else {
		in.checkRecord(walk, distInfo, m)
	}
	if m := member("entry_points.txt"); m != nil && m.Data != nil {
		for _, e := range entryPointsErrors(m.Data) {
			in.add(RuleEntryPoints, "%s/entry_points.txt: %s", distInfo, e)
		}
	}
	if m := member("WHEEL"); m != nil && m.Data != nil {
		in.checkWheelTags(wn, m.Data)
	}
	m := member("METADATA")
	switch {
	case m == nil:
		missing("METADATA", "wheel does not contain the required METADATA file: %s")
		return nil
	case m.DataTooLarge:
		in.add(RuleMetadataFile, "%s/METADATA is larger than %s; refusing to read it", distInfo, bytesize.Format(limit))
		return nil
	case m.Data == nil:
		return nil // corrupt member: reported by the walk
	}
	meta, err := parseMetadataBytes(m.Data)
	if err != nil {
		in.add(RuleMetadataFile, "%s/METADATA: %v", distInfo, err)
		return nil
	}
	d.Metadata = meta
	in.checkMetadata()
	in.checkWheelName(wn)
	for _, lf := range in.licenseFiles() {
		target := distInfo + "/licenses/" + lf
		if lm := walk.byName[target]; lm == nil || lm.isDir() {
			in.add(RuleLicenseFile, "License-File %s does not exist in distribution file %s at %s", lf, d.Filename, target)
		}
	}
	return nil
}

// licenseFiles are the License-File paths to look for in the archive: PyPI
// checks them for metadata 2.4 and later, when they are valid paths.
func (in *inspection) licenseFiles() []string {
	m := in.d.meta()
	if metadataAge(m.MetadataVersion()) < metadataAge("2.4") {
		return nil
	}
	var out []string
	for _, lf := range newFormView(in.d.FormFields())["license_file"] {
		if licenseFileError(lf) == "" {
			out = append(out, lf)
		}
	}
	return out
}

// zipStructureMessage words a framing finding for a person.
func zipStructureMessage(msg string) string {
	switch {
	case msg == "File is not a zipfile":
		return "not a ZIP archive (File is not a zipfile): a wheel is a zip file; was the upload or download of this file cut short, or is it another file renamed?"
	case strings.HasPrefix(msg, "ZIP contains a data descriptor"):
		return "ZIP archive not accepted: " + msg + ". The writer streamed the archive (general-purpose flag bit 3, as Go's zip.Writer.CreateHeader does); PyPI refuses such wheels: rebuild the wheel with a standard build backend. See https://docs.pypi.org/archives"
	}
	return "ZIP archive not accepted: " + msg + ". See https://docs.pypi.org/archives"
}

func otherDistInfos(members []*zipMember, want string) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range members {
		dir, _, ok := strings.Cut(m.Name, "/")
		if ok && strings.HasSuffix(dir, ".dist-info") && dir != want && !seen[dir] {
			seen[dir] = true
			out = append(out, dir+"/")
		}
	}
	sort.Strings(out)
	return out
}

func (in *inspection) checkMetadata() {
	allow := map[string]bool{}
	for _, c := range in.opts.AllowClassifiers {
		allow[c] = true
	}
	problems, warnings := validateMetadata(in.d, allow)
	in.problems = append(in.problems, problems...)
	in.d.Warnings = append(in.d.Warnings, warnings...)
}

func (in *inspection) checkWheelName(wn WheelName) {
	m := in.d.Metadata
	name, version := m.Name(), m.Version()
	if ValidName(name) {
		switch want := FilenameName(name); {
		case NormalizeName(wn.Name) != NormalizeName(name):
			in.add(RuleFilenameName, "project name in filename (%s) does not match METADATA Name (%s); the wheel should be named %s-…", wn.Name, name, want)
		case wn.Name != want:
			in.add(RuleFilenameName, "filename should contain the normalized project name %q, not %q (PyPI requires the PEP 503 normalized name with '_'): expected %s", want, wn.Name, WheelName{Name: want, Version: wn.Version, Build: wn.Build, Python: wn.Python, ABI: wn.ABI, Platform: wn.Platform})
		}
	}
	fv, ferr := ParseVersion(wn.Version)
	mv, merr := ParseVersion(version)
	if ferr == nil && merr == nil {
		switch {
		case !fv.Equal(mv):
			in.add(RuleFilenameVersion, "version in filename (%s) does not match METADATA Version (%s)", wn.Version, version)
		case wn.Version != mv.String():
			in.warn(RuleFilenameNotNormal, "version in filename (%s) is not in normalized form (%s); PyPI accepts it, but tools that compare filenames may not", wn.Version, mv.String())
		}
	}
	for _, pl := range strings.Split(wn.Platform, ".") {
		if ValidPlatformTag(pl) {
			continue
		}
		hint := "PyPI accepts any, win*, manylinux*, musllinux*, macosx*, ios*, android* and pyemscripten* platform tags"
		if strings.HasPrefix(strings.ToLower(pl), "linux_") {
			hint = "PyPI does not accept plain linux_* wheels: build manylinux or musllinux wheels (e.g. repair the wheel with auditwheel)"
		}
		in.add(RulePlatformTag, "wheel has an unsupported platform tag %q: %s", pl, hint)
	}
}

// checkRecord: a RECORD that is not UTF-8 CSV counts as missing (PyPI refuses
// the upload). One that lists other files than the wheel has, or other
// hashes, only earns the owners an email from PyPI, but it means the wheel
// was altered after it was built, and installers that check RECORD (uv,
// installer) refuse it: we refuse it before it is published.
func (in *inspection) checkRecord(walk *zipWalk, distInfo string, rec *zipMember) {
	name := distInfo + "/RECORD"
	if rec.DataTooLarge {
		in.add(RuleWheelContents, "%s is larger than %s; refusing to read it", name, bytesize.Format(in.opts.maxMetadataSize()))
		return
	}
	if rec.Data == nil {
		return // corrupt: reported by the walk
	}
	r := csv.NewReader(bytes.NewReader(rec.Data))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil || !isUTF8(rec.Data) {
		if err == nil {
			err = errors.New("not valid UTF-8")
		}
		in.add(RuleWheelContents, "%s cannot be read (%v); PyPI treats an unreadable RECORD as missing", name, err)
		return
	}
	type entry struct{ hash, size string }
	listed := map[string]entry{}
	for _, row := range rows {
		if len(row) == 0 || row[0] == "" {
			continue
		}
		e := entry{}
		if len(row) > 1 {
			e.hash = row[1]
		}
		if len(row) > 2 {
			e.size = row[2]
		}
		listed[strings.ReplaceAll(row[0], `\`, "/")] = e
	}
	var notListed, notInWheel, badHash []string
	inWheel := map[string]bool{}
	for _, m := range walk.members {
		if m.isDir() || m.Name == distInfo+"/RECORD.jws" || m.Name == distInfo+"/RECORD.p7s" {
			continue
		}
		inWheel[m.Name] = true
		e, ok := listed[m.Name]
		if !ok {
			notListed = append(notListed, m.Name)
			continue
		}
		if algo, digest, ok := strings.Cut(e.hash, "="); ok && algo == "sha256" && m.Verified {
			if digest != base64.RawURLEncoding.EncodeToString(m.SHA256[:]) {
				badHash = append(badHash, m.Name)
				continue
			}
		}
		if e.size != "" && e.size != strconv.FormatUint(m.Size, 10) {
			badHash = append(badHash, m.Name)
		}
	}
	for l := range listed {
		if !inWheel[l] {
			notInWheel = append(notInWheel, l)
		}
	}
	sort.Strings(notInWheel)
	var parts []string
	if len(badHash) > 0 {
		parts = append(parts, "the content of "+shortList(badHash)+" does not match the hash or size RECORD gives (the wheel was modified after it was built)")
	}
	if len(notListed) > 0 {
		parts = append(parts, "RECORD does not list "+shortList(notListed))
	}
	if len(notInWheel) > 0 {
		parts = append(parts, "RECORD lists files the wheel lacks: "+shortList(notInWheel))
	}
	if len(parts) > 0 {
		in.add(RuleRecordMismatch, "%s: %s; rebuild the wheel instead of editing it (PyPI emails the project owners about such wheels, and installers that verify RECORD refuse them)", name, strings.Join(parts, "; "))
	}
}

// checkWheelTags compares the WHEEL file's Tag lines with the filename.
// PyPI does not check this yet, but pip and uv trust one or the other.
func (in *inspection) checkWheelTags(wn WheelName, data []byte) {
	meta, err := parseMetadataBytes(data)
	if err != nil {
		in.warn(RuleWheelTags, "%s/WHEEL is not in \"Key: value\" form (%v); installers may fail to read it", wn.DistInfo(), err)
		return
	}
	tags := meta.Values("Tag")
	if len(tags) == 0 {
		return
	}
	want := map[string]bool{}
	for _, t := range wn.Tags() {
		want[t] = true
	}
	got := map[string]bool{}
	for _, t := range tags {
		got[strings.ToLower(strings.TrimSpace(t))] = true
	}
	same := len(got) == len(want)
	for t := range want {
		same = same && got[t]
	}
	if !same {
		in.warn(RuleWheelTags, "the Tag lines of %s/WHEEL (%s) do not match the filename's tags (%s): was the file renamed?", wn.DistInfo(), strings.Join(tags, ", "), strings.Join(wn.Tags(), ", "))
	}
}

func (in *inspection) sdist(br *bufio.Reader) {
	d := in.d
	sn, nameErr := ParseSdistFilename(d.Filename)
	if nameErr != nil {
		in.add(RuleFilename, "%v", nameErr)
	}
	limit := in.opts.maxMetadataSize()
	walk := newSdistWalk(d.Size, in.opts.MaxCompressionRatio, limit)
	walk.run(br)
	in.addFindings(walk.findings)
	if len(walk.members) == 0 {
		if len(walk.findings) == 0 {
			in.add(RuleSdistLayout, "the archive is empty")
		}
		return
	}
	top, f := walk.top()
	if f != nil {
		in.add(f.rule, "%s", f.msg)
		return
	}
	for _, lf := range walk.linkFindings(top) {
		in.add(lf.rule, "%s", lf.msg)
	}
	data, ok := walk.pkgInfo[top]
	switch {
	case walk.pkgInfoTooLarge[top]:
		in.add(RuleMetadataFile, "%s/PKG-INFO is larger than %s; refusing to read it", top, bytesize.Format(limit))
		return
	case !ok:
		if walk.readable {
			in.add(RuleSdistLayout, "PKG-INFO not found at %s/PKG-INFO", top)
		}
		return
	}
	meta, err := parseMetadataBytes(data)
	if err != nil {
		in.add(RuleMetadataFile, "%s/PKG-INFO: %v", top, err)
		return
	}
	d.Metadata = meta
	in.checkMetadata()
	if nameErr == nil {
		in.checkSdistName(sn)
	}
	for _, lf := range in.licenseFiles() {
		if target := top + "/" + lf; !walk.has(target) {
			in.add(RuleLicenseFile, "License-File %s does not exist in distribution file %s at %s", lf, d.Filename, target)
		}
	}
}

func (in *inspection) checkSdistName(sn SdistName) {
	m := in.d.Metadata
	name, version := m.Name(), m.Version()
	if !ValidName(name) {
		return
	}
	if NormalizeName(sn.Name) != NormalizeName(name) {
		in.add(RuleFilenameName, "project name in filename (%s) does not match PKG-INFO Name (%s); the sdist should be named %s", sn.Name, name, SdistFilename(name, version))
		return
	}
	fv, ferr := ParseVersion(sn.Version)
	mv, merr := ParseVersion(version)
	if ferr != nil || merr != nil {
		return
	}
	if !fv.Equal(mv) {
		in.add(RuleFilenameVersion, "version in filename (%s) does not match PKG-INFO Version (%s)", sn.Version, version)
		return
	}
	want := SdistFilename(name, version)
	switch {
	case in.d.Filename == want:
	case sn.Name != FilenameName(name) || sn.Ext != ".tar.gz":
		in.add(RuleSdistFilename, "filename %s is invalid, should be %s: PyPI requires PEP 625 sdist names (the normalized project name with '_', the normalized version). The build backend wrote a pre-PEP 625 name; build with one that writes PEP 625 names (uv, setuptools >= 69.3, hatchling, flit)", in.d.Filename, want)
	default:
		in.add(RuleSdistFilename, "filename %s is invalid, should be %s: PyPI requires the normalized version (%s, not %s) in sdist names (PEP 625)", in.d.Filename, want, mv.String(), sn.Version)
	}
}

func shortList(xs []string) string {
	if len(xs) > 5 {
		return strings.Join(xs[:5], ", ") + fmt.Sprintf(" and %d more", len(xs)-5)
	}
	return strings.Join(xs, ", ")
}

func isUTF8(b []byte) bool { return firstInvalidUTF8(b) == len(b) }
