package attest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
)

// TestSignVerifyRoundTrip signs two real distributions against the local
// fake Sigstore (one certificate, two Rekor entries), and checks the result
// with our verifier and, independently, with sigstore-go's own bundle
// verification and the expected GitHub identity.
func TestSignVerifyRoundTrip(t *testing.T) {
	e := newEnv(t)
	a := e.attester(t, Always)
	whl, _ := goodFile(t, "tinyutil-0.1.0-py3-none-any.whl")
	sdist, _ := goodFile(t, "tinyutil-0.1.0.tar.gz")
	res, err := a.Attest(context.Background(), e.credential(t), []File{whl, sdist})
	if err != nil {
		t.Fatal(err)
	}
	st := e.sig.Stats()
	if st.CertificatesIssued != 1 || st.EntriesLogged != 2 {
		t.Fatalf("want one certificate and two entries, got %+v", st)
	}
	for _, f := range []File{whl, sdist} {
		r := res[f.Filename]
		if r.Status != StatusAttested || r.RekorLogIndex == nil || r.Field == "" {
			t.Fatalf("%s: %+v", f.Filename, r)
		}
		var list []Attestation
		if err := json.Unmarshal([]byte(r.Field), &list); err != nil || len(list) != 1 {
			t.Fatalf("%s: form value %q: %v", f.Filename, r.Field, err)
		}
		// The statement is byte-exact what pypi-attestations signs.
		want := `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"` + f.Filename + `","digest":{"sha256":"` + f.SHA256 + `"}}],"predicateType":"https://docs.pypi.org/attestations/publish/v1","predicate":null}`
		if got := string(list[0].Envelope.Statement); got != want {
			t.Fatalf("statement\n got %s\nwant %s", got, want)
		}
		verifyWithSigstoreGo(t, e.sig.TrustedRoot, &list[0], f.SHA256, "pypitest/demo", "release.yml")
	}
}

// verifyWithSigstoreGo checks an attestation the way a downstream consumer
// would, without this package's verifier: a bundle from its JSON, every
// Sigstore check, the digest and the GitHub identity.
func verifyWithSigstoreGo(t testing.TB, trustedRoot []byte, att *Attestation, sha256hex, repo, workflow string) {
	t.Helper()
	var entries []json.RawMessage
	entries = append(entries, att.VerificationMaterial.TransparencyEntries...)
	bundleJSON, err := json.Marshal(map[string]any{
		"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
		"verificationMaterial": map[string]any{
			"certificate": map[string]any{"rawBytes": att.VerificationMaterial.Certificate},
			"tlogEntries": entries,
		},
		"dsseEnvelope": map[string]any{
			"payload":     att.Envelope.Statement,
			"payloadType": "application/vnd.in-toto+json",
			"signatures":  []any{map[string]any{"sig": att.Envelope.Signature}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	var b bundle.Bundle
	if err := b.UnmarshalJSON(bundleJSON); err != nil {
		t.Fatalf("bundle: %v", err)
	}
	tr, err := root.NewTrustedRootFromJSON(trustedRoot)
	if err != nil {
		t.Fatal(err)
	}
	v, err := verify.NewVerifier(tr, verify.WithSignedCertificateTimestamps(1), verify.WithTransparencyLog(1), verify.WithIntegratedTimestamps(1))
	if err != nil {
		t.Fatal(err)
	}
	san, err := verify.NewSANMatcher("", "^https://github\\.com/"+strings.ReplaceAll(repo, ".", "\\.")+"/\\.github/workflows/"+strings.ReplaceAll(workflow, ".", "\\.")+"@")
	if err != nil {
		t.Fatal(err)
	}
	issuer, err := verify.NewIssuerMatcher(GitHubIssuer, "")
	if err != nil {
		t.Fatal(err)
	}
	id, err := verify.NewCertificateIdentity(san, issuer, certificateExtensions("https://github.com/"+repo))
	if err != nil {
		t.Fatal(err)
	}
	digest := mustHex(t, sha256hex)
	if _, err := v.Verify(&b, verify.NewPolicy(verify.WithArtifactDigest("sha256", digest), verify.WithCertificateIdentity(id))); err != nil {
		t.Fatalf("sigstore-go refuses the attestation: %v", err)
	}
}
