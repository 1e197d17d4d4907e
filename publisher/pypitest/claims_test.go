package pypitest

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// TestSharedIssuer is a TestPyPI + PyPI rehearsal: one CI job, one
// identity issuer, two indexes trusting it, as TestPyPI and PyPI both
// trust GitHub.
func TestSharedIssuer(t *testing.T) {
	pub := GitHubPublisher{Repository: "octo/demo", Workflow: "release.yml", Environment: "pypi", Project: "demo", Pending: true}
	pypi := NewServer(t, WithTrustedPublisher(pub))
	testpypi := NewServer(t, WithTrustedPublisher(pub), WithAudience("testpypi"), WithIssuer(pypi.Issuer))
	if testpypi.Issuer != pypi.Issuer {
		t.Fatal("the second index has its own issuer")
	}
	mustMint(t, testpypi, githubToken(t, pypi.Issuer, "testpypi"))
	mustMint(t, pypi, githubToken(t, pypi.Issuer, "pypi"))
	// Each index checks its own audience.
	wantRefusal(t, testpypi, githubToken(t, pypi.Issuer, "pypi"), "invalid-token", "malformed or invalid token")

	// Without WithIssuer, a second index does not know the first's issuer:
	// the failure a rehearsal with two separate servers ran into.
	alone := NewServer(t, WithTrustedPublisher(pub), WithAudience("testpypi"))
	wantRefusal(t, alone, githubToken(t, pypi.Issuer, "testpypi"), "invalid-payload", "unknown trusted publishing issuer")

	// The attestation signer of the second index trusts the shared issuer.
	if _, ok := testpypi.Sigstore.issuers[pypi.Issuer.URL]; !ok {
		t.Fatal("the second index's fake Fulcio does not trust the shared issuer")
	}

	// Closing the index that borrowed the issuer leaves it running...
	testpypi.Close()
	mustMint(t, pypi, githubToken(t, pypi.Issuer, "pypi"))
	// ...closing the one that started it stops it.
	pypi.Close()
	if resp, err := http.Get(pypi.Issuer.URL + "/.well-known/jwks"); err == nil {
		resp.Body.Close()
		t.Fatal("the issuer still answers after its server closed")
	}
}

func TestSharedIssuerRefusesOwnClaims(t *testing.T) {
	first := NewServer(t)
	for _, opt := range []Option{WithClaim("environment", "staging"), WithIssuerClaims(DefaultClaims())} {
		srv, err := Start("127.0.0.1:0", WithIssuer(first.Issuer), opt)
		if err == nil {
			srv.Close()
			t.Fatal("WithIssuer with claims of its own was accepted")
		}
		if !strings.Contains(err.Error(), "Issuer.SetClaims") {
			t.Fatalf("error %q does not say how to change a shared issuer's claims", err)
		}
	}
}

// TestClaimRehearsesMismatch checks that WithClaim produces the refusal
// PyPI gives a job that is not the configured publisher, and that changes
// which keep matching (a branch, another event) still mint.
func TestClaimRehearsesMismatch(t *testing.T) {
	pub := GitHubPublisher{Repository: "octo/demo", Workflow: "release.yml", Environment: "pypi", Project: "demo"}
	notFound := "valid token, but no corresponding publisher (Publisher with matching claims was not found)"
	for _, tt := range []struct {
		name, value, refusal string
	}{
		{"repository", "octo/other", notFound},
		{"workflow", "ci.yml", notFound},
		{"workflow", ".github/workflows/ci.yml", notFound},
		{"environment", "staging", notFound},
		{"environment", "", notFound},
		{"repository_owner_id", "1", notFound},
		{"event_name", "pull_request_target",
			"valid token, but no corresponding publisher (Publishing from a workflow invoked via 'pull_request_target' is not supported.)"},
		{"event", "pull_request_target",
			"valid token, but no corresponding publisher (Publishing from a workflow invoked via 'pull_request_target' is not supported.)"},
		{"job_workflow_ref", "octo/shared/.github/workflows/release.yml@refs/heads/main",
			"valid token, but no corresponding publisher (The job_workflow_ref claim does not match, expecting one of " +
				"['octo/demo/.github/workflows/release.yml@3f786850e387550fdab836ed7e6dc881de23001b', " +
				"'octo/demo/.github/workflows/release.yml@refs/tags/v0.1.0'], got 'octo/shared/.github/workflows/release.yml@refs/heads/main')"},
		{"event_name", "", "valid token, but no corresponding publisher (Missing claim 'event_name')"},
		{"ref", "refs/heads/main", ""},
		{"event_name", "workflow_dispatch", ""},
		{"sha", "0123456789abcdef0123456789abcdef01234567", ""},
		{"environment", "PyPI", ""},
		{"workflow_ref", "octo/demo/.github/workflows/caller.yml@refs/tags/v0.1.0", ""}, // PyPI matches job_workflow_ref
	} {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			srv := NewServer(t, WithTrustedPublisher(pub), WithClaim(tt.name, tt.value))
			jwt := githubToken(t, srv.Issuer, "pypi")
			if tt.refusal == "" {
				mustMint(t, srv, jwt)
				return
			}
			wantRefusal(t, srv, jwt, "invalid-publisher", tt.refusal)
		})
	}
}

func TestClaimsWith(t *testing.T) {
	base := GitHubPublisher{Repository: "octo/demo", Workflow: "release.yml"}.Claims()
	must := func(c Claims, name, value string) Claims {
		t.Helper()
		out, err := c.With(name, value)
		if err != nil {
			t.Fatalf("With(%s=%s): %v", name, value, err)
		}
		return out
	}

	c := must(base, "repository", "acme/tool")
	want := GitHubPublisher{Repository: "acme/tool", Workflow: "release.yml"}.Claims()
	want.Actor = base.Actor // the person who ran it does not change with the repository
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("repository change:\n got %+v\nwant %+v", c, want)
	}

	c = must(base, "ref", "refs/heads/main")
	if c.Ref != "refs/heads/main" || c.RefType != "branch" ||
		c.WorkflowRef != "octo/demo/.github/workflows/release.yml@refs/heads/main" || c.JobWorkflowRef != c.WorkflowRef {
		t.Fatalf("ref change: %+v", c)
	}
	c = must(c, "workflow", "ci.yml")
	if c.WorkflowRef != "octo/demo/.github/workflows/ci.yml@refs/heads/main" || c.JobWorkflowRef != c.WorkflowRef {
		t.Fatalf("workflow change after a ref change: %+v", c)
	}

	// A reusable workflow from another repository keeps its repository and ref.
	reusable := must(base, "job_workflow_ref", "octo/shared/.github/workflows/publish.yml@refs/heads/main")
	moved := must(must(reusable, "repository", "acme/tool"), "ref", "refs/tags/v2.0.0")
	if moved.JobWorkflowRef != "octo/shared/.github/workflows/publish.yml@refs/heads/main" ||
		moved.WorkflowRef != "acme/tool/.github/workflows/release.yml@refs/tags/v2.0.0" {
		t.Fatalf("reusable workflow after repository and ref changes: %+v", moved)
	}

	for _, tt := range []struct{ name, value, want string }{
		{"repository", "nope", "want owner/name"},
		{"repository", "", "want owner/name"},
		{"workflow", "release", "want the file name of a workflow"},
		{"workflow", "sub/dir/release.yml", "want the file name of a workflow"},
		{"ref", "v1.0.0", "want a full ref"},
		{"sha", "abc", "40 lowercase hex"},
		{"repository_owner_id", "octo", "numeric GitHub id"},
		{"job_workflow_ref", "release.yml", "OWNER/NAME/.github/workflows/FILE.yml@REF"},
		{"color", "blue", `unknown claim "color" (claims: repository, repository_owner_id, workflow,`},
	} {
		if _, err := base.With(tt.name, tt.value); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("With(%s=%q): %v, want an error containing %q", tt.name, tt.value, err, tt.want)
		}
	}
	gitlab := GitLabPublisher{ProjectPath: "group/demo", WorkflowPath: ".gitlab-ci.yml"}.Claims()
	if _, err := gitlab.With("environment", "pypi"); err == nil || !strings.Contains(err.Error(), "GitLab") {
		t.Errorf("a change to GitLab claims: %v", err)
	}
}

func TestParseClaim(t *testing.T) {
	for spec, want := range map[string][2]string{
		"environment=staging":     {"environment", "staging"},
		"environment=":            {"environment", ""},
		" ref = refs/heads/main ": {"ref", "refs/heads/main"},
		"event=pull_request":      {"event", "pull_request"},
	} {
		name, value, err := ParseClaim(spec)
		if err != nil || name != want[0] || value != want[1] {
			t.Errorf("ParseClaim(%q) = %q, %q, %v; want %q", spec, name, value, err, want)
		}
	}
	for _, spec := range []string{"environment", "=staging", "colour=blue", "ref=main"} {
		if _, _, err := ParseClaim(spec); err == nil {
			t.Errorf("ParseClaim(%q) accepted", spec)
		}
	}
}

func TestClaimsDescribe(t *testing.T) {
	c := GitHubPublisher{Repository: "octo/demo", Workflow: "release.yml", Environment: "pypi"}.Claims()
	if got, want := c.Describe(), "repository octo/demo, workflow release.yml, ref refs/tags/v0.1.0, environment pypi, event push"; got != want {
		t.Fatalf("Describe() = %q, want %q", got, want)
	}
	c, _ = c.With("environment", "")
	c, _ = c.With("job_workflow_ref", "octo/shared/.github/workflows/publish.yml@refs/heads/main")
	if got, want := c.Describe(), "repository octo/demo, workflow octo/shared/.github/workflows/publish.yml@refs/heads/main, "+
		"ref refs/tags/v0.1.0, environment (none), event push, called from octo/demo/.github/workflows/release.yml@refs/tags/v0.1.0"; got != want {
		t.Fatalf("Describe() = %q, want %q", got, want)
	}
}
