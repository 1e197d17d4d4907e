package attest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/oidc"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/pypitest"
)

// postUpload sends one distribution to the index as twine does, with the
// attestations field when field is not empty, and returns the status and
// the status line's message.
func postUpload(t testing.TB, repoURL, token, path, field string) (int, string) {
	t.Helper()
	d, _, err := dist.Inspect(path, dist.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, f := range d.FormFields() {
		mw.WriteField(f.Name, f.Value)
	}
	if field != "" {
		mw.WriteField("attestations", field)
	}
	part, _ := mw.CreateFormFile("content", d.Filename)
	data, _ := os.ReadFile(path)
	part.Write(data)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, repoURL, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.SetBasicAuth("__token__", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Status
}

// TestTrustedPublishingUploadWithAttestations is the flow end to end, on
// the real index and the real client pieces: trusted publishing through
// publisher/oidc (GitHub Actions variables of the fake issuer), one
// Sigstore identity token, signing against the fake Sigstore, the upload of
// real distributions with the attestations field, then the Integrity API's
// provenance verified by sigstore-go against the local trusted root with
// the expected GitHub identity.
func TestTrustedPublishingUploadWithAttestations(t *testing.T) {
	e := newEnv(t)
	envVars := map[string]string{}
	for _, kv := range e.srv.Issuer.GitHubEnv() {
		k, v, _ := strings.Cut(kv, "=")
		envVars[k] = v
	}
	src, err := oidc.NewSource(oidc.Options{RepositoryURL: e.srv.RepositoryURL, Mode: oidc.Always, Getenv: func(k string) string { return envVars[k] }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tok, err := src.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tp := src.(interface {
		IdentityToken(context.Context, string) (string, error)
		MintClaims() oidc.Claims
	})
	cred := Credential{
		TrustedPublishing: true,
		Claims:            tp.MintClaims(),
		IdentityToken:     func(ctx context.Context) (string, error) { return tp.IdentityToken(ctx, "sigstore") },
	}
	fs := files(t)
	res, err := e.attester(t, Always).Attest(ctx, cred, fs)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		status, line := postUpload(t, e.srv.RepositoryURL, tok.Secret(), filepath.Join(goodDir, f.Filename), res[f.Filename].Field)
		if status != http.StatusOK {
			t.Fatalf("%s: %s", f.Filename, line)
		}
		// The Integrity API serves the provenance: the attestation and
		// the publisher that minted the token.
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/integrity/tinyutil/0.1.0/"+f.Filename+"/provenance", nil)
		req.Header.Set("Accept", "application/vnd.pypi.integrity.v1+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var prov struct {
			Version int `json:"version"`
			Bundles []struct {
				Publisher    map[string]any `json:"publisher"`
				Attestations []json.RawMessage
			} `json:"attestation_bundles"`
		}
		err = json.NewDecoder(resp.Body).Decode(&prov)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || prov.Version != 1 || len(prov.Bundles) != 1 || len(prov.Bundles[0].Attestations) != 1 {
			t.Fatalf("%s: provenance %d %+v %v", f.Filename, resp.StatusCode, prov, err)
		}
		if p := prov.Bundles[0].Publisher; p["kind"] != "GitHub" || p["repository"] != "pypitest/demo" || p["workflow"] != "release.yml" {
			t.Fatalf("publisher %v", p)
		}
		var att Attestation
		if err := json.Unmarshal(prov.Bundles[0].Attestations[0], &att); err != nil {
			t.Fatal(err)
		}
		verifyWithSigstoreGo(t, e.sig.TrustedRoot, &att, f.SHA256, "pypitest/demo", "release.yml")
	}
}

// TestIndexRefusesWhatVerificationRefuses: the index's independent verifier
// agrees with ours: attestations for another file, or made under another
// identity, or sent with an API token, are refused with Warehouse's texts.
func TestIndexRefusesWhatVerificationRefuses(t *testing.T) {
	e := newEnv(t, pypitest.WithToken("pypi-api-token"))
	cred := e.credential(t)
	fs := files(t)
	res, err := e.attester(t, Always).Attest(context.Background(), cred, fs)
	if err != nil {
		t.Fatal(err)
	}
	whl, sdist := fs[0].Filename, fs[1].Filename
	status, line := postUpload(t, e.srv.RepositoryURL, "pypi-api-token", filepath.Join(goodDir, whl), res[whl].Field)
	if status != 400 || !strings.Contains(line, "Invalid attestations supplied during upload: Attestations are only supported when using Trusted Publishing") {
		t.Fatalf("API token: %s", line)
	}
	mint := func() string {
		jwt, err := e.srv.Issuer.IDToken("pypi")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := json.Marshal(map[string]string{"token": jwt})
		resp, err := http.Post(e.srv.URL+"/_/oidc/mint-token", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct{ Token string }
		json.NewDecoder(resp.Body).Decode(&out)
		return out.Token
	}
	token := mint()
	// The wheel's attestation sent with the sdist.
	status, line = postUpload(t, e.srv.RepositoryURL, token, filepath.Join(goodDir, sdist), res[whl].Field)
	if status != 400 || !strings.Contains(line, "Could not verify the uploaded artifact using the included attestation: Verification failed: subject does not match distribution name") {
		t.Fatalf("wrong file: %s", line)
	}
	if status, line = postUpload(t, e.srv.RepositoryURL, token, filepath.Join(goodDir, sdist), "[]"); status != 400 ||
		!strings.Contains(line, "an empty attestation set is not permitted") {
		t.Fatalf("empty list: %s", line)
	}
	twice := "[" + strings.Trim(res[sdist].Field, "[]") + "," + strings.Trim(res[sdist].Field, "[]") + "]"
	if status, line = postUpload(t, e.srv.RepositoryURL, token, filepath.Join(goodDir, sdist), twice); status != 400 ||
		!strings.Contains(line, "Multiple attestations for the same file with the same predicate type (https://docs.pypi.org/attestations/publish/v1) are not supported") {
		t.Fatalf("duplicate: %s", line)
	}
	// Under another workflow: the index's policy refuses the Build Config URI.
	e.srv.Issuer.SetClaims(pypitest.GitHubPublisher{Repository: "pypitest/demo", Workflow: "other.yml"}.Claims())
	a, _ := New(Options{FulcioURL: e.sig.FulcioURL, RekorURL: e.sig.RekorURL, TrustedRoot: e.sig.TrustedRoot})
	other := &Publisher{Kind: KindGitHub, Repository: "pypitest/demo", Workflow: "other.yml"}
	otherCred := Credential{TrustedPublishing: true, Claims: claimsOf(t, e.srv.Issuer), IdentityToken: func(context.Context) (string, error) { return e.srv.Issuer.IDToken("sigstore") }}
	if p, _ := PublisherFromClaims(otherCred.Claims); p.Workflow != other.Workflow {
		t.Fatal(p)
	}
	res2, err := a.Attest(context.Background(), otherCred, fs[1:])
	if err != nil || res2[sdist].Status != StatusAttested {
		t.Fatalf("%v %+v", err, res2[sdist])
	}
	status, line = postUpload(t, e.srv.RepositoryURL, token, filepath.Join(goodDir, sdist), res2[sdist].Field)
	if status != 400 || !strings.Contains(line, "Build Config URI (https://github.com/pypitest/demo/.github/workflows/other.yml@refs/tags/v0.1.0) does not match expected Trusted Publisher (release.yml @ pypitest/demo)") {
		t.Fatalf("other identity: %s", line)
	}
	// Nothing was stored, and the file has no provenance.
	if _, ok := e.srv.File(sdist); ok {
		t.Fatal("a refused upload was stored")
	}
}

func claimsOf(t testing.TB, i *pypitest.Issuer) map[string]any {
	jwt, err := i.IDToken("pypi")
	if err != nil {
		t.Fatal(err)
	}
	c, err := unverifiedClaims(jwt)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestGitLabUploadWithAttestations: the GitLab CI identity, its
// certificate (https://gitlab.com issuer, project//file Build Config URI)
// and the index's GitLab policy agree.
func TestGitLabUploadWithAttestations(t *testing.T) {
	e := newEnv(t, pypitest.WithGitLabPublisher(pypitest.GitLabPublisher{ProjectPath: "group/tinyutil", WorkflowPath: ".gitlab-ci.yml"}))
	cred := Credential{TrustedPublishing: true, Claims: claimsOf(t, e.srv.Issuer),
		IdentityToken: func(context.Context) (string, error) { return e.srv.Issuer.IDToken("sigstore") }}
	p, err := PublisherFromClaims(cred.Claims)
	if err != nil || p.Kind != KindGitLab || p.Repository != "group/tinyutil" || p.Workflow != ".gitlab-ci.yml" {
		t.Fatalf("%+v %v", p, err)
	}
	fs := files(t)
	res, err := e.attester(t, Always).Attest(context.Background(), cred, fs[:1])
	if err != nil {
		t.Fatal(err)
	}
	jwt, _ := e.srv.Issuer.IDToken("pypi")
	body, _ := json.Marshal(map[string]string{"token": jwt})
	resp, err := http.Post(e.srv.URL+"/_/oidc/mint-token", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ Token string }
	json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	if status, line := postUpload(t, e.srv.RepositoryURL, out.Token, filepath.Join(goodDir, fs[0].Filename), res[fs[0].Filename].Field); status != 200 {
		t.Fatalf("%s", line)
	}
}
