package attest

import (
	"crypto/x509"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
)

// Publisher kinds with an attestation identity on PyPI.
const (
	KindGitHub = "GitHub"
	KindGitLab = "GitLab"
	KindGoogle = "Google"
)

// OIDC issuers PyPI's attestation policies require in the certificate.
const (
	GitHubIssuer = "https://token.actions.githubusercontent.com"
	GitLabIssuer = "https://gitlab.com"
	GoogleIssuer = "https://accounts.google.com"
)

// Publisher is the identity the index's trusted publisher demands of an
// attestation's certificate (pypi-attestations' GitHubPublisher,
// GitLabPublisher, GooglePublisher, which Warehouse builds from the
// publisher that minted the upload token).
type Publisher struct {
	Kind string // KindGitHub, KindGitLab or KindGoogle
	// Repository is "owner/name" on GitHub, the project path on GitLab.
	Repository string
	// Workflow is the workflow file name on GitHub ("release.yml"), the CI
	// configuration path on GitLab (".gitlab-ci.yml").
	Workflow string
	// Email is the service account of a Google publisher.
	Email string
}

func (p *Publisher) String() string {
	switch p.Kind {
	case KindGitHub:
		return "GitHub " + p.Repository + " workflow " + p.Workflow
	case KindGitLab:
		return "GitLab " + p.Repository + " " + p.Workflow
	case KindGoogle:
		return "Google service account " + p.Email
	}
	return p.Kind
}

// claimString reads a string claim ("" when absent or not a string).
func claimString(claims map[string]any, name string) string {
	switch v := claims[name].(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	}
	return ""
}

// PublisherFromClaims derives, from the claims of the identity token that
// minted the upload token, the publisher the index matched and so the
// identity it will demand of the certificate. It returns an *Error with
// ReasonReusableWorkflow when a GitHub job runs in a reusable workflow
// (the certificate names the caller's workflow, the publisher the called
// one: PyPI would refuse the attestations, gh-action-pypi-publish #283), and
// ReasonUnsupportedPublisher when the claims are from none of GitHub,
// GitLab and Google.
func PublisherFromClaims(claims map[string]any) (*Publisher, error) {
	get := func(n string) string { return claimString(claims, n) }
	switch {
	case get("job_workflow_ref") != "" || get("workflow_ref") != "":
		return gitHubPublisher(get)
	case get("ci_config_ref_uri") != "" || get("project_path") != "":
		return gitLabPublisher(get)
	case get("email") != "" && strings.TrimSuffix(get("iss"), "/") == GoogleIssuer:
		if v, ok := claims["email_verified"].(bool); ok && !v {
			return nil, errorf(ReasonUnsupportedPublisher, "", nil,
				"the Google identity token's email "+get("email")+" is not verified; Fulcio will not certify it")
		}
		return &Publisher{Kind: KindGoogle, Email: get("email")}, nil
	}
	return nil, errorf(ReasonUnsupportedPublisher, "", nil,
		"the trusted publisher's identity token is not from GitHub Actions, GitLab CI/CD or Google Cloud; PyPI accepts attestations only from those publishers")
}

func gitHubPublisher(get func(string) string) (*Publisher, error) {
	repo, jwr, wr := get("repository"), get("job_workflow_ref"), get("workflow_ref")
	if repo == "" || jwr == "" || wr == "" {
		return nil, errorf(ReasonUnsupportedPublisher, "", nil,
			"the GitHub identity token lacks repository, workflow_ref or job_workflow_ref; cannot tell which workflow the trusted publisher matched")
	}
	jobFile, _, _ := strings.Cut(jwr, "@")
	prefix := repo + "/.github/workflows/"
	if !strings.HasPrefix(strings.ToLower(jobFile), strings.ToLower(prefix)) {
		return nil, errorf(ReasonReusableWorkflow, "", nil, fmt.Sprintf(
			"the job runs the workflow %s, which is not in the repository %s (a reusable workflow from another repository). "+
				"PyPI matches trusted publishers and attestation certificates against workflows of the repository itself: "+
				"publish from a job of a workflow in %s, or set attestations to never", jwr, repo, repo))
	}
	p := &Publisher{Kind: KindGitHub, Repository: repo, Workflow: path.Base(jobFile)}
	// The certificate's Build Config URI is https://github.com/<workflow_ref>:
	// the workflow that started the run. PyPI demands the publisher's
	// workflow (matched on job_workflow_ref) at the run's ref or commit.
	callerFile, callerRef, _ := strings.Cut(wr, "@")
	if callerFile == jobFile && callerRef != get("ref") && callerRef != get("sha") {
		return nil, errorf(ReasonIdentityMismatch, "", nil, fmt.Sprintf(
			"the workflow_ref claim %s is at neither the run's ref (%s) nor its commit (%s); PyPI would refuse the certificate's Build Config URI",
			wr, get("ref"), get("sha")))
	}
	if callerFile != jobFile {
		return nil, errorf(ReasonReusableWorkflow, "", nil, fmt.Sprintf(
			"the job runs in a reusable workflow: the run was started by %s but the job runs %s. "+
				"The Sigstore certificate would name the caller (Build Config URI https://github.com/%s) while PyPI's trusted publisher "+
				"is the workflow %s, so PyPI would refuse the attestations with 400 (\"Build Config URI ... does not match expected Trusted Publisher\", "+
				"gh-action-pypi-publish #283). Publish from a job of the top-level workflow to get attestations, or set attestations to never",
			wr, jwr, wr, p.Workflow))
	}
	return p, nil
}

func gitLabPublisher(get func(string) string) (*Publisher, error) {
	project, uri := get("project_path"), get("ci_config_ref_uri")
	if project == "" || uri == "" {
		return nil, errorf(ReasonUnsupportedPublisher, "", nil,
			"the GitLab identity token lacks project_path or ci_config_ref_uri; cannot tell which CI configuration the trusted publisher matched")
	}
	at := strings.LastIndex(uri, "@")
	if at < 0 {
		at = len(uri)
	}
	_, file, ok := strings.Cut(uri[:at], "//")
	if !ok || file == "" {
		return nil, errorf(ReasonUnsupportedPublisher, "", nil,
			"the GitLab identity token's ci_config_ref_uri "+uri+" names no CI configuration file")
	}
	return &Publisher{Kind: KindGitLab, Repository: project, Workflow: file}, nil
}

// CheckIdentity applies the index's policy for p to a certificate, as
// pypi-attestations does for Warehouse:
//   - GitHub: OIDC issuer (v2) https://token.actions.githubusercontent.com,
//     Source Repository URI https://github.com/OWNER/REPO, and Build Config
//     URI https://github.com/OWNER/REPO/.github/workflows/FILE@X where X is
//     the certificate's Source Repository Digest or Ref;
//   - GitLab: the same with https://gitlab.com and "//" before the file;
//   - Google: issuer https://accounts.google.com and the email as a SAN.
//
// It returns an *Error with ReasonIdentityMismatch naming both sides.
func CheckIdentity(cert *x509.Certificate, p *Publisher) error {
	ext, err := certificate.ParseExtensions(cert.Extensions)
	if err != nil {
		return errorf(ReasonVerification, "", err, "the certificate's Sigstore extensions do not parse: "+err.Error())
	}
	mismatch := func(what, got, want string) error {
		return errorf(ReasonIdentityMismatch, "", nil, fmt.Sprintf(
			"the certificate's %s is %q but the index's trusted publisher (%s) demands %s", what, got, p, want))
	}
	var host, sep string
	switch p.Kind {
	case KindGitHub:
		host, sep = "https://github.com/", "/.github/workflows/"
		if ext.Issuer != GitHubIssuer {
			return mismatch("OIDC issuer", ext.Issuer, fmt.Sprintf("%q", GitHubIssuer))
		}
	case KindGitLab:
		host, sep = "https://gitlab.com/", "//"
		if ext.Issuer != GitLabIssuer {
			return mismatch("OIDC issuer", ext.Issuer, fmt.Sprintf("%q", GitLabIssuer))
		}
	case KindGoogle:
		if ext.Issuer != GoogleIssuer {
			return mismatch("OIDC issuer", ext.Issuer, fmt.Sprintf("%q", GoogleIssuer))
		}
		if !slices.Contains(cert.EmailAddresses, p.Email) {
			return mismatch("email", strings.Join(cert.EmailAddresses, ", "), fmt.Sprintf("%q", p.Email))
		}
		return nil
	default:
		return errorf(ReasonUnsupportedPublisher, "", nil, "no attestation policy for publisher kind "+p.Kind)
	}
	if want := host + p.Repository; ext.SourceRepositoryURI != want {
		return mismatch("Source Repository URI", ext.SourceRepositoryURI, fmt.Sprintf("%q", want))
	}
	var suffixes []string
	for _, s := range []string{ext.SourceRepositoryDigest, ext.SourceRepositoryRef} {
		if s != "" {
			suffixes = append(suffixes, s)
		}
	}
	if len(suffixes) == 0 {
		return errorf(ReasonIdentityMismatch, "", nil, "the certificate has neither a Source Repository Digest nor a Source Repository Ref; PyPI requires one")
	}
	base := host + p.Repository + sep + p.Workflow + "@"
	for _, s := range suffixes {
		if ext.BuildConfigURI == base+s {
			return nil
		}
	}
	return mismatch("Build Config URI", ext.BuildConfigURI, fmt.Sprintf("%q followed by the commit or ref", base))
}
