package pypitest

// Trusted publishing, the index side: GET /_/oidc/audience and
// POST /_/oidc/mint-token (mint.go), the configured trusted publishers, and
// the fake CI identity issuer (issuer.go) the index trusts.

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
)

// tpMode says whether the index offers trusted publishing.
type tpMode int

const (
	tpEnabled  tpMode = iota
	tpDisabled        // PyPI with the admin flag set: audience 403, mint not-enabled
	tpAbsent          // an index without trusted publishing: both endpoints 404
)

type oidcOptions struct {
	mode       tpMode
	audience   string
	lifetime   time.Duration
	publishers []*trustedPublisher // nil: DefaultPublisher
	claims     *Claims             // nil: derived from the first publisher
	changes    [][2]string         // WithClaim's, applied to claims in order
	issuer     *Issuer             // WithIssuer's; nil: the server starts its own
	clock      func() time.Time
}

func defaultOIDCOptions() oidcOptions {
	return oidcOptions{
		audience: "pypi",
		lifetime: DefaultMintedTokenLifetime,
		clock:    time.Now,
	}
}

// DefaultMintedTokenLifetime is how long a minted token is valid on PyPI.
const DefaultMintedTokenLifetime = 900 * time.Second

// leeway is the clock skew PyPI tolerates on "exp", "iat" and "nbf".
const leeway = 30 * time.Second

// WithAudience sets the audience the index announces and requires in ID
// tokens: "pypi" by default, "testpypi" for a TestPyPI look-alike.
func WithAudience(aud string) Option {
	return func(o *options) { o.oidc.audience = aud }
}

// WithTrustedPublishingDisabled makes the index behave as PyPI with trusted
// publishing switched off by its admins: GET /_/oidc/audience answers 403
// and mint-token refuses with "not-enabled".
func WithTrustedPublishingDisabled() Option {
	return func(o *options) { o.oidc.mode = tpDisabled }
}

// WithoutTrustedPublishing makes the index one that has no trusted
// publishing at all (devpi, pypiserver, Artifactory...): both endpoints
// answer 404. The fake issuer still runs: the CI job has an identity, the
// index just cannot use it.
func WithoutTrustedPublishing() Option {
	return func(o *options) { o.oidc.mode = tpAbsent }
}

// WithMintedTokenLifetime sets how long minted tokens are valid (PyPI:
// 900 s), so tests can see them expire.
func WithMintedTokenLifetime(d time.Duration) Option {
	return func(o *options) { o.oidc.lifetime = d }
}

// WithTrustedPublisher configures a GitHub Actions trusted publisher. Each
// call adds one; with none, the index has DefaultPublisher.
func WithTrustedPublisher(p GitHubPublisher) Option {
	return func(o *options) {
		o.oidc.publishers = append(o.oidc.publishers, &trustedPublisher{github: &p, project: p.Project, pending: p.Pending})
	}
}

// WithGitLabPublisher configures a GitLab CI trusted publisher. It replaces
// DefaultPublisher like WithTrustedPublisher does.
func WithGitLabPublisher(p GitLabPublisher) Option {
	return func(o *options) {
		o.oidc.publishers = append(o.oidc.publishers, &trustedPublisher{gitlab: &p, project: p.Project, pending: p.Pending})
	}
}

// WithIssuerClaims sets the claims the fake issuer asserts at start. Without
// it they are the claims the first configured publisher accepts
// (GitHubPublisher.Claims, GitLabPublisher.Claims), or DefaultClaims.
func WithIssuerClaims(c Claims) Option {
	return func(o *options) { o.oidc.claims = &c }
}

// WithClaim changes one claim the issuer asserts at start, on top of the
// claims of the first configured publisher (or WithIssuerClaims'), as
// Claims.With does: a repository, workflow, environment, ref or event other
// than the publisher's, to rehearse the refusal PyPI gives such a job. Each
// call changes one; Start fails on a name or value Claims.With refuses.
func WithClaim(name, value string) Option {
	return func(o *options) { o.oidc.changes = append(o.oidc.changes, [2]string{name, value}) }
}

// WithIssuer makes the index trust issuer, another server's Issuer, instead
// of starting its own: several indexes (a TestPyPI and a PyPI look-alike,
// say) then accept the identity tokens of one CI job, as TestPyPI and PyPI
// both accept GitHub's. The index's Issuer is that issuer and its fake
// Sigstore trusts it. The issuer keeps its claims and clock (it cannot be
// combined with WithIssuerClaims or WithClaim: change the claims with
// Issuer.SetClaims) and stops when the server that started it is closed:
// close that one last (NewServer's cleanups do, when it was started first).
func WithIssuer(issuer *Issuer) Option {
	return func(o *options) { o.oidc.issuer = issuer }
}

// WithClock sets the index's clock: the times in the issuer's ID tokens,
// their verification at mint-token, and API tokens' expiry at upload (the
// core reads it through Server.now). Tests use it to cross the 30 s leeway
// or a minted token's lifetime without sleeping.
func WithClock(now func() time.Time) Option {
	return func(o *options) { o.oidc.clock = now }
}

// GitHubPublisher is a trusted publisher for GitHub Actions, as configured
// on PyPI's "Publishing" page.
type GitHubPublisher struct {
	// Repository is "owner/name" (compared case-insensitively).
	Repository string
	// Workflow is the workflow's file name in .github/workflows, e.g.
	// "release.yml". With reusable workflows PyPI matches the called
	// workflow (the job_workflow_ref claim), not the caller.
	Workflow string
	// Environment, if set, is the GitHub environment the job must run in
	// (compared case-insensitively).
	Environment string
	// OwnerID is the repository_owner_id claim PyPI pins. Empty: the
	// same id the issuer derives from the owner's name, so it matches
	// GitHubPublisher.Claims.
	OwnerID string
	// Project is the PyPI project the minted token may upload to. Empty
	// (a pypitest extension): any project, new ones included.
	Project string
	// Pending makes it a pending publisher: its first mint creates
	// Project, so a first release can be uploaded with a minted token.
	// Without it, a minted token cannot create Project (the upload endpoint
	// refuses "Non-user identities cannot create new projects").
	Pending bool
}

// GitLabPublisher is a trusted publisher for GitLab CI/CD.
type GitLabPublisher struct {
	// ProjectPath is the GitLab project, "namespace/project" (the
	// namespace may have subgroups), compared case-insensitively.
	ProjectPath string
	// WorkflowPath is the CI configuration file, e.g. ".gitlab-ci.yml".
	WorkflowPath string
	// Environment, if set, is the GitLab environment the job must deploy
	// to (compared exactly, as PyPI does).
	Environment string
	// Project and Pending are as in GitHubPublisher.
	Project string
	Pending bool
}

func (p GitHubPublisher) ownerID() string {
	if p.OwnerID != "" {
		return p.OwnerID
	}
	owner, _, _ := strings.Cut(p.Repository, "/")
	return derivedID("owner:" + strings.ToLower(owner))
}

// derivedID is a stable fake numeric GitHub id for a name.
func derivedID(name string) string {
	var h uint32 = 2166136261 // FNV-1a
	for i := 0; i < len(name); i++ {
		h ^= uint32(name[i])
		h *= 16777619
	}
	return fmt.Sprint(1000 + h%90000000)
}

var (
	ghNamePart   = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	workflowFile = regexp.MustCompile(`^[^/]+\.(yml|yaml)$`)
)

func (p GitHubPublisher) validate() error {
	owner, name, ok := strings.Cut(p.Repository, "/")
	if !ok || !ghNamePart.MatchString(owner) || !ghNamePart.MatchString(name) {
		return fmt.Errorf("repository %q: want owner/name, e.g. octo-org/demo", p.Repository)
	}
	if !workflowFile.MatchString(p.Workflow) {
		return fmt.Errorf("workflow %q: want the file name of a workflow in .github/workflows, e.g. release.yml", p.Workflow)
	}
	if p.Pending && p.Project == "" {
		return errors.New("a pending publisher needs the project it will create")
	}
	return nil
}

func (p GitLabPublisher) validate() error {
	ns, name, ok := cutLast(p.ProjectPath, "/")
	if !ok || ns == "" || name == "" {
		return fmt.Errorf("project path %q: want namespace/project, e.g. group/demo", p.ProjectPath)
	}
	if !strings.HasSuffix(p.WorkflowPath, ".yml") && !strings.HasSuffix(p.WorkflowPath, ".yaml") ||
		strings.HasPrefix(p.WorkflowPath, "/") {
		return fmt.Errorf("workflow path %q: want the CI file's path in the repository, e.g. .gitlab-ci.yml", p.WorkflowPath)
	}
	if p.Pending && p.Project == "" {
		return errors.New("a pending publisher needs the project it will create")
	}
	return nil
}

func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}

// ParsePublisherSpec parses a GitHub trusted publisher written as
// comma-separated key=value pairs, the serve command's --trusted-publisher:
//
//	repository=octo-org/demo,workflow=release.yml[,environment=pypi][,project=demo-py][,owner_id=123][,pending=true]
//
// repository and workflow are required. Without project, the publisher may
// upload to any project and create new ones; with pending=true, its first
// mint creates project (see GitHubPublisher).
func ParsePublisherSpec(spec string) (GitHubPublisher, error) {
	var p GitHubPublisher
	pairs, err := specPairs(spec, "trusted publisher", "keys: repository, workflow, environment, project, owner_id, pending")
	if err != nil {
		return p, err
	}
	for _, kv := range pairs {
		k, v := kv[0], kv[1]
		switch k {
		case "repository", "repo":
			p.Repository = v
		case "workflow":
			p.Workflow = strings.TrimPrefix(v, ".github/workflows/")
		case "environment", "env":
			p.Environment = v
		case "project":
			p.Project = v
		case "owner_id", "owner-id":
			if strings.Trim(v, "0123456789") != "" {
				return p, fmt.Errorf("trusted publisher %q: owner_id %q must be the numeric GitHub id of the owner", spec, v)
			}
			p.OwnerID = v
		case "pending":
			pending, err := parseSpecBool(v)
			if err != nil {
				return p, fmt.Errorf("trusted publisher %q: pending=%q: %w", spec, v, err)
			}
			p.Pending = pending
		default:
			return p, fmt.Errorf("trusted publisher %q: unknown key %q (keys: repository, workflow, environment, project, owner_id, pending)", spec, k)
		}
	}
	if p.Repository == "" || p.Workflow == "" {
		return p, fmt.Errorf("trusted publisher %q: repository and workflow are required, e.g. repository=octo-org/demo,workflow=release.yml", spec)
	}
	if err := p.validate(); err != nil {
		return p, fmt.Errorf("trusted publisher %q: %w", spec, err)
	}
	return p, nil
}

// ParseGitLabPublisherSpec parses a GitLab trusted publisher written as
// comma-separated key=value pairs:
//
//	project_path=group/demo,workflow=.gitlab-ci.yml[,environment=pypi][,project=demo-py][,pending=true]
//
// project_path and workflow (the CI file's path in the repository) are
// required; project and pending are as in ParsePublisherSpec.
func ParseGitLabPublisherSpec(spec string) (GitLabPublisher, error) {
	var p GitLabPublisher
	const keys = "keys: project_path, workflow, environment, project, pending"
	pairs, err := specPairs(spec, "GitLab trusted publisher", keys)
	if err != nil {
		return p, err
	}
	for _, kv := range pairs {
		k, v := kv[0], kv[1]
		switch k {
		case "project_path", "project-path":
			p.ProjectPath = v
		case "workflow", "workflow_path":
			p.WorkflowPath = v
		case "environment", "env":
			p.Environment = v
		case "project":
			p.Project = v
		case "pending":
			pending, err := parseSpecBool(v)
			if err != nil {
				return p, fmt.Errorf("GitLab trusted publisher %q: pending=%q: %w", spec, v, err)
			}
			p.Pending = pending
		default:
			return p, fmt.Errorf("GitLab trusted publisher %q: unknown key %q (%s)", spec, k, keys)
		}
	}
	if p.ProjectPath == "" || p.WorkflowPath == "" {
		return p, fmt.Errorf("GitLab trusted publisher %q: project_path and workflow are required, e.g. project_path=group/demo,workflow=.gitlab-ci.yml", spec)
	}
	if err := p.validate(); err != nil {
		return p, fmt.Errorf("GitLab trusted publisher %q: %w", spec, err)
	}
	return p, nil
}

// specPairs splits a publisher spec into its key=value pairs, in order,
// refusing a pair without a value and a key given twice. what names the
// kind of publisher and keys lists the known keys, for the errors.
func specPairs(spec, what, keys string) ([][2]string, error) {
	var pairs [][2]string
	seen := map[string]bool{}
	for _, pair := range strings.Split(spec, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		k, v, ok := strings.Cut(pair, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || v == "" {
			return nil, fmt.Errorf("%s %q: %q is not key=value (%s)", what, spec, pair, keys)
		}
		if seen[k] {
			return nil, fmt.Errorf("%s %q: %s given twice", what, spec, k)
		}
		seen[k] = true
		pairs = append(pairs, [2]string{k, v})
	}
	return pairs, nil
}

func parseSpecBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "true", "yes", "1":
		return true, nil
	case "false", "no", "0":
		return false, nil
	}
	return false, errors.New("want true or false")
}

// trustedPublisher is one configured publisher; pending ones turn into
// regular ones on their first mint.
type trustedPublisher struct {
	github  *GitHubPublisher
	gitlab  *GitLabPublisher
	project string // as configured; "" = any
	pending bool
}

func (tp *trustedPublisher) validate() error {
	if tp.github != nil {
		return tp.github.validate()
	}
	return tp.gitlab.validate()
}

func (tp *trustedPublisher) String() string {
	if tp.github != nil {
		return "GitHub " + tp.github.Repository + " " + tp.github.Workflow
	}
	return "GitLab " + tp.gitlab.ProjectPath + " " + tp.gitlab.WorkflowPath
}

// OIDCStats counts what the trusted publishing endpoints did.
type OIDCStats struct {
	AudienceRequests int
	MintRequests     int // every POST to mint-token
	Minted           int // tokens minted
	InjectedFailures int // mint requests answered by FailMintNext
	// Errors counts refusals by error code ("invalid-token"...).
	Errors map[string]int
	// Exchanges counts mint requests per JWT "jti": a client must never
	// present the same ID token twice.
	Exchanges map[string]int
	// Refusals lists every refusal with the reason the index found, which
	// for "invalid-token" is more than PyPI tells the client.
	Refusals []MintRefusal
}

// MintRefusal is one refused mint request.
type MintRefusal struct {
	Code        string // as sent, e.g. "invalid-token"
	Description string // as sent
	Reason      string // what exactly failed (not sent: PyPI does not say)
}

// oidcServer serves the index's trusted publishing endpoints.
type oidcServer struct {
	issuer     *Issuer
	ownsIssuer bool // false: WithIssuer's, closed by the server that started it
	opts       oidcOptions
	audience   string
	issuers    map[string]bool // the allow-list of "iss" values
	keys       *keyCache
	tokens     *tokenStore
	counters   *serverStats // the core's counters (server.go)

	// Projects created by pending publishers' first mint, which the core
	// materializes on their first upload (it calls projectExists with its
	// lock held), and the core's own projects.
	projectExists  func(name string) bool
	createProject  func(name string) error
	coreHasProject func(name string) bool

	mu         sync.Mutex
	publishers []*trustedPublisher
	usedJTIs   map[string]time.Time // jti → when it may be forgotten
	failNext   int
	failStatus int
	stats      OIDCStats
}

func newOIDCServer(s *Server) (*oidcServer, error) {
	opts := s.opts.oidc
	if opts.clock == nil {
		opts.clock = time.Now
	}
	if opts.audience == "" {
		return nil, errors.New("trusted publishing: the audience must not be empty")
	}
	if opts.lifetime <= 0 {
		return nil, fmt.Errorf("trusted publishing: minted token lifetime %v must be positive", opts.lifetime)
	}
	publishers := opts.publishers
	if len(publishers) == 0 {
		p := DefaultPublisher()
		publishers = []*trustedPublisher{{github: &p}}
	}
	for _, tp := range publishers {
		if err := tp.validate(); err != nil {
			return nil, fmt.Errorf("trusted publisher %s: %w", tp, err)
		}
	}
	iss, owned := opts.issuer, false
	if iss != nil {
		if opts.claims != nil || len(opts.changes) > 0 {
			return nil, errors.New("trusted publishing: WithIssuer shares another server's issuer and its claims; " +
				"change them with Issuer.SetClaims instead of WithIssuerClaims or WithClaim")
		}
	} else {
		var claims Claims
		switch {
		case opts.claims != nil:
			claims = *opts.claims
		case publishers[0].github != nil:
			claims = publishers[0].github.Claims()
		case publishers[0].gitlab != nil:
			claims = publishers[0].gitlab.Claims()
		default:
			claims = DefaultClaims()
		}
		for _, ch := range opts.changes {
			var err error
			if claims, err = claims.With(ch[0], ch[1]); err != nil {
				return nil, fmt.Errorf("trusted publishing: WithClaim: %w", err)
			}
		}
		var err error
		if iss, err = startIssuer(opts.clock, claims); err != nil {
			return nil, err
		}
		owned = true
	}
	o := &oidcServer{
		issuer:     iss,
		ownsIssuer: owned,
		opts:       opts,
		audience:   opts.audience,
		issuers:    map[string]bool{iss.URL: true},
		keys:       newKeyCache(opts.clock),
		tokens:     s.tokens,
		counters:   &s.stats,
		publishers: publishers,
		usedJTIs:   map[string]time.Time{},
		stats:      OIDCStats{Errors: map[string]int{}, Exchanges: map[string]int{}},
	}
	o.projectExists, o.createProject = s.oidcProjectRegistry()
	o.coreHasProject = func(name string) bool {
		s.core.mu.Lock()
		defer s.core.mu.Unlock()
		return s.core.projects[normalizeName(name)] != nil
	}
	return o, nil
}

// projectKnown reports whether a project exists on the index, or will on
// the first upload because a pending publisher created it.
func (o *oidcServer) projectKnown(name string) bool {
	return o.projectExists(name) || o.coreHasProject(name)
}

// oidcProjectRegistry records the projects pending publishers create when
// they mint: exists reports one by any spelling of its name.
func (s *Server) oidcProjectRegistry() (exists func(string) bool, create func(string) error) {
	var mu sync.Mutex
	projects := map[string]bool{}
	exists = func(name string) bool {
		mu.Lock()
		defer mu.Unlock()
		return projects[tpNormalize(name)]
	}
	create = func(name string) error {
		mu.Lock()
		defer mu.Unlock()
		projects[tpNormalize(name)] = true
		return nil
	}
	return exists, create
}

func (o *oidcServer) close() {
	if o.ownsIssuer {
		o.issuer.close()
	}
}

// handleAudience is GET /_/oidc/audience.
func (o *oidcServer) handleAudience(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	o.stats.AudienceRequests++
	o.mu.Unlock()
	o.counters.audienceCalls.Add(1)
	switch o.opts.mode {
	case tpAbsent:
		http.NotFound(w, r)
	case tpDisabled:
		writeOIDCJSON(w, http.StatusForbidden, map[string]string{"message": "Trusted publishing functionality not enabled"})
	default:
		writeOIDCJSON(w, http.StatusOK, map[string]string{"audience": o.audience})
	}
}

// FailMintNext makes the next n mint-token requests answer status (e.g.
// 503) before looking at them; their ID tokens are not consumed.
func (s *Server) FailMintNext(n, status int) {
	s.oidc.mu.Lock()
	defer s.oidc.mu.Unlock()
	s.oidc.failNext, s.oidc.failStatus = n, status
}

// OIDCStats returns what the trusted publishing endpoints did so far.
func (s *Server) OIDCStats() OIDCStats {
	o := s.oidc
	o.mu.Lock()
	defer o.mu.Unlock()
	st := o.stats
	st.Errors = make(map[string]int, len(o.stats.Errors))
	for k, v := range o.stats.Errors {
		st.Errors[k] = v
	}
	st.Exchanges = make(map[string]int, len(o.stats.Exchanges))
	for k, v := range o.stats.Exchanges {
		st.Exchanges[k] = v
	}
	st.Refusals = append([]MintRefusal(nil), o.stats.Refusals...)
	return st
}

// oidcMayCreateProject reports whether trusted publishing lets an upload
// authenticated by t create a project that does not exist yet. A minted
// token may not: PyPI answers "Non-user identities cannot create new
// projects..." (a pending publisher creates its project when it mints
// instead). The exception is a token from a publisher configured without a
// project, a pypitest extension for demos and `goreleaser-pypi serve`,
// where it behaves as a pending publisher for any name. Tokens not minted
// are the core's business: this returns true for them.
func (t *apiToken) oidcMayCreateProject() bool { return !t.minted || len(t.projects) == 0 }
