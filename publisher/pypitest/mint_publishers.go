package pypitest

// Matching verified claims to a configured trusted publisher, after
// warehouse/oidc/models/{_core,github,gitlab}.py: check that the required
// claims exist, look the publisher up (repository, owner id, workflow file,
// then the most specific environment), then verify each claim. The error
// texts are Warehouse's: clients show them to users.

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// matchPublisher finds the publisher for claims, turning a matching pending
// publisher into a regular one first (creating its project), and returns the
// normalized projects a minted token may upload to, or anyProject, and the
// publisher itself. The caller holds o.mu.
func (o *oidcServer) matchPublisher(claims map[string]any, service string) ([]string, bool, *trustedPublisher, *mintError) {
	pending, err := o.findPublisher(claims, service, true)
	switch {
	case err == nil:
		tp := pending[0]
		if o.projectKnown(tp.project) {
			// Warehouse deletes a pending publisher whose project appeared
			// in the meantime.
			o.removePublisher(tp)
			return nil, false, nil, &mintError{code: "invalid-pending-publisher", description: "valid token, but project already exists",
				reason: fmt.Sprintf("pending publisher %s: project %q already exists", tp, tp.project)}
		}
		if err := o.createProject(tp.project); err != nil {
			return nil, false, nil, &mintError{code: "invalid-payload", description: err.Error(), reason: "creating the pending publisher's project"}
		}
		tp.pending = false
	case errors.Is(err, errReusedToken):
		return nil, false, nil, reuseError()
	}

	group, err := o.findPublisher(claims, service, false)
	if err != nil {
		if errors.Is(err, errReusedToken) {
			return nil, false, nil, reuseError()
		}
		return nil, false, nil, &mintError{code: "invalid-publisher",
			description: fmt.Sprintf("valid token, but no corresponding publisher (%s)", err), reason: err.Error()}
	}
	var projects []string
	seen := map[string]bool{}
	for _, tp := range group {
		if tp.project == "" {
			return nil, true, group[0], nil
		}
		n := tpNormalize(tp.project)
		if !seen[n] {
			seen[n] = true
			projects = append(projects, n)
		}
	}
	return projects, false, group[0], nil
}

func reuseError() *mintError {
	return &mintError{code: "invalid-reuse-token", description: "invalid token: already used", reason: "the jti was exchanged before"}
}

func (o *oidcServer) removePublisher(tp *trustedPublisher) {
	for i, p := range o.publishers {
		if p == tp {
			o.publishers = append(o.publishers[:i:i], o.publishers[i+1:]...)
			return
		}
	}
}

// findPublisher returns the publishers (pending or not) that claims select
// — several when they differ only by project, which on PyPI is one
// publisher with several projects — after verifying the claims against
// them. Errors are publisherError or errReusedToken.
func (o *oidcServer) findPublisher(claims map[string]any, service string, pending bool) ([]*trustedPublisher, error) {
	var candidates []*trustedPublisher
	for _, tp := range o.publishers {
		if tp.pending == pending && (tp.github != nil) == (service == "github") {
			candidates = append(candidates, tp)
		}
	}
	if service == "gitlab" {
		return o.findGitLab(claims, candidates)
	}
	return o.findGitHub(claims, candidates)
}

// claimString returns a claim as a string, numbers included, and whether
// it is present (a JSON null counts as absent, as in Warehouse).
func claimString(claims map[string]any, name string) (string, bool) {
	switch v := claims[name].(type) {
	case nil:
		return "", false
	case string:
		return v, true
	default:
		return jsonPyRepr(v), true
	}
}

func checkExistence(claims map[string]any, names ...string) error {
	for _, n := range names {
		if _, ok := claimString(claims, n); !ok {
			return publisherError(fmt.Sprintf("Missing claim %s", pyStrRepr(n)))
		}
	}
	return nil
}

// workflowFilenameRE is Warehouse's _WORKFLOW_FILENAME_RE, with the "@"
// lookahead consumed instead (Go has no lookaround).
var workflowFilenameRE = regexp.MustCompile(`[^/]+\.(?:yml|yaml)@`)

func (o *oidcServer) findGitHub(claims map[string]any, candidates []*trustedPublisher) ([]*trustedPublisher, error) {
	if err := checkExistence(claims, "sub", "repository", "repository_owner", "repository_owner_id",
		"job_workflow_ref", "jti", "event_name", "ref", "sha"); err != nil {
		return nil, err
	}
	repository, _ := claimString(claims, "repository")
	ownerID, _ := claimString(claims, "repository_owner_id")
	jobWorkflowRef, _ := claimString(claims, "job_workflow_ref")
	environment, _ := claimString(claims, "environment")
	owner, name, ok := strings.Cut(repository, "/")
	if !ok {
		return nil, publisherError("Publisher with matching claims was not found")
	}
	file := workflowFilenameRE.FindString(jobWorkflowRef)
	if file == "" {
		return nil, publisherError("Could not job extract workflow filename from OIDC claims")
	}
	file = strings.TrimSuffix(file, "@")

	var matches []*trustedPublisher
	for _, tp := range candidates {
		p := tp.github
		pOwner, pName, _ := strings.Cut(p.Repository, "/")
		if strings.EqualFold(pOwner, owner) && strings.EqualFold(pName, name) &&
			p.ownerID() == ownerID && p.Workflow == file {
			matches = append(matches, tp)
		}
	}
	group := byEnvironment(matches, environment, func(tp *trustedPublisher) string {
		return strings.ToLower(tp.github.Environment)
	}, strings.ToLower)
	if len(group) == 0 {
		return nil, publisherError("Publisher with matching claims was not found")
	}
	return group, o.verifyGitHub(group[0].github, claims)
}

// byEnvironment picks the most specific publishers: those constrained to
// the token's environment, else those with no environment.
func byEnvironment(matches []*trustedPublisher, env string, envOf func(*trustedPublisher) string, norm func(string) string) []*trustedPublisher {
	pick := func(want string) []*trustedPublisher {
		var out []*trustedPublisher
		for _, tp := range matches {
			if envOf(tp) == want {
				out = append(out, tp)
			}
		}
		return out
	}
	if env != "" {
		if g := pick(norm(env)); len(g) > 0 {
			return g
		}
	}
	return pick("")
}

func (o *oidcServer) verifyGitHub(p *GitHubPublisher, claims map[string]any) error {
	get := func(n string) string { s, _ := claimString(claims, n); return s }
	owner, name, _ := strings.Cut(p.Repository, "/")
	required := func(claim string, ok bool) error {
		if !ok {
			return publisherError(fmt.Sprintf("Check failed for required claim %s", pyStrRepr(claim)))
		}
		return nil
	}
	// sub: "repo:OWNER/NAME[:...]", only its first two parts are checked.
	parts := strings.Split(get("sub"), ":")
	subOK := len(parts) >= 2 && parts[0] != "" && parts[1] != "" &&
		strings.EqualFold(parts[0]+":"+parts[1], "repo:"+p.Repository)
	if err := required("sub", subOK); err != nil {
		return err
	}
	if err := required("repository", get("repository") != "" && strings.EqualFold(get("repository"), p.Repository)); err != nil {
		return err
	}
	// PyPI stores the owner's login as GitHub's API spells it, so its
	// exact comparison never trips on case; pypitest has no GitHub API and
	// compares case-insensitively instead (likewise in job_workflow_ref).
	if err := required("repository_owner", strings.EqualFold(get("repository_owner"), owner)); err != nil {
		return err
	}
	if err := required("repository_owner_id", get("repository_owner_id") == p.ownerID()); err != nil {
		return err
	}
	// job_workflow_ref: OWNER/NAME/.github/workflows/FILE@REF, REF being
	// the ref or the sha claim.
	jwr := get("job_workflow_ref")
	if jwr == "" {
		return publisherError("The job_workflow_ref claim is empty")
	}
	ref, sha := get("ref"), get("sha")
	if ref == "" && sha == "" {
		return publisherError("The ref and sha claims are empty")
	}
	base := owner + "/" + name + "/.github/workflows/" + p.Workflow
	if at := strings.LastIndex(jwr, "@"); at >= 0 && strings.EqualFold(jwr[:at], base) {
		base = jwr[:at]
	}
	if err := matchRefURI("job_workflow_ref", jwr, base, ref, sha); err != nil {
		return err
	}
	if err := o.checkJTI(claims); err != nil {
		return err
	}
	if get("event_name") == "pull_request_target" {
		return publisherError("Publishing from a workflow invoked via 'pull_request_target' is not supported.")
	}
	if p.Environment != "" {
		env := get("environment")
		if env == "" || !strings.EqualFold(env, p.Environment) {
			return publisherError("Check failed for optional claim 'environment'")
		}
	}
	return nil
}

// matchRefURI checks a "{base}@{ref or sha}" claim.
func matchRefURI(claim, got, base string, refs ...string) error {
	var expected []string
	for _, r := range refs {
		if r != "" {
			expected = append(expected, base+"@"+r)
		}
	}
	for _, e := range expected {
		if got == e {
			return nil
		}
	}
	sort.Strings(expected)
	quoted := make([]string, len(expected))
	for i, e := range expected {
		quoted[i] = pyStrRepr(e)
	}
	return publisherError(fmt.Sprintf("The %s claim does not match, expecting one of [%s], got %s",
		claim, strings.Join(quoted, ", "), pyStrRepr(got)))
}

func (o *oidcServer) checkJTI(claims map[string]any) error {
	jti, _ := claimString(claims, "jti")
	if until, used := o.usedJTIs[jti]; used && !o.opts.clock().After(until) {
		return errReusedToken
	}
	return nil
}

func (o *oidcServer) findGitLab(claims map[string]any, candidates []*trustedPublisher) ([]*trustedPublisher, error) {
	if err := checkExistence(claims, "sub", "project_path", "ci_config_ref_uri", "jti", "ref_path", "sha"); err != nil {
		return nil, err
	}
	projectPath, _ := claimString(claims, "project_path")
	uri, _ := claimString(claims, "ci_config_ref_uri")
	environment, _ := claimString(claims, "environment")
	if !strings.Contains(projectPath, "/") {
		return nil, publisherError("Publisher with matching claims was not found")
	}
	file := gitLabWorkflowPath(uri)
	if file == "" {
		return nil, publisherError("Could not extract workflow filename from OIDC claims")
	}
	var matches []*trustedPublisher
	for _, tp := range candidates {
		if strings.EqualFold(tp.gitlab.ProjectPath, projectPath) && tp.gitlab.WorkflowPath == file {
			matches = append(matches, tp)
		}
	}
	group := byEnvironment(matches, environment, func(tp *trustedPublisher) string {
		return tp.gitlab.Environment
	}, func(s string) string { return s })
	if len(group) == 0 {
		return nil, publisherError("Publisher with matching claims was not found")
	}
	return group, o.verifyGitLab(group[0].gitlab, claims)
}

var gitLabWorkflowPathRE = regexp.MustCompile(`^(.*[^/]\.(?:yml|yaml))@`)

// gitLabWorkflowPath extracts the CI file from a ci_config_ref_uri
// ("gitlab.com/NS/PROJECT//PATH/FILE.yml@REF"): the text after the first
// "//" that is followed by a .yml/.yaml path and "@", as Warehouse's
// _WORKFLOW_FILEPATH_RE does with its lookbehind.
func gitLabWorkflowPath(uri string) string {
	for i := 2; i <= len(uri); i++ {
		if uri[i-2:i] != "//" {
			continue
		}
		if m := gitLabWorkflowPathRE.FindStringSubmatch(uri[i:]); m != nil {
			return m[1]
		}
	}
	return ""
}

func (o *oidcServer) verifyGitLab(p *GitLabPublisher, claims map[string]any) error {
	get := func(n string) string { s, _ := claimString(claims, n); return s }
	parts := strings.Split(get("sub"), ":")
	if !(len(parts) >= 2 && parts[0] != "" && parts[1] != "" &&
		strings.EqualFold(parts[0]+":"+parts[1], "project_path:"+p.ProjectPath)) {
		return publisherError("Check failed for required claim 'sub'")
	}
	if pp := get("project_path"); pp == "" || !strings.EqualFold(pp, p.ProjectPath) {
		return publisherError("Check failed for required claim 'project_path'")
	}
	uri := get("ci_config_ref_uri")
	if uri == "" {
		return publisherError("The ci_config_ref_uri claim is empty")
	}
	refPath, sha := get("ref_path"), get("sha")
	if refPath == "" || sha == "" {
		return publisherError("The ref_path and sha claims are empty")
	}
	if err := matchRefURI("ci_config_ref_uri", uri, "gitlab.com/"+p.ProjectPath+"//"+p.WorkflowPath, refPath, sha); err != nil {
		return err
	}
	if err := o.checkJTI(claims); err != nil {
		return err
	}
	if p.Environment != "" && get("environment") != p.Environment {
		return publisherError("Check failed for optional claim 'environment'")
	}
	return nil
}

var tpNormalizeRE = regexp.MustCompile(`[-_.]+`)

// tpNormalize is PEP 503 name normalization.
func tpNormalize(name string) string {
	return strings.ToLower(tpNormalizeRE.ReplaceAllString(name, "-"))
}
