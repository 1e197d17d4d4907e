package attest

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var realDir = filepath.Join("testdata", "attestations")

// realGitHub is the trusted publisher of pypi-attestations on PyPI.
var realGitHub = &Publisher{Kind: KindGitHub, Repository: "trailofbits/pypi-attestations", Workflow: "release.yml"}

func readReal(t testing.TB, name string) (*Attestation, []byte) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(realDir, name))
	if err != nil {
		t.Fatal(err)
	}
	att, err := ParseProvided(data)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return att, data
}

func fileSHA256(t testing.TB, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// TestRealProductionAttestations verifies attestations published on PyPI
// (made by pypa/gh-action-pypi-publish on GitHub and by a GitLab CI job)
// offline against the embedded public-good trusted root, with their real
// identities: the wire format, the TransparencyLogEntry mapping and the
// publisher policies match PyPI's.
func TestRealProductionAttestations(t *testing.T) {
	v, err := NewVerifier(nil)
	if err != nil {
		t.Fatal(err)
	}
	sdist := "pypi_attestations-0.0.19.tar.gz"
	digest := fileSHA256(t, filepath.Join(realDir, sdist))
	for _, c := range []struct{ file, predicate string }{
		{sdist + ".publish.attestation", PublishPredicate},
		{sdist + ".slsa.attestation", SLSAPredicate},
	} {
		att, _ := readReal(t, c.file)
		got, err := v.Verify(att, sdist, digest, realGitHub)
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if got.PredicateType != c.predicate || got.LogIndex <= 0 {
			t.Fatalf("%s: %+v", c.file, got)
		}
	}
	gl := "gitlab_oidc_project-0.0.3.tar.gz"
	att, _ := readReal(t, gl+".publish.attestation")
	if _, err := v.Verify(att, gl, fileSHA256(t, filepath.Join(realDir, gl)),
		&Publisher{Kind: KindGitLab, Repository: "facutuesca/gitlab-oidc-project", Workflow: ".gitlab-ci.yml"}); err != nil {
		t.Fatalf("GitLab: %v", err)
	}
	// The Integrity API's provenance object holds the same attestation.
	var prov struct {
		Bundles []struct {
			Attestations []json.RawMessage `json:"attestations"`
		} `json:"attestation_bundles"`
	}
	data, _ := os.ReadFile(filepath.Join(realDir, sdist+".provenance"))
	if err := json.Unmarshal(data, &prov); err != nil || len(prov.Bundles) != 1 {
		t.Fatalf("provenance: %v", err)
	}
	for _, raw := range prov.Bundles[0].Attestations {
		att, err := ParseProvided(raw)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(att, sdist, digest, realGitHub); err != nil {
			t.Fatalf("provenance attestation: %v", err)
		}
	}
}

// TestRealAttestationRefusals: what the index would refuse is refused
// locally, with the reason.
func TestRealAttestationRefusals(t *testing.T) {
	v, err := NewVerifier(nil)
	if err != nil {
		t.Fatal(err)
	}
	sdist := "pypi_attestations-0.0.19.tar.gz"
	digest := fileSHA256(t, filepath.Join(realDir, sdist))
	fresh := func() *Attestation { a, _ := readReal(t, sdist+".publish.attestation"); return a }
	flip := func(b []byte, i int) []byte { c := append([]byte(nil), b...); c[i] ^= 0x01; return c }

	cases := []struct {
		name     string
		att      *Attestation
		file     string
		digest   string
		pub      *Publisher
		reason   Reason
		contains string
	}{
		{"other file contents", fresh(), sdist, fileSHA256(t, filepath.Join(realDir, "gitlab_oidc_project-0.0.3.tar.gz")), realGitHub,
			ReasonVerification, "made for other contents"},
		{"other file name", fresh(), "pypi_attestations-0.0.20.tar.gz", digest, realGitHub, ReasonVerification, "another distribution"},
		{"wheel of the same version", fresh(), "pypi_attestations-0.0.19-py3-none-any.whl", digest, realGitHub, ReasonVerification, "another distribution"},
		{"signature tampered", func() *Attestation { a := fresh(); a.Envelope.Signature = flip(a.Envelope.Signature, 20); return a }(),
			sdist, digest, realGitHub, ReasonVerification, "Sigstore verification failed"},
		{"statement tampered", func() *Attestation {
			a := fresh()
			a.Envelope.Statement = []byte(strings.Replace(string(a.Envelope.Statement), `"predicate":null`, `"predicate":{}`, 1))
			return a
		}(), sdist, digest, realGitHub, ReasonVerification, "Sigstore verification failed"},
		{"certificate tampered", func() *Attestation {
			a := fresh()
			c := a.VerificationMaterial.Certificate
			a.VerificationMaterial.Certificate = flip(c, len(c)-10) // in the CA's signature
			return a
		}(), sdist, digest, realGitHub, ReasonVerification, ""},
		{"transparency entry of another attestation", func() *Attestation {
			a := fresh()
			other, _ := readReal(t, sdist+".slsa.attestation")
			a.VerificationMaterial.TransparencyEntries = other.VerificationMaterial.TransparencyEntries
			return a
		}(), sdist, digest, realGitHub, ReasonVerification, "Sigstore verification failed"},
		{"other workflow", fresh(), sdist, digest, &Publisher{Kind: KindGitHub, Repository: realGitHub.Repository, Workflow: "publish.yml"},
			ReasonIdentityMismatch, "Build Config URI"},
		{"other repository", fresh(), sdist, digest, &Publisher{Kind: KindGitHub, Repository: "someone/else", Workflow: "release.yml"},
			ReasonIdentityMismatch, "Source Repository URI"},
		{"GitLab publisher", fresh(), sdist, digest, &Publisher{Kind: KindGitLab, Repository: realGitHub.Repository, Workflow: ".gitlab-ci.yml"},
			ReasonIdentityMismatch, "OIDC issuer"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := v.Verify(c.att, c.file, c.digest, c.pub)
			if err == nil {
				t.Fatal("accepted")
			}
			t.Log(err)
			if ReasonOf(err) != c.reason || !strings.Contains(err.Error(), c.contains) || !strings.Contains(err.Error(), c.file) {
				t.Fatalf("reason %q, error %v", ReasonOf(err), err)
			}
		})
	}
	// A root that does not know the public-good CA refuses everything.
	e := newEnv(t)
	local, err := NewVerifier(e.sig.TrustedRoot)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := local.Verify(fresh(), sdist, digest, realGitHub); ReasonOf(err) != ReasonVerification {
		t.Fatalf("verified against a foreign root: %v", err)
	}
}

// TestProvidedBundles: Sigstore bundles (v0.1 with a certificate chain,
// v0.3 with a certificate) convert to the same PEP 740 object, and an
// attester sends a provided attestation without any Sigstore traffic.
func TestProvidedBundles(t *testing.T) {
	sdist := "pypi_attestations-0.0.19.tar.gz"
	att, _ := readReal(t, sdist+".publish.attestation")
	b64 := base64.StdEncoding.EncodeToString
	env := map[string]any{"payload": b64(att.Envelope.Statement), "payloadType": PayloadType,
		"signatures": []any{map[string]any{"sig": b64(att.Envelope.Signature)}}}
	cert := map[string]any{"rawBytes": b64(att.VerificationMaterial.Certificate)}
	for _, vm := range []map[string]any{
		{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json", "verificationMaterial": map[string]any{"certificate": cert, "tlogEntries": att.VerificationMaterial.TransparencyEntries}},
		{"mediaType": "application/vnd.dev.sigstore.bundle+json;version=0.1", "verificationMaterial": map[string]any{
			"x509CertificateChain": map[string]any{"certificates": []any{cert}}, "tlogEntries": att.VerificationMaterial.TransparencyEntries}},
	} {
		vm["dsseEnvelope"] = env
		data, _ := json.Marshal(vm)
		got, err := ParseProvided(data)
		if err != nil {
			t.Fatalf("%s: %v", vm["mediaType"], err)
		}
		if string(got.Envelope.Statement) != string(att.Envelope.Statement) || string(got.VerificationMaterial.Certificate) != string(att.VerificationMaterial.Certificate) {
			t.Fatalf("%s: converted attestation differs", vm["mediaType"])
		}
		if _, err := (&Verifier{v: mustVerifier(t).v}).Verify(got, sdist, fileSHA256(t, filepath.Join(realDir, sdist)), realGitHub); err != nil {
			t.Fatalf("%s: %v", vm["mediaType"], err)
		}
	}
	if _, err := ParseProvided([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"x"},"tlogEntries":[]},"messageSignature":{"messageDigest":{"algorithm":"SHA2_256","digest":"AA=="},"signature":"AA=="}}`)); err == nil {
		t.Fatal("a plain signature bundle was accepted")
	}

	// Provided next to the file: attested, verified, no Sigstore request.
	dir := t.TempDir()
	for _, n := range []string{sdist, sdist + ".publish.attestation"} {
		data, _ := os.ReadFile(filepath.Join(realDir, n))
		os.WriteFile(filepath.Join(dir, n), data, 0o644)
	}
	pr, err := FindProvided(filepath.Join(dir, sdist))
	if err != nil || pr == nil {
		t.Fatalf("FindProvided: %v %v", pr, err)
	}
	a, err := New(Options{Mode: Always, FulcioURL: "https://fulcio.invalid", RekorURL: "https://rekor.invalid"})
	if err != nil {
		t.Fatal(err)
	}
	ref := "trailofbits/pypi-attestations/.github/workflows/release.yml@refs/tags/v0.0.19"
	cred := Credential{TrustedPublishing: true, Claims: map[string]any{
		"repository": "trailofbits/pypi-attestations", "workflow_ref": ref, "job_workflow_ref": ref, "ref": "refs/tags/v0.0.19"}}
	res, err := a.Attest(context.Background(), cred, []File{{Filename: sdist, SHA256: fileSHA256(t, filepath.Join(dir, sdist)), Provided: []*Provided{pr}}})
	if err != nil {
		t.Fatal(err)
	}
	if r := res[sdist]; r.Status != StatusAttested || r.RekorLogIndex == nil || *r.RekorLogIndex <= 0 {
		t.Fatalf("%+v", r)
	}
	if none, err := FindProvided(filepath.Join(dir, "other-1.0.tar.gz")); none != nil || err != nil {
		t.Fatalf("FindProvided of a file without attestation: %v %v", none, err)
	}
}

func mustVerifier(t testing.TB) *Verifier {
	v, err := NewVerifier(nil)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
