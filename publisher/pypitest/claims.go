package pypitest

// Changing one fact of the run an ID token describes, so that a rehearsal
// can show the refusal PyPI gives a job that does not match its trusted
// publisher: another workflow, another environment, a branch instead of a
// tag, a pull_request_target event.

import (
	"fmt"
	"regexp"
	"strings"
)

// ClaimNames lists the names Claims.With, WithClaim and `goreleaser-pypi
// serve --claim` understand, in the order they are documented.
var ClaimNames = []string{
	"repository", "repository_owner_id", "workflow", "workflow_ref", "job_workflow_ref",
	"environment", "ref", "sha", "event_name",
}

var (
	fullRef = regexp.MustCompile(`^refs/(tags|heads|pull)/\S+$`)
	hexSHA  = regexp.MustCompile(`^[0-9a-f]{40}$`)
)

// With returns c with one fact of a GitHub Actions run changed the way it
// would change on GitHub, keeping the claims derived from it consistent:
//
//   - repository=OWNER/NAME: repository, repository_owner, the owner's and
//     the repository's ids, and the repository in workflow_ref and
//     job_workflow_ref (when they name the old repository);
//   - repository_owner_id=DIGITS: the id PyPI pins to the owner (another id
//     is a deleted and re-created account);
//   - workflow=FILE: the workflow file the job runs in (e.g. "ci.yml"):
//     workflow_ref and job_workflow_ref, at the current ref;
//   - workflow_ref=OWNER/NAME/.github/workflows/FILE@REF and
//     job_workflow_ref=...: one of them as written; a job_workflow_ref
//     other than workflow_ref is a job in a reusable workflow;
//   - environment=NAME: the deployment environment; empty: none;
//   - ref=refs/tags/v1.0.0 or refs/heads/main: ref, ref_type, and the ref
//     in workflow_ref and job_workflow_ref (when they are at the old ref);
//   - sha=40 hex digits: the commit;
//   - event_name=EVENT: "push", "release", "workflow_dispatch",
//     "pull_request_target"... (alias "event").
//
// An empty value removes the claim (except for repository and workflow,
// which need one), to rehearse a token that lacks it. Claims of a GitLab
// CI job (ProjectPath set) cannot be changed this way: set their fields.
func (c Claims) With(name, value string) (Claims, error) {
	value = strings.TrimSpace(value)
	if c.gitLab() {
		return c, fmt.Errorf("claim %s: these claims describe a GitLab CI job (project_path %s); claim changes describe GitHub Actions runs", name, c.ProjectPath)
	}
	switch name {
	case "repository", "repo":
		owner, repo, ok := strings.Cut(value, "/")
		if !ok || !ghNamePart.MatchString(owner) || !ghNamePart.MatchString(repo) {
			return c, fmt.Errorf("repository %q: want owner/name, e.g. octo-org/demo", value)
		}
		old := c.Repository
		c.Repository, c.RepositoryOwner = value, owner
		c.RepositoryOwnerID = GitHubPublisher{Repository: value}.ownerID()
		c.RepositoryID = derivedID("repository:" + strings.ToLower(value))
		c.WorkflowRef = replaceWorkflowRepository(c.WorkflowRef, old, value)
		c.JobWorkflowRef = replaceWorkflowRepository(c.JobWorkflowRef, old, value)
	case "repository_owner_id", "owner_id":
		if value != "" && strings.Trim(value, "0123456789") != "" {
			return c, fmt.Errorf("repository_owner_id %q: want the numeric GitHub id of the owner", value)
		}
		c.RepositoryOwnerID = value
	case "workflow":
		file := strings.TrimPrefix(value, ".github/workflows/")
		if !workflowFile.MatchString(file) {
			return c, fmt.Errorf("workflow %q: want the file name of a workflow in .github/workflows, e.g. release.yml", value)
		}
		if c.Repository == "" {
			return c, fmt.Errorf("workflow %q: the claims name no repository; set repository first", value)
		}
		ref := workflowRefAt(c.JobWorkflowRef)
		if ref == "" {
			ref = c.Ref
		}
		c.WorkflowRef = c.Repository + "/.github/workflows/" + file + "@" + ref
		c.JobWorkflowRef = c.WorkflowRef
	case "workflow_ref", "job_workflow_ref":
		if value != "" && !workflowFilenameRE.MatchString(value) {
			return c, fmt.Errorf("%s %q: want OWNER/NAME/.github/workflows/FILE.yml@REF, e.g. octo-org/demo/.github/workflows/release.yml@refs/tags/v1.0.0", name, value)
		}
		if name == "workflow_ref" {
			c.WorkflowRef = value
		} else {
			c.JobWorkflowRef = value
		}
	case "environment", "env":
		c.Environment = value
	case "ref":
		if value != "" && !fullRef.MatchString(value) {
			return c, fmt.Errorf("ref %q: want a full ref, e.g. refs/tags/v1.0.0 or refs/heads/main", value)
		}
		old := c.Ref
		c.Ref = value
		switch {
		case strings.HasPrefix(value, "refs/tags/"):
			c.RefType = "tag"
		case strings.HasPrefix(value, "refs/heads/"):
			c.RefType = "branch"
		default:
			c.RefType = ""
		}
		if value != "" {
			c.WorkflowRef = replaceWorkflowRef(c.WorkflowRef, old, value)
			c.JobWorkflowRef = replaceWorkflowRef(c.JobWorkflowRef, old, value)
		}
	case "sha":
		if value != "" && !hexSHA.MatchString(value) {
			return c, fmt.Errorf("sha %q: want a commit's 40 lowercase hex digits", value)
		}
		c.SHA = value
	case "event_name", "event":
		c.EventName = value
	default:
		return c, fmt.Errorf("unknown claim %q (claims: %s)", name, strings.Join(ClaimNames, ", "))
	}
	return c, nil
}

// ParseClaim splits a NAME=VALUE claim change, the form of `serve --claim`,
// and checks it against DefaultClaims. The value may be empty.
func ParseClaim(spec string) (name, value string, err error) {
	name, value, ok := strings.Cut(spec, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return "", "", fmt.Errorf("claim %q: want NAME=VALUE, e.g. environment=staging (claims: %s)", spec, strings.Join(ClaimNames, ", "))
	}
	if _, err := DefaultClaims().With(name, value); err != nil {
		return "", "", fmt.Errorf("claim %q: %w", spec, err)
	}
	return name, strings.TrimSpace(value), nil
}

// workflowRefAt returns the ref after the "@" of a workflow ref.
func workflowRefAt(ref string) string {
	if i := strings.LastIndex(ref, "@"); i >= 0 {
		return ref[i+1:]
	}
	return ""
}

// replaceWorkflowRepository moves a workflow ref of repository old to
// repository repo; a ref in another repository (a reusable workflow called
// from elsewhere) stays.
func replaceWorkflowRepository(ref, old, repo string) string {
	if old != "" && strings.HasPrefix(strings.ToLower(ref), strings.ToLower(old)+"/.github/workflows/") {
		return repo + ref[len(old):]
	}
	return ref
}

// replaceWorkflowRef moves a workflow ref at ref old to ref next; a workflow
// pinned elsewhere (another branch, a sha) stays.
func replaceWorkflowRef(ref, old, next string) string {
	if old != "" && strings.HasSuffix(ref, "@"+old) {
		return strings.TrimSuffix(ref, old) + next
	}
	return ref
}

// Describe summarizes the run the claims describe, for people comparing it
// with a trusted publisher: "repository octo/demo, workflow release.yml,
// ref refs/tags/v0.1.0, environment pypi, event push".
func (c Claims) Describe() string {
	if c.gitLab() {
		env := c.Environment
		if env == "" {
			env = "(none)"
		}
		return fmt.Sprintf("GitLab project %s, CI file %s, ref %s, environment %s",
			c.ProjectPath, c.CIConfigRefURI, c.RefPath, env)
	}
	or := func(s string) string {
		if s == "" {
			return "(none)"
		}
		return s
	}
	workflow := c.JobWorkflowRef
	if m := workflowFilenameRE.FindString(workflow); m != "" && strings.HasPrefix(strings.ToLower(workflow), strings.ToLower(c.Repository)+"/") {
		workflow = strings.TrimSuffix(m, "@")
	}
	s := fmt.Sprintf("repository %s, workflow %s, ref %s, environment %s, event %s",
		or(c.Repository), or(workflow), or(c.Ref), or(c.Environment), or(c.EventName))
	if c.WorkflowRef != c.JobWorkflowRef {
		s += ", called from " + or(c.WorkflowRef)
	}
	return s
}
