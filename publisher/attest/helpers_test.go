package attest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/pypitest"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/retry"
)

var goodDir = filepath.Join("..", "..", "testdata", "good")

// fastRetry retries quickly so that outage tests take milliseconds.
func fastRetry(attempts int) retry.Policy {
	return retry.Policy{Attempts: attempts, Delay: time.Millisecond, MaxDelay: time.Millisecond}
}

// env is a local index with its fake issuer and a fake Sigstore.
type env struct {
	srv *pypitest.Server
	sig *pypitest.Sigstore
}

func newEnv(t *testing.T, opts ...pypitest.Option) *env { return newEnvB(t, opts...) }

func newEnvB(t testing.TB, opts ...pypitest.Option) *env {
	t.Helper()
	srv := pypitest.NewServer(t, opts...)
	return &env{srv: srv, sig: srv.Sigstore}
}

// attester is an Attester against the env's fake Sigstore.
func (e *env) attester(t testing.TB, mode Mode) *Attester {
	t.Helper()
	a, err := New(Options{
		Mode: mode, FulcioURL: e.sig.FulcioURL, RekorURL: e.sig.RekorURL,
		TrustedRoot: e.sig.TrustedRoot, Retry: fastRetry(3),
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// credential is a trusted-publishing credential for the issuer's current
// claims: those of a minting token, and a sigstore-audience token source.
func (e *env) credential(t testing.TB) Credential {
	t.Helper()
	mint, err := e.srv.Issuer.IDToken("pypi")
	if err != nil {
		t.Fatal(err)
	}
	claims, err := unverifiedClaims(mint)
	if err != nil {
		t.Fatal(err)
	}
	return Credential{
		TrustedPublishing: true,
		Claims:            claims,
		IdentityToken: func(context.Context) (string, error) {
			return e.srv.Issuer.IDToken("sigstore")
		},
	}
}

// goodFile is a real built distribution of testdata/good.
func goodFile(t testing.TB, name string) (File, string) {
	t.Helper()
	p := filepath.Join(goodDir, name)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return File{Filename: name, SHA256: hex.EncodeToString(sum[:])}, p
}

func certificateExtensions(repoURI string) certificate.Extensions {
	return certificate.Extensions{SourceRepositoryURI: repoURI}
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
