package pypitest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/caarlos0/log"
)

// coreOptions configures the upload endpoint and the read side.
type coreOptions struct {
	tokens         []*apiToken
	users          []*passwordUser
	projects       []projectSeed
	maxFileSize    int64
	maxProjectSize int64
	storageDir     string
	helpURL        string
	logger         log.Interface
}

type projectSeed struct{ name, ownerToken string }

// defaultUser owns the tokens given with WithToken.
const defaultUser = "pypitest"

func defaultCoreOptions() coreOptions {
	return coreOptions{
		maxFileSize:    100 << 20,
		maxProjectSize: 10 << 30,
		helpURL:        "https://pypi.org/help/",
	}
}

// WithToken makes the index accept an API token (sent as password with
// username __token__, as PyPI's are). Without projects the token may
// upload to any project its user (a fixed user named "pypitest") owns and
// create new ones; with projects it is scoped to them, as a project-scoped
// PyPI token is. The value may be anything; PyPI's start with "pypi-".
func WithToken(value string, projects ...string) Option {
	return WithUserToken(defaultUser, value, projects...)
}

// WithUserToken is WithToken for a token belonging to another user: that
// user owns the projects its uploads create and may not upload to other
// users' projects ("The user 'x' isn't allowed to upload to project ...").
func WithUserToken(user, value string, projects ...string) Option {
	return func(o *options) {
		o.core.tokens = append(o.core.tokens, &apiToken{value: value, user: user, projects: normalizeAll(projects)})
	}
}

// WithExpiringToken is WithToken with an expiry: after it the index refuses
// the token with "Invalid API Token: token is expired".
func WithExpiringToken(value string, expires time.Time, projects ...string) Option {
	return func(o *options) {
		o.core.tokens = append(o.core.tokens, &apiToken{value: value, user: defaultUser, projects: normalizeAll(projects), expires: expires})
	}
}

// WithProject creates a project before any upload, owned by the user of
// ownerToken (a token given with WithToken or WithUserToken). Trusted
// publishing can only upload to existing projects.
func WithProject(name, ownerToken string) Option {
	return func(o *options) { o.core.projects = append(o.core.projects, projectSeed{name, ownerToken}) }
}

// WithMaxFileSize sets the per-file upload limit (PyPI's default: 100 MiB).
func WithMaxFileSize(n int64) Option { return func(o *options) { o.core.maxFileSize = n } }

// WithMaxProjectSize sets the total size limit per project (PyPI's
// default: 10 GiB).
func WithMaxProjectSize(n int64) Option { return func(o *options) { o.core.maxProjectSize = n } }

// WithStorageDir stores uploaded files under dir instead of a temporary
// directory removed on Close. The directory is created if needed and kept.
func WithStorageDir(dir string) Option { return func(o *options) { o.core.storageDir = dir } }

// WithHelpURL sets the help page messages point to (default
// "https://pypi.org/help/"; TestPyPI's is "https://test.pypi.org/help/").
func WithHelpURL(base string) Option {
	return func(o *options) {
		if !strings.HasSuffix(base, "/") {
			base += "/"
		}
		o.core.helpURL = base
	}
}

// WithLogger logs every request and upload outcome (caarlos0/log fields).
// Without it the index is silent. Authorization headers are never logged.
func WithLogger(l log.Interface) Option { return func(o *options) { o.core.logger = l } }

func normalizeAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = normalizeName(n)
	}
	return out
}

// core is the upload/read state of a Server.
type core struct {
	mu         sync.Mutex
	projects   map[string]*project // by normalized name
	byFilename map[string]*storedFile
	byBlake2   map[string]*storedFile
	byPath     map[string]*storedFile // storage path relative to files dir
	deleted    map[string]bool        // filenames that may never be reused
	serial     int
	dir        string // storage root
	ownDir     bool   // created by us: removed on Close

	logMu    sync.Mutex
	requests []*requestEntry
	attempts int
	perFile  map[string]int

	faults *Faults
}

func (s *Server) initCore() error {
	c := &core{
		projects:   map[string]*project{},
		byFilename: map[string]*storedFile{},
		byBlake2:   map[string]*storedFile{},
		byPath:     map[string]*storedFile{},
		deleted:    map[string]bool{},
		perFile:    map[string]int{},
		faults:     &Faults{},
	}
	o := s.opts.core
	if o.storageDir != "" {
		if err := os.MkdirAll(o.storageDir, 0o755); err != nil {
			return fmt.Errorf("creating storage directory: %w", err)
		}
		c.dir = o.storageDir
	} else {
		dir, err := os.MkdirTemp("", "pypitest-")
		if err != nil {
			return fmt.Errorf("creating storage directory: %w", err)
		}
		c.dir, c.ownDir = dir, true
	}
	for _, sub := range []string{"packages", "tmp"} {
		if err := os.MkdirAll(filepath.Join(c.dir, sub), 0o755); err != nil {
			return fmt.Errorf("creating storage directory: %w", err)
		}
	}
	for _, t := range o.tokens {
		s.tokens.add(t)
	}
	for _, p := range o.projects {
		t, ok := s.tokens.lookup(p.ownerToken)
		if !ok || t.minted {
			c.removeOwnDir()
			return fmt.Errorf("WithProject(%q): the owner token is not one given with WithToken or WithUserToken", p.name)
		}
		if !validProjectName(p.name) {
			c.removeOwnDir()
			return fmt.Errorf("WithProject(%q): not a valid project name", p.name)
		}
		n := normalizeName(p.name)
		if c.projects[n] == nil {
			c.projects[n] = newProject(p.name, t.user)
		}
	}
	s.core = c
	return nil
}

func (c *core) removeOwnDir() {
	if c.ownDir {
		_ = os.RemoveAll(c.dir)
	}
}

func (s *Server) closeCore() {
	if s.core != nil {
		s.core.removeOwnDir()
	}
}

func (s *Server) registerCore(mux *http.ServeMux) {
	mux.HandleFunc("POST /legacy/", s.handleUpload)
	mux.HandleFunc("POST /legacy", s.handleMissingSlash)
	mux.HandleFunc("GET /simple/{$}", s.handleSimpleIndex)
	mux.HandleFunc("GET /simple/{project}/{$}", s.handleSimpleProject)
	mux.HandleFunc("GET /simple/{project}", s.handleSimpleNoSlash)
	mux.HandleFunc("GET /files/packages/{path...}", s.handleFile)
	mux.HandleFunc("GET /pypi/{project}/json", s.handleJSONProject)
	mux.HandleFunc("GET /pypi/{project}/{version}/json", s.handleJSONRelease)
}

// now is the index's clock (WithClock's, when set).
func (s *Server) now() time.Time {
	if s.opts.oidc.clock != nil {
		return s.opts.oidc.clock()
	}
	return time.Now()
}

// helpURL is Warehouse's request.help_url(_anchor=anchor).
func (s *Server) helpURL(anchor string) string { return s.opts.core.helpURL + "#" + anchor }

// Request is one HTTP request the index received.
type Request struct {
	Time     time.Time
	Method   string
	Path     string
	RawQuery string
	Host     string
	// Authorization is the Authorization header as received ("" when
	// absent), so tests can check a credential never went where it
	// should not. It is never logged.
	Authorization string
	// UserAgent is the User-Agent header as received.
	UserAgent string
	// Status is the status code answered; 0 when no response was sent
	// (the connection was dropped, or the request is still in flight).
	Status int
}

type requestKey struct{}

// requestEntry is the log entry of a request, recorded when it arrives.
type requestEntry struct {
	mu  sync.Mutex
	req Request
}

// noteStatus records the status sent for r (also for hijacked replies).
func noteStatus(r *http.Request, status int) {
	if e, ok := r.Context().Value(requestKey{}).(*requestEntry); ok {
		e.mu.Lock()
		e.req.Status = status
		e.mu.Unlock()
	}
}

// statusRecorder notes the status of ordinary responses and passes
// hijacking through.
type statusRecorder struct {
	http.ResponseWriter
	r *http.Request
}

func (sr *statusRecorder) WriteHeader(code int) {
	noteStatus(sr.r, code)
	sr.ResponseWriter.WriteHeader(code)
}

func (sr *statusRecorder) Write(b []byte) (int, error) {
	if e, ok := sr.r.Context().Value(requestKey{}).(*requestEntry); ok {
		e.mu.Lock()
		if e.req.Status == 0 {
			e.req.Status = http.StatusOK
		}
		e.mu.Unlock()
	}
	return sr.ResponseWriter.Write(b)
}

func (sr *statusRecorder) Flush() {
	if f, ok := sr.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (sr *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := sr.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, fmt.Errorf("hijacking not supported")
	}
	return hj.Hijack()
}

// wrap logs every request, applies injected faults and serves the handler.
func (s *Server) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		entry := &requestEntry{req: Request{
			Time: start, Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Host: r.Host,
			Authorization: r.Header.Get("Authorization"), UserAgent: r.Header.Get("User-Agent"),
		}}
		s.core.logMu.Lock()
		s.core.requests = append(s.core.requests, entry)
		s.core.logMu.Unlock()
		r = r.WithContext(context.WithValue(r.Context(), requestKey{}, entry))
		rec := &statusRecorder{ResponseWriter: w, r: r}
		defer func() {
			if l := s.opts.core.logger; l != nil {
				entry.mu.Lock()
				status := entry.req.Status
				entry.mu.Unlock()
				l.WithField("method", r.Method).WithField("path", r.URL.Path).WithField("status", status).
					WithField("duration", time.Since(start).Round(time.Millisecond)).Debug("request")
			}
		}()
		if r.Method == http.MethodPost && r.URL.Path == "/legacy/" {
			h.ServeHTTP(rec, r) // the upload handler applies faults itself: some need the filename
			return
		}
		if f := s.core.faults.take(r.URL.Path, ""); f != nil {
			if s.applyFault(rec, r, f, func(w http.ResponseWriter) { h.ServeHTTP(w, r) }) {
				return
			}
		}
		h.ServeHTTP(rec, r)
	})
}

// Requests returns every request received so far, oldest first.
func (s *Server) Requests() []Request {
	s.core.logMu.Lock()
	entries := append([]*requestEntry(nil), s.core.requests...)
	s.core.logMu.Unlock()
	reqs := make([]Request, len(entries))
	for i, e := range entries {
		e.mu.Lock()
		reqs[i] = e.req
		e.mu.Unlock()
	}
	return reqs
}

// UploadAttempts returns how many upload requests arrived, in total and
// per distribution filename (counted once the file part's name is known).
func (s *Server) UploadAttempts() (total int, perFile map[string]int) {
	s.core.logMu.Lock()
	defer s.core.logMu.Unlock()
	perFile = make(map[string]int, len(s.core.perFile))
	for k, v := range s.core.perFile {
		perFile[k] = v
	}
	return s.core.attempts, perFile
}

// Stats are counters of what the index did.
type Stats struct {
	UploadAttempts int   // POST /legacy/ requests
	FilesStored    int   // distribution files the index holds
	Mints          int64 // tokens minted by trusted publishing
	AudienceCalls  int64 // GET /_/oidc/audience requests
}

// Stats returns the index's counters.
func (s *Server) Stats() Stats {
	total, _ := s.UploadAttempts()
	s.core.mu.Lock()
	stored := len(s.core.byFilename)
	s.core.mu.Unlock()
	return Stats{UploadAttempts: total, FilesStored: stored, Mints: s.stats.mints.Load(), AudienceCalls: s.stats.audienceCalls.Load()}
}
