package pypitest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Fulcio's certificate extensions (github.com/sigstore/fulcio docs/oid-info.md).
var (
	oidFulcio = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1}
	// RFC 6962 embedded SCT list.
	oidSCTList = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11129, 2, 4, 2}
)

func fulcioOID(n int) asn1.ObjectIdentifier { return append(slices.Clone(oidFulcio), n) }

// Issuers the fake issuer stands for, as written in certificates.
const (
	certIssuerGitHub = "https://token.actions.githubusercontent.com"
	certIssuerGitLab = "https://gitlab.com"
)

// handleSigningCert is Fulcio's POST /api/v2/signingCert.
func (s *Sigstore) handleSigningCert(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.stats.FulcioRequests++
	s.countUserAgent(r)
	status := s.fault(&s.failF)
	s.mu.Unlock()
	if status != 0 {
		writeSigstoreError(w, status, http.StatusText(status))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeSigstoreError(w, http.StatusBadRequest, "reading the request: "+err.Error())
		return
	}
	var req struct {
		Credentials *struct {
			OIDCIdentityToken string `json:"oidcIdentityToken"`
		} `json:"credentials"`
		PublicKeyRequest *struct {
			PublicKey struct {
				Algorithm string `json:"algorithm"`
				Content   string `json:"content"`
			} `json:"publicKey"`
			ProofOfPossession []byte `json:"proofOfPossession"`
		} `json:"publicKeyRequest"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeSigstoreError(w, http.StatusBadRequest, "invalid request body: "+err.Error())
		return
	}
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if req.Credentials != nil && req.Credentials.OIDCIdentityToken != "" {
		token = req.Credentials.OIDCIdentityToken
	}
	if token == "" {
		writeSigstoreError(w, http.StatusUnauthorized, "There was an error processing the credentials for this request")
		return
	}
	claims, err := s.verifyIdentityToken(token)
	if err != nil {
		writeSigstoreError(w, http.StatusUnauthorized, "There was an error processing the identity token: "+err.Error())
		return
	}
	if req.PublicKeyRequest == nil {
		writeSigstoreError(w, http.StatusBadRequest, "The public key supplied in the request could not be parsed")
		return
	}
	block, _ := pem.Decode([]byte(req.PublicKeyRequest.PublicKey.Content))
	if block == nil {
		writeSigstoreError(w, http.StatusBadRequest, "The public key supplied in the request could not be parsed")
		return
	}
	anyKey, err := x509.ParsePKIXPublicKey(block.Bytes)
	pub, ok := anyKey.(*ecdsa.PublicKey)
	if err != nil || !ok {
		writeSigstoreError(w, http.StatusBadRequest, "The public key supplied in the request could not be parsed (this fake certifies ECDSA keys)")
		return
	}
	subject, _ := claims["email"].(string)
	if subject == "" {
		subject, _ = claims["sub"].(string)
	}
	digest := sha256.Sum256([]byte(subject))
	if !ecdsa.VerifyASN1(pub, digest[:], req.PublicKeyRequest.ProofOfPossession) {
		writeSigstoreError(w, http.StatusBadRequest, "The signature supplied in the request could not be verified")
		return
	}
	leaf, err := s.issue(pub, claims)
	if err != nil {
		writeSigstoreError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.mu.Lock()
	s.stats.CertificatesIssued++
	s.mu.Unlock()
	pemOf := func(der []byte) string {
		return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(map[string]any{
		"signedCertificateEmbeddedSct": map[string]any{
			"chain": map[string]any{"certificates": []string{pemOf(leaf), pemOf(s.interCert.Raw), pemOf(s.rootCert.Raw)}},
		},
	})
}

// verifyIdentityToken checks a JWT from a trusted issuer: RS256 signature,
// audience "sigstore", not expired.
func (s *Sigstore) verifyIdentityToken(token string) (map[string]any, error) {
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return nil, fmt.Errorf("not a signed JWT: %v", err)
	}
	var unverified map[string]any
	if err := json.Unmarshal(jws.UnsafePayloadWithoutVerification(), &unverified); err != nil {
		return nil, fmt.Errorf("the payload is not JSON")
	}
	iss, _ := unverified["iss"].(string)
	s.mu.Lock()
	issuer := s.issuers[iss]
	s.mu.Unlock()
	if issuer == nil {
		return nil, fmt.Errorf("issuer %q is not trusted by this Fulcio", iss)
	}
	payload, err := jws.Verify(&issuer.key.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("bad signature: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, fmt.Errorf("the payload is not JSON")
	}
	audOK := false
	switch aud := claims["aud"].(type) {
	case string:
		audOK = aud == "sigstore"
	case []any:
		for _, a := range aud {
			audOK = audOK || a == "sigstore"
		}
	}
	if !audOK {
		return nil, fmt.Errorf("the audience must be \"sigstore\", got %v", claims["aud"])
	}
	exp, _ := claims["exp"].(float64)
	if now := float64(time.Now().Unix()); exp != 0 && now > exp+30 {
		return nil, fmt.Errorf("the token expired")
	}
	return claims, nil
}

// issue makes the leaf certificate for pub and claims, with Fulcio's
// extensions and an embedded SCT.
func (s *Sigstore) issue(pub *ecdsa.PublicKey, claims map[string]any) ([]byte, error) {
	get := func(n string) string {
		switch v := claims[n].(type) {
		case string:
			return v
		case float64:
			return fmt.Sprint(int64(v))
		}
		return ""
	}
	var (
		san  string
		exts []pkix.Extension
	)
	raw := func(n int, v string) {
		if v != "" {
			exts = append(exts, pkix.Extension{Id: fulcioOID(n), Value: []byte(v)})
		}
	}
	utf8 := func(n int, v string) {
		if v == "" {
			return
		}
		der, err := asn1.MarshalWithParams(v, "utf8")
		if err == nil {
			exts = append(exts, pkix.Extension{Id: fulcioOID(n), Value: der})
		}
	}
	switch {
	case get("job_workflow_ref") != "":
		gh := "https://github.com/"
		san = gh + get("job_workflow_ref")
		raw(1, certIssuerGitHub)
		raw(2, get("event_name"))
		raw(3, get("sha"))
		raw(4, get("workflow"))
		raw(5, get("repository"))
		raw(6, get("ref"))
		utf8(8, certIssuerGitHub)
		utf8(9, gh+get("job_workflow_ref"))
		utf8(10, get("job_workflow_sha"))
		utf8(11, get("runner_environment"))
		utf8(12, gh+get("repository"))
		utf8(13, get("sha"))
		utf8(14, get("ref"))
		utf8(15, get("repository_id"))
		utf8(16, gh+get("repository_owner"))
		utf8(17, get("repository_owner_id"))
		if get("workflow_ref") != "" {
			utf8(18, gh+get("workflow_ref"))
		}
		utf8(19, get("workflow_sha"))
		utf8(20, get("event_name"))
		if get("run_id") != "" {
			utf8(21, gh+get("repository")+"/actions/runs/"+get("run_id")+"/attempts/"+get("run_attempt"))
		}
		utf8(22, get("repository_visibility"))
	case get("ci_config_ref_uri") != "":
		gl := "https://gitlab.com/"
		san = "https://" + get("ci_config_ref_uri")
		raw(1, certIssuerGitLab)
		utf8(8, certIssuerGitLab)
		utf8(9, san)
		utf8(10, get("ci_config_sha"))
		utf8(11, get("runner_environment"))
		utf8(12, gl+get("project_path"))
		utf8(13, get("sha"))
		utf8(14, get("ref_path"))
		utf8(15, get("project_id"))
		utf8(16, gl+get("namespace_path"))
		utf8(17, get("namespace_id"))
		utf8(18, san)
		utf8(19, get("ci_config_sha"))
		utf8(20, get("pipeline_source"))
		if get("job_id") != "" {
			utf8(21, gl+get("project_path")+"/-/jobs/"+get("job_id"))
		}
		utf8(22, get("project_visibility"))
	default:
		return nil, fmt.Errorf("this fake Fulcio certifies GitHub Actions and GitLab CI identity tokens only (no job_workflow_ref or ci_config_ref_uri claim)")
	}
	sanURL, err := url.Parse(san)
	if err != nil {
		return nil, fmt.Errorf("the identity %q is not a URI", san)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 159))
	if err != nil {
		return nil, err
	}
	now := time.Now().Truncate(time.Second)
	tmpl := &x509.Certificate{
		SerialNumber:    serial,
		NotBefore:       now,
		NotAfter:        now.Add(s.certLife),
		KeyUsage:        x509.KeyUsageDigitalSignature,
		ExtKeyUsage:     []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		URIs:            []*url.URL{sanURL},
		ExtraExtensions: exts,
	}
	// What the CT log signs: the TBS certificate without the SCT list (the
	// precertificate's, poison removed), under the issuer's key hash.
	pre, err := x509.CreateCertificate(rand.Reader, tmpl, s.interCert, pub, s.interKey)
	if err != nil {
		return nil, err
	}
	preCert, err := x509.ParseCertificate(pre)
	if err != nil {
		return nil, err
	}
	sct, err := s.signSCT(preCert.RawTBSCertificate, now)
	if err != nil {
		return nil, err
	}
	list := binary.BigEndian.AppendUint16(nil, uint16(2+len(sct)))
	list = binary.BigEndian.AppendUint16(list, uint16(len(sct)))
	list = append(list, sct...)
	value, err := asn1.Marshal(list)
	if err != nil {
		return nil, err
	}
	tmpl.ExtraExtensions = append(slices.Clone(exts), pkix.Extension{Id: oidSCTList, Value: value})
	return x509.CreateCertificate(rand.Reader, tmpl, s.interCert, pub, s.interKey)
}

// signSCT is the CT log's SignedCertificateTimestamp (RFC 6962 3.2) for a
// precertificate entry.
func (s *Sigstore) signSCT(tbs []byte, at time.Time) ([]byte, error) {
	ts := uint64(at.UnixMilli())
	issuerKeyHash := sha256.Sum256(s.interCert.RawSubjectPublicKeyInfo)
	var signed bytes.Buffer
	signed.WriteByte(0) // v1
	signed.WriteByte(0) // certificate_timestamp
	signed.Write(binary.BigEndian.AppendUint64(nil, ts))
	signed.Write([]byte{0, 1}) // precert_entry
	signed.Write(issuerKeyHash[:])
	signed.Write([]byte{byte(len(tbs) >> 16), byte(len(tbs) >> 8), byte(len(tbs))})
	signed.Write(tbs)
	signed.Write([]byte{0, 0}) // no extensions
	digest := sha256.Sum256(signed.Bytes())
	sig, err := ecdsa.SignASN1(rand.Reader, s.ctKey, digest[:])
	if err != nil {
		return nil, err
	}
	var sct bytes.Buffer
	sct.WriteByte(0)
	sct.Write(s.ctLogID)
	sct.Write(binary.BigEndian.AppendUint64(nil, ts))
	sct.Write([]byte{0, 0}) // extensions
	sct.Write([]byte{4, 3}) // sha256, ecdsa
	sct.Write(binary.BigEndian.AppendUint16(nil, uint16(len(sig))))
	sct.Write(sig)
	return sct.Bytes(), nil
}
