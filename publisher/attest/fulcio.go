package attest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// fulcio requests a code-signing certificate for an ephemeral key from
// Fulcio's v2 JSON API (POST /api/v2/signingCert).
type fulcio struct {
	url string
	req *requester
}

// certificate returns the DER leaf certificate Fulcio issues for key and
// the identity token jwt. The proof of possession is the key's signature
// over the token's subject: its email when it has one (Fulcio's rule for
// email identities, e.g. Google service accounts), else "sub".
func (f *fulcio) certificate(ctx context.Context, key *ecdsa.PrivateKey, jwt string) ([]byte, error) {
	claims, err := unverifiedClaims(jwt)
	if err != nil {
		return nil, errorf(ReasonIdentityToken, "", err, "the identity token for Sigstore is not a JWT: "+err.Error())
	}
	subject := claimString(claims, "email")
	if subject == "" {
		subject = claimString(claims, "sub")
	}
	if subject == "" {
		return nil, errorf(ReasonIdentityToken, "", nil, "the identity token for Sigstore has neither a sub nor an email claim; Fulcio cannot certify it")
	}
	digest := sha256.Sum256([]byte(subject))
	proof, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
	if err != nil {
		return nil, err
	}
	spki, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(map[string]any{
		"publicKeyRequest": map[string]any{
			"publicKey": map[string]string{
				"algorithm": "ECDSA",
				"content":   string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki})),
			},
			"proofOfPossession": base64.StdEncoding.EncodeToString(proof),
		},
	})
	if err != nil {
		return nil, err
	}
	target := f.url + "/api/v2/signingCert"
	a, attempts, err := f.req.do(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+jwt)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		return req, nil
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, errorf(ReasonFulcio, "", err, fmt.Sprintf("cannot reach Fulcio at %s after %s: %s; check the network and https://status.sigstore.dev",
			f.url, plural(attempts, "attempt"), redact(err.Error(), jwt)))
	}
	if a.status != http.StatusOK && a.status != http.StatusCreated {
		msg := fmt.Sprintf("Fulcio at %s answered %d %s: %s", f.url, a.status, http.StatusText(a.status), redact(snippet(a.body), jwt))
		switch {
		case a.status == http.StatusUnauthorized || a.status == http.StatusForbidden:
			msg += "; it refused the identity token (audience must be \"sigstore\", and the issuer one Fulcio trusts)"
		case a.status >= 500 || a.status == http.StatusTooManyRequests:
			msg += fmt.Sprintf(" after %s; see https://status.sigstore.dev", plural(attempts, "attempt"))
		}
		return nil, errorf(ReasonFulcio, "", nil, msg)
	}
	var resp struct {
		Embedded *struct {
			Chain struct {
				Certificates []string `json:"certificates"`
			} `json:"chain"`
		} `json:"signedCertificateEmbeddedSct"`
		Detached *json.RawMessage `json:"signedCertificateDetachedSct"`
	}
	if err := json.Unmarshal(a.body, &resp); err != nil {
		return nil, errorf(ReasonFulcio, "", err, "Fulcio's answer is not JSON: "+snippet(a.body))
	}
	if resp.Embedded == nil || len(resp.Embedded.Chain.Certificates) == 0 {
		if resp.Detached != nil {
			return nil, errorf(ReasonFulcio, "", nil, "Fulcio issued a certificate with a detached SCT; a PEP 740 attestation has no place for it (use a Fulcio that embeds SCTs)")
		}
		return nil, errorf(ReasonFulcio, "", nil, "Fulcio's answer has no certificate chain: "+snippet(a.body))
	}
	block, _ := pem.Decode([]byte(resp.Embedded.Chain.Certificates[0]))
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errorf(ReasonFulcio, "", nil, "Fulcio's leaf certificate is not PEM")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, errorf(ReasonFulcio, "", err, "Fulcio's leaf certificate does not parse: "+err.Error())
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || !pub.Equal(&key.PublicKey) {
		return nil, errorf(ReasonFulcio, "", nil, "Fulcio certified a key other than the one it was sent")
	}
	return block.Bytes, nil
}

// unverifiedClaims decodes a JWT's payload without verifying it: Fulcio
// verifies the token; this only reads which subject to prove.
func unverifiedClaims(jwt string) (map[string]any, error) {
	parts := strings.Split(strings.TrimSpace(jwt), ".")
	if len(parts) != 3 {
		return nil, errors.New("expected three dot-separated parts")
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, errors.New("the payload is not base64url")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var c map[string]any
	if err := dec.Decode(&c); err != nil || c == nil {
		return nil, errors.New("the payload is not a JSON object")
	}
	return c, nil
}

// redact removes a secret from a message.
func redact(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, "[redacted]")
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
