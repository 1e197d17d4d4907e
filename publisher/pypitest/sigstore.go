package pypitest

// A local fake of Sigstore's public-good services, so that PEP 740
// attestations can be made, uploaded and verified offline: a Fulcio (its
// own CA and CT log) and a Rekor v1 (a Merkle log with real inclusion
// proofs, signed checkpoints and signed entry timestamps), each on its own
// loopback listener like the different hosts they stand for, and the
// trusted_root.json that describes them.

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"math/big"
	"net"
	"net/http"
	"sync"
	"time"
)

// Sigstore is a running fake Fulcio and Rekor v1.
//
// Fulcio (POST /api/v2/signingCert) certifies a P-256 or P-384 key for an
// identity token with audience "sigstore" signed by a trusted Issuer (the
// index's own, and any added with Trust), after checking the proof of
// possession. The certificate carries the Sigstore OID extensions Fulcio
// derives from GitHub Actions and GitLab CI claims (issuer, Source
// Repository URI/Digest/Ref, Build Config URI, Build Signer URI...) and an
// embedded SCT from the fake's CT log. The fake issuer stands for GitHub
// Actions or GitLab.com: the certificate names
// https://token.actions.githubusercontent.com or https://gitlab.com as its
// OIDC issuer, as a real one would, so clients and the index check the
// same policy as on PyPI.
//
// Rekor (POST /api/v1/log/entries, GET /api/v1/log/entries/{uuid}) logs
// "dsse" 0.0.1 entries after verifying their signatures, and answers with
// the canonicalized body, integrated time, log index, an inclusion proof
// with a signed checkpoint, and a signed entry timestamp.
type Sigstore struct {
	// FulcioURL and RekorURL are the services' base URLs
	// ("http://127.0.0.1:PORT").
	FulcioURL string
	RekorURL  string
	// TrustedRoot is the trusted_root.json describing this fake: its CA
	// chain, CT log key and Rekor key.
	TrustedRoot []byte

	rootCert, interCert *x509.Certificate
	interKey            *ecdsa.PrivateKey
	ctKey, rekorKey     *ecdsa.PrivateKey
	ctLogID, rekorLogID []byte // sha256 of the DER public keys
	treeID              int64

	fulcioLn, rekorLn net.Listener
	fulcioSrv         *http.Server
	rekorSrv          *http.Server

	mu       sync.Mutex
	issuers  map[string]*Issuer // trusted, by "iss"
	log      merkleLog
	failF    faultCounter
	failR    faultCounter
	stats    SigstoreStats
	certLife time.Duration
}

// SigstoreStats counts what the fake Sigstore did.
type SigstoreStats struct {
	FulcioRequests     int // every POST to signingCert
	CertificatesIssued int
	RekorRequests      int // every POST to log/entries
	EntriesLogged      int
	InjectedFailures   int // answered by FailFulcioNext / FailRekorNext
	// UserAgents counts the Fulcio and Rekor requests by User-Agent header.
	UserAgents map[string]int
}

type faultCounter struct{ n, status int }

// NewSigstore starts a fake Sigstore trusting issuers and stops it when
// the test ends.
func NewSigstore(t TB, issuers ...*Issuer) *Sigstore {
	t.Helper()
	s, err := StartSigstore(issuers...)
	if err != nil {
		t.Fatalf("pypitest: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// StartSigstore starts a fake Sigstore on two free loopback ports, trusting
// identity tokens from issuers. Close it when done.
func StartSigstore(issuers ...*Issuer) (*Sigstore, error) {
	s := &Sigstore{issuers: map[string]*Issuer{}, certLife: 10 * time.Minute}
	for _, i := range issuers {
		s.issuers[i.URL] = i
	}
	if err := s.makeKeys(); err != nil {
		return nil, fmt.Errorf("pypitest sigstore: %w", err)
	}
	var err error
	if s.fulcioLn, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("pypitest sigstore: listening: %w", err)
	}
	if s.rekorLn, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		s.fulcioLn.Close()
		return nil, fmt.Errorf("pypitest sigstore: listening: %w", err)
	}
	s.FulcioURL = "http://" + s.fulcioLn.Addr().String()
	s.RekorURL = "http://" + s.rekorLn.Addr().String()
	if s.TrustedRoot, err = s.trustedRoot(time.Now().Add(-time.Hour)); err != nil {
		s.fulcioLn.Close()
		s.rekorLn.Close()
		return nil, err
	}
	fm := http.NewServeMux()
	fm.HandleFunc("POST /api/v2/signingCert", s.handleSigningCert)
	rm := http.NewServeMux()
	rm.HandleFunc("POST /api/v1/log/entries", s.handleCreateEntry)
	rm.HandleFunc("GET /api/v1/log/entries/{uuid}", s.handleGetEntry)
	s.fulcioSrv = &http.Server{Handler: fm, ReadHeaderTimeout: 10 * time.Second}
	s.rekorSrv = &http.Server{Handler: rm, ReadHeaderTimeout: 10 * time.Second}
	go s.fulcioSrv.Serve(s.fulcioLn)
	go s.rekorSrv.Serve(s.rekorLn)
	return s, nil
}

// Close stops both services.
func (s *Sigstore) Close() error {
	err := s.fulcioSrv.Close()
	if err2 := s.rekorSrv.Close(); err == nil {
		err = err2
	}
	return err
}

// Trust makes Fulcio accept identity tokens from another issuer.
func (s *Sigstore) Trust(i *Issuer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.issuers[i.URL] = i
}

// FailFulcioNext makes the next n certificate requests answer status.
func (s *Sigstore) FailFulcioNext(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failF = faultCounter{n, status}
}

// FailRekorNext makes the next n entry creations answer status.
func (s *Sigstore) FailRekorNext(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failR = faultCounter{n, status}
}

// Stats returns what the fake did so far.
func (s *Sigstore) Stats() SigstoreStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.UserAgents = maps.Clone(s.stats.UserAgents)
	return st
}

// countUserAgent counts r's User-Agent (s.mu held).
func (s *Sigstore) countUserAgent(r *http.Request) {
	if s.stats.UserAgents == nil {
		s.stats.UserAgents = map[string]int{}
	}
	s.stats.UserAgents[r.UserAgent()]++
}

// fault consumes one injected failure, if any (s.mu held).
func (s *Sigstore) fault(c *faultCounter) int {
	if c.n <= 0 {
		return 0
	}
	c.n--
	s.stats.InjectedFailures++
	return c.status
}

func (s *Sigstore) makeKeys() error {
	rootKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	if s.interKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return err
	}
	if s.ctKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return err
	}
	if s.rekorKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return err
	}
	now := time.Now()
	root := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{Organization: []string{"pypitest"}, CommonName: "pypitest fake Fulcio root"},
		NotBefore:             now.Add(-2 * time.Hour),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	rootDER, err := x509.CreateCertificate(rand.Reader, root, root, &rootKey.PublicKey, rootKey)
	if err != nil {
		return err
	}
	if s.rootCert, err = x509.ParseCertificate(rootDER); err != nil {
		return err
	}
	inter := &x509.Certificate{
		SerialNumber:          big.NewInt(2),
		Subject:               pkix.Name{Organization: []string{"pypitest"}, CommonName: "pypitest fake Fulcio intermediate"},
		NotBefore:             now.Add(-2 * time.Hour),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	interDER, err := x509.CreateCertificate(rand.Reader, inter, s.rootCert, &s.interKey.PublicKey, rootKey)
	if err != nil {
		return err
	}
	if s.interCert, err = x509.ParseCertificate(interDER); err != nil {
		return err
	}
	if s.ctLogID, err = keyID(&s.ctKey.PublicKey); err != nil {
		return err
	}
	if s.rekorLogID, err = keyID(&s.rekorKey.PublicKey); err != nil {
		return err
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	s.treeID = int64(new(big.Int).SetBytes(b[:7]).Uint64())
	return nil
}

// keyID is a log's ID: the SHA-256 of its DER public key.
func keyID(pub *ecdsa.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(der)
	return sum[:], nil
}

// trustedRoot renders trusted_root.json (media type v0.1) for this fake,
// every key valid from start.
func (s *Sigstore) trustedRoot(start time.Time) ([]byte, error) {
	b64 := base64.StdEncoding.EncodeToString
	validFor := map[string]string{"start": start.UTC().Format(time.RFC3339)}
	logKey := func(url string, pub *ecdsa.PublicKey, id []byte) (map[string]any, error) {
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			return nil, err
		}
		return map[string]any{
			"baseUrl":       url,
			"hashAlgorithm": "SHA2_256",
			"publicKey":     map[string]any{"rawBytes": b64(der), "keyDetails": "PKIX_ECDSA_P256_SHA_256", "validFor": validFor},
			"logId":         map[string]string{"keyId": b64(id)},
		}, nil
	}
	tlog, err := logKey(s.RekorURL, &s.rekorKey.PublicKey, s.rekorLogID)
	if err != nil {
		return nil, err
	}
	ctlog, err := logKey(s.FulcioURL+"/ct", &s.ctKey.PublicKey, s.ctLogID)
	if err != nil {
		return nil, err
	}
	tr := map[string]any{
		"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
		"tlogs":     []any{tlog},
		"certificateAuthorities": []any{map[string]any{
			"subject":   map[string]string{"organization": "pypitest", "commonName": "pypitest fake Fulcio"},
			"uri":       s.FulcioURL,
			"certChain": map[string]any{"certificates": []any{map[string]string{"rawBytes": b64(s.interCert.Raw)}, map[string]string{"rawBytes": b64(s.rootCert.Raw)}}},
			"validFor":  validFor,
		}},
		"ctlogs":               []any{ctlog},
		"timestampAuthorities": []any{},
	}
	return json.MarshalIndent(tr, "", "  ")
}

// writeSigstoreError answers like the services' gRPC gateways:
// {"code": <grpc code>, "message": "..."}.
func writeSigstoreError(w http.ResponseWriter, status int, msg string) {
	code := map[int]int{400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 429: 8, 500: 13, 502: 14, 503: 14}[status]
	if code == 0 {
		code = 2
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"code": code, "message": msg})
}
