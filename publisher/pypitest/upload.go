package pypitest

import (
	"archive/zip"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/blake2b"
)

// The legacy upload API (POST /legacy/): the request is read to the end
// first (the file streamed to disk while hashed, the other fields kept in
// memory up to maxFormBytes), then validated in Warehouse's order with its
// status codes and messages, then stored.

// maxFormBytes bounds the non-file fields of one upload.
const maxFormBytes = 16 << 20

// hashChunk is Warehouse's read size while it streams the file, which
// decides which size limit trips first when both would.
const hashChunk = 8096

const (
	oneMiB = 1 << 20
	oneGiB = 1 << 30
)

// received is an upload request as read off the wire.
type received struct {
	form       *form
	hasContent bool
	filename   string
	partType   string // the file part's Content-Type as cgi.FieldStorage sees it
	tmpPath    string
	size       int64
	complete   bool // the whole file is on disk (it was within the size limit)
	sha256     string
	blake2     string
	md5        string
	formTooBig bool
}

func (rc *received) cleanup() {
	if rc.tmpPath != "" {
		_ = os.Remove(rc.tmpPath)
	}
}

// dropBody counts the request body and, once armed, cuts it after dropAt
// bytes so the connection can be dropped mid-body.
type dropBody struct {
	r       io.ReadCloser
	n       int64
	armed   bool
	dropAt  int64
	dropped bool
}

var errDropped = errors.New("pypitest: connection dropped by an injected fault")

func (b *dropBody) Read(p []byte) (int, error) {
	if b.armed {
		if b.n >= b.dropAt {
			b.dropped = true
			return 0, errDropped
		}
		if rest := b.dropAt - b.n; int64(len(p)) > rest {
			p = p[:rest]
		}
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	return n, err
}

func (b *dropBody) Close() error { return b.r.Close() }

func (b *dropBody) arm(at int64) { b.armed, b.dropAt = true, at }

func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request) {
	s.core.logMu.Lock()
	s.core.attempts++
	s.core.logMu.Unlock()

	body := &dropBody{r: r.Body}
	r.Body = body
	fault := s.core.faults.take(r.URL.Path, "")
	engage := func(f *Fault) {
		sleep(r, f.Delay)
		if f.Drop {
			body.arm(f.DropAfter)
		}
	}
	if fault != nil {
		engage(fault)
	}
	rec, err := s.receive(r, func(filename string) {
		s.core.logMu.Lock()
		s.core.perFile[filename]++
		s.core.logMu.Unlock()
		if fault == nil {
			if fault = s.core.faults.take(r.URL.Path, filename); fault != nil {
				engage(fault)
			}
		}
	})
	defer rec.cleanup()
	if body.dropped || err == nil && fault != nil && fault.Drop {
		dropConnection(w, r)
		return
	}
	if err != nil {
		// The client went away or sent garbage: nothing sensible to answer.
		s.logUpload(rec, http.StatusBadRequest, err.Error())
		_, _ = io.Copy(io.Discard, body)
		writeStatusReply(w, r, reply(http.StatusBadRequest, "Invalid request body: "+err.Error()))
		return
	}
	if fault != nil && fault.replies() && !fault.AcceptThenFail {
		writeFaultReply(w, r, fault)
		return
	}

	rep := s.processUpload(r, rec)
	switch {
	case fault != nil && fault.AcceptThenFail:
		s.logUpload(rec, fault.errorStatus(), "accepted, answering with an injected failure")
		writeFaultReply(w, r, fault)
	case rep != nil:
		s.logUpload(rec, rep.status, rep.message)
		writeStatusReply(w, r, rep)
	default:
		s.logUpload(rec, http.StatusOK, "")
		w.WriteHeader(http.StatusOK)
	}
}

func (s *Server) logUpload(rec *received, status int, msg string) {
	l := s.opts.core.logger
	if l == nil {
		return
	}
	e := l.WithField("file", rec.filename).WithField("status", status)
	if msg != "" {
		e = e.WithField("reason", msg)
	}
	if status == http.StatusOK {
		e.Info("upload accepted")
	} else {
		e.Warn("upload refused")
	}
}

// handleMissingSlash is Warehouse's answer to POST /legacy.
func (s *Server) handleMissingSlash(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	rep := reply(http.StatusPermanentRedirect, "An upload was attempted to /legacy but the expected upload URL is /legacy/ (with a trailing slash)")
	rep.header = http.Header{"Location": {"/legacy/"}}
	writeStatusReply(w, r, rep)
}

// receive reads the whole request: form fields in order, the file part
// streamed to a temporary file with its digests. onFile is called when the
// file part's name is known.
func (s *Server) receive(r *http.Request, onFile func(string)) (*received, error) {
	rec := &received{form: &form{}}
	defer func() { _, _ = io.Copy(io.Discard, r.Body) }()
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mediaType == "application/x-www-form-urlencoded" {
		return rec, receiveURLEncoded(r, rec)
	}
	if !strings.HasPrefix(mediaType, "multipart/") {
		return rec, nil // no form at all: the form checks will say what is missing
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return rec, err
	}
	budget := int64(maxFormBytes)
	for {
		part, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			return rec, nil
		}
		if err != nil {
			return rec, err
		}
		_, params, _ := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
		name := params["name"]
		filename, isFile := params["filename"]
		switch {
		case name == "content":
			onFile(filename)
			if err := s.receiveFile(part, rec, filename); err != nil {
				return rec, err
			}
		case isFile:
			if !slices.Contains(rec.form.fileFields, name) && name != "gpg_signature" {
				rec.form.fileFields = append(rec.form.fileFields, name)
			}
			if _, err := io.Copy(io.Discard, part); err != nil {
				return rec, err
			}
		default:
			value, err := io.ReadAll(io.LimitReader(part, budget+1))
			if err != nil {
				return rec, err
			}
			budget -= int64(len(value))
			if budget < 0 {
				rec.formTooBig = true
				if _, err := io.Copy(io.Discard, part); err != nil {
					return rec, err
				}
				continue
			}
			rec.form.fields = append(rec.form.fields, Field{Name: name, Value: string(value)})
		}
	}
}

func receiveURLEncoded(r *http.Request, rec *received) error {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxFormBytes+1))
	if err != nil {
		return err
	}
	if len(raw) > maxFormBytes {
		rec.formTooBig = true
		return nil
	}
	for _, pair := range strings.Split(string(raw), "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, err1 := url.QueryUnescape(k)
		v, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return fmt.Errorf("invalid form encoding")
		}
		if k == "content" {
			rec.hasContent, rec.filename = true, "" // a plain value, not a file
			continue
		}
		rec.form.fields = append(rec.form.fields, Field{Name: k, Value: v})
	}
	return nil
}

// receiveFile streams the file part to a temporary file, hashing it. Past
// the size limit it stops writing (the upload will be refused) but keeps
// reading, so the client gets the answer rather than a reset connection.
func (s *Server) receiveFile(part *multipart.Part, rec *received, filename string) error {
	rec.cleanup() // the last "content" part wins, as in webob
	rec.hasContent, rec.filename = true, filename
	rec.partType = "text/plain" // what cgi.FieldStorage assumes without a header
	if ct, ok := part.Header["Content-Type"]; ok && len(ct) > 0 {
		mediaType, _, _ := strings.Cut(ct[0], ";")
		rec.partType = strings.TrimSpace(mediaType)
	}
	tmp, err := os.CreateTemp(filepath.Join(s.core.dir, "tmp"), "upload-*")
	if err != nil {
		return err
	}
	rec.tmpPath = tmp.Name()
	defer tmp.Close()
	sha, b2, m5 := sha256.New(), mustBlake2b(), md5.New()
	hashes := io.MultiWriter(sha, b2, m5)
	limit := s.opts.core.maxFileSize
	buf := make([]byte, 64<<10)
	var size int64
	for {
		n, err := part.Read(buf)
		if n > 0 {
			_, _ = hashes.Write(buf[:n])
			if size+int64(n) <= limit {
				if _, werr := tmp.Write(buf[:n]); werr != nil {
					return werr
				}
			}
			size += int64(n)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
	}
	rec.size = size
	rec.complete = size <= limit
	rec.sha256 = hex.EncodeToString(sha.Sum(nil))
	rec.blake2 = hex.EncodeToString(b2.Sum(nil))
	rec.md5 = hex.EncodeToString(m5.Sum(nil))
	return tmp.Close()
}

func mustBlake2b() hash.Hash {
	h, err := blake2b.New256(nil)
	if err != nil {
		panic(err) // only fails for keys longer than 64 bytes
	}
	return h
}

// identify is Warehouse's security policy: who the request is. A reply is
// returned for the username/password refusal; a nil token means no (known)
// identity.
func (s *Server) identify(r *http.Request) (*apiToken, *statusReply) {
	method, cred, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok {
		return nil, nil
	}
	var value string
	switch strings.ToLower(method) {
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
		if err != nil {
			return nil, nil
		}
		user, password, ok := strings.Cut(string(raw), ":")
		if !ok {
			return nil, nil
		}
		if user != "__token__" {
			if id, ok := s.passwordIdentity(user, password); ok || len(s.opts.core.users) > 0 {
				return id, nil // nil (invalid credentials) unless the user and password match
			}
			return nil, &statusReply{
				status: http.StatusForbidden,
				message: "Username/Password authentication is no longer supported. Migrate to API Tokens or Trusted Publishers instead. See " +
					s.helpURL("apitoken") + " and " + s.helpURL("trusted-publishers"),
			}
		}
		value = strings.TrimSpace(password)
	case "token", "bearer":
		value = cred
	default:
		return nil, nil
	}
	t, ok := s.tokens.lookup(value)
	if !ok {
		return nil, nil
	}
	return t, nil
}

func badRequest(format string, args ...any) *statusReply {
	return reply(http.StatusBadRequest, fmt.Sprintf(format, args...))
}

// processUpload validates a received upload in Warehouse's order and
// stores it. It returns nil for 200 OK.
func (s *Server) processUpload(r *http.Request, rec *received) *statusReply {
	tok, rep := s.identify(r)
	if rep != nil {
		return rep
	}
	if tok == nil {
		return reply(http.StatusForbidden, "Invalid or non-existent authentication information. See "+s.helpURL("invalid-auth")+" for more information.")
	}
	if rec.formTooBig {
		return badRequest("The upload form's fields exceed %d MiB (a pypitest limit).", maxFormBytes>>20)
	}
	f := rec.form
	sent := slices.Clone(f.fields) // inspection shows the fields as sent
	f.cleanup()
	if v, ok := f.last("protocol_version"); ok && v != "1" {
		return badRequest("Unknown protocol version.")
	}
	if len(f.fileFields) > 0 {
		fields := slices.Clone(f.fileFields)
		slices.Sort(fields)
		return badRequest("%s: Should not be a tuple.", fields[0])
	}
	if msg := validateUploadForm(f); msg != "" {
		return badRequest("%s", msg)
	}
	meta, msg := parseFormMetadata(f)
	if msg != "" {
		return badRequest("%s", msg)
	}
	if !rec.hasContent {
		return badRequest("Upload payload does not have a file.")
	}

	up := &upload{s: s, tok: tok, rec: rec, form: f, meta: meta, sent: sent}
	s.core.mu.Lock()
	rep, identical := up.checkState()
	s.core.mu.Unlock()
	if rep != nil || identical {
		return rep
	}
	if rep := up.checkArchive(); rep != nil {
		return rep
	}
	s.core.mu.Lock()
	defer s.core.mu.Unlock()
	// Another upload may have landed meanwhile: check again, then commit.
	if rep, identical := up.checkState(); rep != nil || identical {
		return rep
	}
	return up.commit()
}

// upload is one upload under validation.
type upload struct {
	s    *Server
	tok  *apiToken
	rec  *received
	form *form
	meta *coreMetadata
	sent []Field

	// set by checkState
	project    *project
	newProject bool
	release    *release
	// set by checkArchive
	metadata       []byte
	recordMismatch bool
	attestations   string
	provenance     json.RawMessage
}

// checkState runs the checks that read the index's state (core.mu held):
// project, permission, filename, size, digests, duplicates. identical is
// true for a re-upload of a file the index already has (200, no change).
func (u *upload) checkState() (rep *statusReply, identical bool) {
	c, s := u.s.core, u.s
	name := u.form.first("name")
	u.project = c.projects[normalizeName(name)]
	u.newProject = u.project == nil
	if u.newProject && u.tok.minted && s.oidc != nil && s.oidc.projectExists != nil && s.oidc.projectExists(name) {
		// A pending publisher created the project when it minted.
		u.project = newProject(name, defaultUser)
	} else if u.newProject {
		if !u.tok.oidcMayCreateProject() {
			return badRequest("Non-user identities cannot create new projects. This was probably caused by " +
				"successfully using a pending publisher but specifying the project name incorrectly (either " +
				"in the publisher or in your project's metadata). Please ensure that both match. " +
				"See: https://docs.pypi.org/trusted-publishers/troubleshooting/"), false
		}
		for _, p := range c.projects {
			if ultranormalizeName(p.normalized) == ultranormalizeName(name) {
				return badRequest("The name %s is too similar to an existing project. See %s for more information.",
					pyRepr(name), s.helpURL("project-name")), false
			}
		}
		u.project = newProject(name, u.tok.user)
	}
	if rep := u.checkPermission(); rep != nil {
		return rep, false
	}
	if msg := s.descriptionRefusal(u.form); msg != "" {
		return badRequest("%s", msg), false
	}
	// From here on Warehouse has renamed the project to the upload's Name.
	displayName := u.meta.get("name")
	u.release = u.project.releases[u.meta.version.canonical()]

	filename, filetype := u.rec.filename, u.form.first("filetype")
	if rep := checkFilename(filename, filetype); rep != nil {
		return rep, false
	}
	if t := u.rec.partType; t == "" || strings.HasPrefix(t, "image/") {
		return badRequest("Invalid distribution file."), false
	}
	if msg := sizeProblem(u.rec.size, s.opts.core.maxFileSize, u.project.totalSize, s.opts.core.maxProjectSize, displayName); msg != "" {
		return badRequest("%s", msg), false
	}
	for _, d := range []struct{ field, got string }{
		{"md5_digest", u.rec.md5}, {"sha256_digest", u.rec.sha256}, {"blake2_256_digest", u.rec.blake2},
	} {
		if sent := u.form.first(d.field); sent != "" && strings.ToLower(sent) != d.got {
			return badRequest("The digest supplied does not match a digest calculated from the uploaded file."), false
		}
	}
	existing := c.byFilename[filename]
	if existing == nil {
		existing = c.byBlake2[u.rec.blake2]
	}
	if existing != nil {
		if existing.Filename == filename && existing.Digests.SHA256 == u.rec.sha256 && existing.Digests.BLAKE2b256 == u.rec.blake2 {
			return nil, true
		}
		return badRequest("File already exists (%s, with blake2_256 hash %s). See %s for more information.",
			pyRepr(filename), pyRepr(u.rec.blake2), s.helpURL("file-name-reuse")), false
	}
	if c.deleted[filename] {
		return badRequest("This filename was previously used by a file that has since been deleted. Use a different version. See %s for more information.",
			s.helpURL("file-name-reuse")), false
	}
	if u.release != nil && u.release.created.Before(s.now().Add(-closedReleaseAge)) {
		return badRequest("Uploading new files to releases older than %d days is not allowed.", closedReleaseDays), false
	}
	if filetype == "sdist" && u.release != nil && u.release.hasSdist {
		return badRequest("Only one sdist may be uploaded per release."), false
	}
	return nil, false
}

// checkPermission is request.has_permission(ProjectsUpload, project): the
// token's caveats (project scope, expiry), then the project's ACL.
func (u *upload) checkPermission() *statusReply {
	p, t := u.project, u.tok
	if t.minted {
		if len(t.projects) > 0 && !slices.Contains(t.projects, p.normalized) {
			return reply(http.StatusForbidden, "Invalid API Token: OIDC scoped token is not valid for project "+pyRepr(p.name))
		}
	} else if t.password && len(t.projects) > 0 && !slices.Contains(t.projects, p.normalized) {
		return reply(http.StatusForbidden, fmt.Sprintf("The user '%s' isn't allowed to upload to project '%s'. See %s for more information.",
			t.user, p.name, u.s.helpURL("project-name")))
	} else if len(t.projects) > 0 && !slices.Contains(t.projects, p.normalized) {
		return reply(http.StatusForbidden, "Invalid API Token: project-scoped token is not valid for project: "+pyRepr(p.name))
	}
	if !t.expires.IsZero() && !u.s.now().Before(t.expires) {
		return reply(http.StatusForbidden, "Invalid API Token: token is expired")
	}
	if !t.minted && !p.owners[t.user] {
		return reply(http.StatusForbidden, fmt.Sprintf("The user '%s' isn't allowed to upload to project '%s'. See %s for more information.",
			t.user, p.name, u.s.helpURL("project-name")))
	}
	return nil
}

var distFileRe = regexp.MustCompile(`(?i)^.+?(\.(tar\.gz|zip|whl))$`)

// checkFilename is Warehouse's _validate_filename.
func checkFilename(filename, filetype string) *statusReply {
	if strings.ContainsFunc(filename, func(r rune) bool { return r < 32 || r == 127 }) {
		return badRequest("Cannot upload a file with non-printable characters (ordinals 0-31) or the DEL character (ordinal 127) in the name.")
	}
	if strings.ContainsAny(filename, `/\`) {
		return badRequest(`Cannot upload a file with '/' or '\' in the name.`)
	}
	m := distFileRe.FindStringSubmatch(filename)
	if m == nil {
		return badRequest("Invalid file extension: Use .tar.gz, .whl or .zip extension. See https://www.python.org/dev/peps/pep-0527 and https://peps.python.org/pep-0715/ for more information")
	}
	ext := m[1]
	allowed := filetype == "sdist" && (ext == ".zip" || ext == ".tar.gz") || filetype == "bdist_wheel" && ext == ".whl"
	if !allowed {
		return badRequest("Invalid file extension: Extension %s is invalid for filetype %s. See https://www.python.org/dev/peps/pep-0527 for more information.", ext, filetype)
	}
	return nil
}

// sizeProblem is Warehouse's per-chunk size check: the file limit, then the
// project's total, whichever the stream crosses first.
func sizeProblem(size, maxFile, total, maxProject int64, name string) string {
	chunkOf := func(n int64) int64 { return (n + hashChunk - 1) / hashChunk }
	fileOver, projectOver := size > maxFile, size+total > maxProject
	fileMsg := fmt.Sprintf("File too large. Limit for project %s is %d MB. See https://docs.pypi.org/project-management/storage-limits#requesting-a-file-size-limit-increase for more information.",
		pyRepr(name), maxFile/oneMiB)
	projectMsg := fmt.Sprintf("Project size too large. Limit for project %s total size is %d GB. See https://docs.pypi.org/project-management/storage-limits#requesting-a-project-size-limit-increase",
		pyRepr(name), maxProject/oneGiB)
	switch {
	case fileOver && projectOver:
		if chunkOf(maxFile+1) <= chunkOf(max(maxProject-total+1, 1)) {
			return fileMsg
		}
		return projectMsg
	case fileOver:
		return fileMsg
	case projectOver:
		return projectMsg
	}
	return ""
}

// checkArchive runs the checks on the file itself (no lock held):
// Warehouse's _is_valid_dist_file, then the filename rules, License-File
// presence, RECORD and METADATA, then attestations.
func (u *upload) checkArchive() *statusReply {
	filename, path := u.rec.filename, u.rec.tmpPath
	displayName := u.meta.get("name")
	normalized := normalizeName(displayName)
	if reason, ok := invalidDistFile(path, filename); !ok {
		return badRequest("Invalid distribution file. %s", reason)
	}
	licenseFiles := u.meta.lists["license_files"]
	if u.form.first("filetype") == "sdist" {
		nameFromFilename, _, ok := parseSdistFilename(filename)
		if !ok {
			return badRequest("Invalid source distribution filename: %s", filename)
		}
		if u.meta.version.hasPost && nameFromFilename != normalized && strings.Count(filename, "-") >= 2 {
			stem := filename[:strings.LastIndex(filename, "-")]
			nameFromFilename = normalizeName(stem[:max(strings.LastIndex(stem, "-"), 0)])
		}
		if nameFromFilename != u.project.normalized {
			return badRequest("Start filename for %s with %s.", pyRepr(displayName), pyRepr(strings.ReplaceAll(u.project.normalized, "-", "_")))
		}
		expected := strings.ReplaceAll(u.project.normalized, "-", "_") + "-" + u.meta.version.String() + ".tar.gz"
		if filename != expected {
			return badRequest("Filename %s is invalid, should be %s.", pyRepr(filename), pyRepr(expected))
		}
		if len(licenseFiles) > 0 {
			names, top, err := tarTopLevel(path)
			if err != nil {
				return badRequest("Invalid distribution file. None")
			}
			for _, lf := range licenseFiles {
				if target := pyJoin(top, lf); !names[target] {
					return badRequest("License-File %s does not exist in distribution file %s at %s", lf, filename, target)
				}
			}
		}
	}
	if strings.HasSuffix(filename, ".whl") {
		if rep := u.checkWheel(licenseFiles); rep != nil {
			return rep
		}
	}
	if raw, ok := u.form.last("attestations"); ok {
		if rep := u.checkAttestations(raw); rep != nil {
			return rep
		}
		u.attestations = raw
	}
	return nil
}

// checkWheel is the wheel part of Warehouse's checks after the archive is
// known to be a valid zip.
func (u *upload) checkWheel(licenseFiles []string) *statusReply {
	filename, path := u.rec.filename, u.rec.tmpPath
	displayName := u.meta.get("name")
	w, err := parseWheelFilename(filename)
	if err != nil {
		return badRequest("%s", err.Error())
	}
	for _, t := range w.tags {
		if !validPlatformTag(t.platform) {
			return badRequest("Binary wheel '%s' has an unsupported platform tag '%s'.", filename, t.platform)
		}
	}
	if canonical := normalizeName(displayName); canonical != w.name {
		return badRequest("Start filename for %s with %s.", pyRepr(displayName), pyRepr(strings.ReplaceAll(canonical, "-", "_")))
	}
	nameFromFilename, _, _ := strings.Cut(filename, "-")
	if want := strings.ReplaceAll(u.project.normalized, "-", "_"); nameFromFilename != want {
		return badRequest("Filename %s should contain the normalized project name %s, not %s.", pyRepr(filename), pyRepr(want), pyRepr(nameFromFilename))
	}
	if u.meta.version.canonical() != w.version.canonical() {
		return badRequest("Version in filename should be %s not %s.", pyRepr(u.meta.version.String()), pyRepr(w.version.String()))
	}
	parts := strings.SplitN(filename, "-", 3)
	distInfo := parts[0] + "-" + parts[1] + ".dist-info"
	zr, err := zip.OpenReader(path)
	if err != nil {
		return badRequest("Invalid distribution file. None")
	}
	defer zr.Close()
	names := zipNames(&zr.Reader)
	for _, lf := range licenseFiles {
		if target := distInfo + "/licenses/" + lf; !names[target] {
			return badRequest("License-File %s does not exist in distribution file %s at %s", lf, filename, target)
		}
	}
	record, ok, err := readZipMember(&zr.Reader, distInfo+"/RECORD", 64<<20)
	matches, readable := false, false
	if ok && err == nil {
		matches, readable = recordMatches(&zr.Reader, record, distInfo)
	}
	if !readable {
		return badRequest("Wheel '%s' does not contain the required RECORD file: %s/RECORD", filename, distInfo)
	}
	u.recordMismatch = !matches
	metadata, ok, err := readZipMember(&zr.Reader, distInfo+"/METADATA", 16<<20)
	if !ok {
		return badRequest("Wheel '%s' does not contain the required METADATA file: %s/METADATA", filename, distInfo)
	}
	if err != nil {
		return badRequest("Invalid distribution file. None")
	}
	u.metadata = metadata
	return nil
}

// commit stores the file (core.mu held).
func (u *upload) commit() *statusReply {
	c, s := u.s.core, u.s
	rel := storagePath(u.rec.blake2, u.rec.filename)
	dest := filepath.Join(c.dir, "packages", filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return reply(http.StatusInternalServerError, "storing the file: "+err.Error())
	}
	if err := os.Rename(u.rec.tmpPath, dest); err != nil {
		return reply(http.StatusInternalServerError, "storing the file: "+err.Error())
	}
	u.rec.tmpPath = ""
	sf := &storedFile{relPath: rel}
	if u.metadata != nil {
		if err := os.WriteFile(dest+".metadata", u.metadata, 0o644); err != nil {
			return reply(http.StatusInternalServerError, "storing the file: "+err.Error())
		}
		sum := sha256.Sum256(u.metadata)
		sf.metadata, sf.metadataSHA256 = u.metadata, hex.EncodeToString(sum[:])
	}
	p := u.project
	if u.newProject {
		c.projects[p.normalized] = p
	}
	p.name = u.meta.get("name")
	r := u.release
	if r == nil {
		r = &release{version: u.meta.version, meta: u.meta, created: s.now()}
		p.releases[u.meta.version.canonical()] = r
	}
	pyversion := u.form.first("pyversion")
	filetype := u.form.first("filetype")
	if filetype == "sdist" && pyversion == "" {
		pyversion = "source"
	}
	var fields []Field
	for _, f := range u.sent {
		if f.Name != ":action" {
			fields = append(fields, f)
		}
	}
	sf.File = File{
		Project:        p.normalized,
		Version:        r.versionString(),
		Filename:       u.rec.filename,
		PackageType:    filetype,
		PyVersion:      pyversion,
		Size:           u.rec.size,
		Digests:        Digests{SHA256: u.rec.sha256, BLAKE2b256: u.rec.blake2, MD5: u.rec.md5},
		Fields:         fields,
		URL:            s.URL + "/files/packages/" + escapePath(rel),
		Path:           dest,
		RequiresPython: r.meta.get("requires_python"),
		UploadedAt:     time.Now(),
		RecordMismatch: u.recordMismatch,
		Attestations:   u.attestations,
		Provenance:     u.provenance,
	}
	r.files = append(r.files, sf)
	if filetype == "sdist" {
		r.hasSdist = true
	}
	p.totalSize += sf.Size
	c.byFilename[sf.Filename] = sf
	c.byBlake2[sf.Digests.BLAKE2b256] = sf
	c.byPath[rel] = sf
	c.serial++
	p.serial = c.serial
	return nil
}

// escapePath escapes each segment of a slash-separated path for a URL.
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}
