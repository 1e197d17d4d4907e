package pypitest

// PEP 740 on the index side, after Warehouse (forklift/legacy.py,
// attestations/services.py) and pypi-attestations (Attestation.verify and
// the publishers' verification policies): the "attestations" upload field
// is accepted only from a trusted publisher, parsed, limited to one per
// predicate type, and every attestation verified against the minting
// publisher's identity before the file is stored; the provenance object is
// served by the Integrity API. Written without the client's code
// (publisher/attest), on sigstore-go, against the trusted root of the
// server's fake Sigstore or a configured one.

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"sort"
	"strings"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"google.golang.org/protobuf/encoding/protojson"
)

const (
	predicatePublish = "https://docs.pypi.org/attestations/publish/v1"
	predicateSLSA    = "https://slsa.dev/provenance/v1"
	inTotoType       = "application/vnd.in-toto+json"
)

type attestOptions struct {
	trustedRoot []byte
}

// WithAttestationTrustedRoot makes the index verify attestations against
// this Sigstore trusted_root.json instead of its own fake Sigstore's: the
// public-good root, say, to accept attestations made on the real Sigstore.
func WithAttestationTrustedRoot(trustedRootJSON []byte) Option {
	return func(o *options) { o.attest.trustedRoot = trustedRootJSON }
}

// initAttestations starts the fake Sigstore and the verifier.
func (s *Server) initAttestations() error {
	sig, err := StartSigstore(s.Issuer)
	if err != nil {
		return err
	}
	s.Sigstore = sig
	rootJSON := s.opts.attest.trustedRoot
	if rootJSON == nil {
		rootJSON = sig.TrustedRoot
	}
	tr, err := root.NewTrustedRootFromJSON(rootJSON)
	if err != nil {
		sig.Close()
		return fmt.Errorf("pypitest: the attestation trusted root: %w", err)
	}
	// sigstore-python's production verifier: an embedded SCT, one
	// transparency log entry, its integrated time as the signing time.
	v, err := verify.NewVerifier(tr, verify.WithSignedCertificateTimestamps(1), verify.WithTransparencyLog(1), verify.WithIntegratedTimestamps(1))
	if err != nil {
		sig.Close()
		return fmt.Errorf("pypitest: attestation verifier: %w", err)
	}
	s.attestVerifier = v
	return nil
}

// pep740 is pypi-attestations' Attestation model.
type pep740 struct {
	Version              *int `json:"version"`
	VerificationMaterial *struct {
		Certificate         *string           `json:"certificate"`
		TransparencyEntries []json.RawMessage `json:"transparency_entries"`
	} `json:"verification_material"`
	Envelope *struct {
		Statement *string `json:"statement"`
		Signature *string `json:"signature"`
	} `json:"envelope"`
}

// decoded is one well-formed attestation.
type decoded struct {
	cert, statement, signature []byte
	entries                    []json.RawMessage
}

// strictB64 is Python's base64.b64decode(validate=True).
func strictB64(s string) ([]byte, error) { return base64.StdEncoding.Strict().DecodeString(s) }

// parseAttestations is _extract_attestations_from_request after the
// publisher checks: a JSON list of Attestation objects, not empty, at most
// two. Messages follow Warehouse's ("Malformed attestations: ...").
func parseAttestations(raw string) ([]decoded, string) {
	var list []json.RawMessage
	if err := json.Unmarshal([]byte(raw), &list); err != nil {
		return nil, "Malformed attestations: 1 validation error for list[Attestation]\n  Invalid JSON or not a list: " + err.Error()
	}
	var out []decoded
	for i, item := range list {
		bad := func(field, what string) string {
			return fmt.Sprintf("Malformed attestations: 1 validation error for list[Attestation]\n%d.%s\n  %s", i, field, what)
		}
		var a pep740
		if err := json.Unmarshal(item, &a); err != nil {
			return nil, bad("", "Input should be a valid dictionary or instance of Attestation")
		}
		switch {
		case a.Version == nil:
			return nil, bad("version", "Field required")
		case *a.Version != 1:
			return nil, bad("version", "Input should be 1")
		case a.VerificationMaterial == nil:
			return nil, bad("verification_material", "Field required")
		case a.VerificationMaterial.Certificate == nil:
			return nil, bad("verification_material.certificate", "Field required")
		case len(a.VerificationMaterial.TransparencyEntries) == 0:
			return nil, bad("verification_material.transparency_entries", "List should have at least 1 item after validation, not 0")
		case a.Envelope == nil:
			return nil, bad("envelope", "Field required")
		case a.Envelope.Statement == nil:
			return nil, bad("envelope.statement", "Field required")
		case a.Envelope.Signature == nil:
			return nil, bad("envelope.signature", "Field required")
		}
		d := decoded{entries: a.VerificationMaterial.TransparencyEntries}
		var err error
		if d.cert, err = strictB64(*a.VerificationMaterial.Certificate); err != nil {
			return nil, bad("verification_material.certificate", "Base64 decoding error: "+err.Error())
		}
		if d.statement, err = strictB64(*a.Envelope.Statement); err != nil {
			return nil, bad("envelope.statement", "Base64 decoding error: "+err.Error())
		}
		if d.signature, err = strictB64(*a.Envelope.Signature); err != nil {
			return nil, bad("envelope.signature", "Base64 decoding error: "+err.Error())
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		return nil, "Malformed attestations: an empty attestation set is not permitted"
	}
	if len(out) > 2 {
		return nil, "A maximum of 2 attestations per file are supported"
	}
	return out, ""
}

// checkAttestations is IntegrityService.parse_attestations for the upload
// being checked; it sets u.provenance. Called only when the field is sent.
func (u *upload) checkAttestations(raw string) *statusReply {
	fail := func(msg string) *statusReply {
		return badRequest("Invalid attestations supplied during upload: %s", msg)
	}
	if !u.tok.minted || u.tok.publisher == nil {
		return fail("Attestations are only supported when using Trusted Publishing")
	}
	atts, msg := parseAttestations(raw)
	if msg != "" {
		return fail(msg)
	}
	seen := map[string]bool{}
	for _, a := range atts {
		predicate, err := u.s.verifyAttestation(a, u.tok.publisher, u.rec.filename, u.rec.sha256)
		if err != nil {
			var unknown *unknownError
			if errors.As(err, &unknown) {
				return fail("Unknown error while trying to verify included attestations: " + unknown.msg)
			}
			return fail("Could not verify the uploaded artifact using the included attestation: Verification failed: " + err.Error())
		}
		if predicate != predicatePublish && predicate != predicateSLSA {
			return fail("Attestation with unsupported predicate type: " + predicate)
		}
		if seen[predicate] {
			return fail(fmt.Sprintf("Multiple attestations for the same file with the same predicate type (%s) are not supported", predicate))
		}
		seen[predicate] = true
	}
	prov, err := provenance(u.tok.publisher, atts)
	if err != nil {
		return reply(http.StatusInternalServerError, "building the provenance: "+err.Error())
	}
	u.provenance = prov
	return nil
}

// unknownError is a conversion failure (to_bundle), which Warehouse
// reports as an unknown error rather than a verification failure.
type unknownError struct{ msg string }

func (e *unknownError) Error() string { return e.msg }

// verifyAttestation is Attestation.verify(publisher, Distribution(filename,
// sha256)): the Sigstore verification with the publisher's policy, then
// the statement's subject. It returns the predicate type.
func (s *Server) verifyAttestation(a decoded, tp *trustedPublisher, filename, sha256hex string) (string, error) {
	cert, err := x509.ParseCertificate(a.cert)
	if err != nil {
		return "", &unknownError{"invalid X.509 certificate"}
	}
	entry := &protorekor.TransparencyLogEntry{}
	if err := protojson.Unmarshal(a.entries[0], entry); err != nil {
		return "", &unknownError{"invalid transparency log entry"}
	}
	pb := &protobundle.Bundle{
		MediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content:     &protobundle.VerificationMaterial_Certificate{Certificate: &protocommon.X509Certificate{RawBytes: a.cert}},
			TlogEntries: []*protorekor.TransparencyLogEntry{entry},
		},
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{
			Payload: a.statement, PayloadType: inTotoType, Signatures: []*protodsse.Signature{{Sig: a.signature}},
		}},
	}
	b, err := bundle.NewBundle(pb)
	if err != nil {
		return "", &unknownError{"invalid transparency log entry: " + err.Error()}
	}
	// The signature and inclusion checks; the identity policy below, as
	// pypi-attestations' custom policies do it.
	if _, err := s.attestVerifier.Verify(b, verify.NewPolicy(verify.WithoutArtifactUnsafe(), verify.WithoutIdentitiesUnsafe())); err != nil {
		return "", err
	}
	if err := publisherPolicy(cert, tp); err != nil {
		return "", err
	}
	var st struct {
		Type          string `json:"_type"`
		PredicateType string `json:"predicateType"`
		Subject       []struct {
			Name   string            `json:"name"`
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
	}
	if err := json.Unmarshal(a.statement, &st); err != nil || st.Type != "https://in-toto.io/Statement/v1" {
		return "", fmt.Errorf("invalid statement: not an in-toto v1 statement")
	}
	if len(st.Subject) != 1 {
		return "", errors.New("too many subjects in statement (must be exactly one)")
	}
	subj := st.Subject[0]
	if subj.Name == "" {
		return "", errors.New("invalid subject: missing name")
	}
	sp, ok := distKey(subj.Name)
	if !ok {
		return "", fmt.Errorf("invalid subject: Invalid distribution filename: %s", subj.Name)
	}
	if dp, _ := distKey(filename); sp != dp {
		return "", fmt.Errorf("subject does not match distribution name: %s != %s", subj.Name, filename)
	}
	if d, ok := subj.Digest["sha256"]; !ok || d != sha256hex {
		return "", errors.New("subject does not match distribution digest")
	}
	if st.PredicateType != predicatePublish && st.PredicateType != predicateSLSA {
		return "", fmt.Errorf("unknown attestation type: %s", st.PredicateType)
	}
	return st.PredicateType, nil
}

// publisherPolicy is pypi-attestations' _GitHubTrustedPublisherPolicy and
// _GitLabTrustedPublisherPolicy.
func publisherPolicy(cert *x509.Certificate, tp *trustedPublisher) error {
	ext, err := certificate.ParseExtensions(cert.Extensions)
	if err != nil {
		return err
	}
	issuer, repoURI, base, workflow, repo := "", "", "", "", ""
	if tp.github != nil {
		repo, workflow = tp.github.Repository, tp.github.Workflow
		issuer, repoURI = "https://token.actions.githubusercontent.com", "https://github.com/"+repo
		base = "https://github.com/" + repo + "/.github/workflows/" + workflow
	} else {
		repo, workflow = tp.gitlab.ProjectPath, tp.gitlab.WorkflowPath
		issuer, repoURI = "https://gitlab.com", "https://gitlab.com/"+repo
		base = "https://gitlab.com/" + repo + "//" + workflow
	}
	if ext.Issuer != issuer {
		return fmt.Errorf("Certificate's OIDC issuer does not match (got '%s', expected '%s')", ext.Issuer, issuer)
	}
	if ext.SourceRepositoryURI != repoURI {
		return fmt.Errorf("Certificate's source repository URI does not match (got '%s', expected '%s')", ext.SourceRepositoryURI, repoURI)
	}
	var suffixes []string
	for _, s := range []string{ext.SourceRepositoryDigest, ext.SourceRepositoryRef} {
		if s != "" {
			suffixes = append(suffixes, s)
		}
	}
	if len(suffixes) == 0 {
		return errors.New("Certificate must contain either Source Repository Digest or Source Repository Ref")
	}
	for _, s := range suffixes {
		if ext.BuildConfigURI == base+"@"+s {
			return nil
		}
	}
	return fmt.Errorf("Certificate's Build Config URI (%s) does not match expected Trusted Publisher (%s @ %s)", ext.BuildConfigURI, workflow, repo)
}

// distKey is packaging's parse of a distribution filename, normalized,
// as a comparable string: name, version and (wheels) build and tag set.
func distKey(filename string) (string, bool) {
	if strings.HasSuffix(filename, ".whl") {
		w, err := parseWheelFilename(filename)
		if err != nil {
			return "", false
		}
		build := ""
		if parts := strings.Split(strings.TrimSuffix(filename, ".whl"), "-"); len(parts) == 6 {
			// packaging's BuildTag: (int(leading digits), rest).
			b := parts[2]
			i := strings.IndexFunc(b, func(r rune) bool { return r < '0' || r > '9' })
			if i < 0 {
				i = len(b)
			}
			build = strings.TrimLeft(b[:i], "0") + "/" + b[i:]
		}
		tags := map[string]bool{}
		for _, t := range w.tags {
			tags[t.interpreter+"-"+t.abi+"-"+t.platform] = true
		}
		keys := make([]string, 0, len(tags))
		for k := range tags {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return "whl " + w.name + " " + w.version.canonical() + " " + build + " " + strings.Join(keys, ","), true
	}
	name, ver, ok := parseSdistFilename(filename)
	if !ok {
		return "", false
	}
	return "sdist " + name + " " + ver.canonical(), true
}

// provenance is Warehouse's provenance object for the publisher and the
// attestations, as the Integrity API serves it.
func provenance(tp *trustedPublisher, atts []decoded) (json.RawMessage, error) {
	type att struct {
		Version              int `json:"version"`
		VerificationMaterial struct {
			Certificate         string            `json:"certificate"`
			TransparencyEntries []json.RawMessage `json:"transparency_entries"`
		} `json:"verification_material"`
		Envelope struct {
			Statement string `json:"statement"`
			Signature string `json:"signature"`
		} `json:"envelope"`
	}
	var list []att
	for _, d := range atts {
		var a att
		a.Version = 1
		a.VerificationMaterial.Certificate = base64.StdEncoding.EncodeToString(d.cert)
		a.VerificationMaterial.TransparencyEntries = d.entries
		a.Envelope.Statement = base64.StdEncoding.EncodeToString(d.statement)
		a.Envelope.Signature = base64.StdEncoding.EncodeToString(d.signature)
		list = append(list, a)
	}
	env := func(e string) any {
		if e == "" {
			return nil
		}
		return e
	}
	var publisher map[string]any
	if tp.github != nil {
		publisher = map[string]any{"kind": "GitHub", "repository": tp.github.Repository, "workflow": tp.github.Workflow,
			"environment": env(tp.github.Environment)}
	} else {
		publisher = map[string]any{"kind": "GitLab", "repository": tp.gitlab.ProjectPath, "workflow_filepath": tp.gitlab.WorkflowPath,
			"environment": env(tp.gitlab.Environment)}
	}
	return json.Marshal(map[string]any{
		"version":             1,
		"attestation_bundles": []any{map[string]any{"publisher": publisher, "attestations": list}},
	})
}

// Media types of the Integrity API.
const (
	mimeIntegrityV1 = "application/vnd.pypi.integrity.v1+json"
	mimeJSON        = "application/json"
)

// handleProvenance is the Integrity API's
// GET /integrity/<project>/<version>/<filename>/provenance.
func (s *Server) handleProvenance(w http.ResponseWriter, r *http.Request) {
	ct := integrityContentType(r.Header.Get("Accept"))
	if ct == "" {
		writeJSON(w, http.StatusNotAcceptable, mimeJSON, map[string]string{"message": "Request not acceptable"})
		return
	}
	filename := r.PathValue("filename")
	s.core.mu.Lock()
	var prov json.RawMessage
	found := false
	if p := s.core.projects[normalizeName(r.PathValue("project"))]; p != nil {
		if v, ok := parseVersion(r.PathValue("version")); ok {
			if rel := p.releases[v.canonical()]; rel != nil {
				for _, f := range rel.files {
					if f.Filename == filename {
						found, prov = true, f.Provenance
					}
				}
			}
		}
	}
	s.core.mu.Unlock()
	if !found {
		http.NotFound(w, r)
		return
	}
	w.Header().Add("Vary", "Accept")
	if prov == nil {
		writeJSON(w, http.StatusNotFound, mimeJSON, map[string]string{"message": "No provenance available for " + filename})
		return
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(http.StatusOK)
	w.Write(prov)
}

// integrityContentType is the negotiated type ("" when none is
// acceptable); no Accept header means the integrity type.
func integrityContentType(accept string) string {
	if strings.TrimSpace(accept) == "" {
		return mimeIntegrityV1
	}
	best, bestQ := "", 0.0
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			fmt.Sscanf(v, "%g", &q)
		}
		for _, offer := range []string{mimeIntegrityV1, mimeJSON} {
			if (mt == offer || mt == "*/*" || mt == "application/*") && q > bestQ {
				best, bestQ = offer, q
				break
			}
		}
	}
	return best
}
