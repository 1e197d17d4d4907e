package oidc_test

// The minted token in use: real wheels and sdists uploaded by the upload
// engine to pypitest's /legacy/ with trusted publishing.

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goreleaser-pypi/goreleaser-pypi/internal/secrets"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/oidc"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/pypitest"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/retry"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/upload"
)

func goodDists(t *testing.T, names ...string) []*dist.Distribution {
	t.Helper()
	paths := make([]string, len(names))
	for i, n := range names {
		paths[i] = filepath.Join("..", "..", "testdata", "good", n)
	}
	dists, problems := dist.Check(paths, dist.Options{})
	if len(problems) > 0 {
		t.Fatalf("testdata does not verify: %v", problems)
	}
	return dists
}

// maskedTokens are the minted tokens announced with ::add-mask::.
func maskedTokens(stdout string) []string {
	var toks []string
	for _, l := range strings.Split(stdout, "\n") {
		if v, ok := strings.CutPrefix(l, "::add-mask::"); ok {
			toks = append(toks, v)
		}
	}
	return toks
}

func TestPyPITestUploadWithMintedToken(t *testing.T) {
	srv := pypitest.NewServer(t)
	c := newCapture()
	src, err := oidc.NewSource(pypitestOptions(srv, jobEnv(srv), c))
	if err != nil {
		t.Fatal(err)
	}
	p, err := upload.New(upload.Options{RepositoryURL: srv.RepositoryURL, Credentials: src, Log: c.logger, Retry: retry.Policy{Delay: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := p.Upload(context.Background(), goodDists(t, "tinyutil-0.1.0-py3-none-any.whl", "tinyutil-0.1.0.tar.gz"))
	if err != nil {
		t.Fatalf("upload: %v\n%s", err, c.log.String())
	}
	if s := rep.Count(upload.StatusUploaded); s != 2 {
		t.Fatalf("summary = %+v", s)
	}
	if n := len(srv.Files()); n != 2 {
		t.Errorf("index has %d files", n)
	}
	st := srv.OIDCStats()
	if st.Minted != 1 {
		t.Errorf("minted %d tokens for one release", st.Minted)
	}
	checkSingleUse(t, srv)
	if n := len(maskedTokens(c.stdout.String())); n != st.Minted {
		t.Errorf("%d ::add-mask:: lines for %d minted tokens", n, st.Minted)
	}
	secrets.Scan(t, map[string]string{"log": c.log.String(), "stdout": c.stdout.String()},
		append(maskedTokens(c.stdout.String()), srv.Issuer.RequestToken)...)
}

// TestPyPITestLongUploadsOutliveTokens: minted tokens live 4 s and the index
// takes 1.5 s over every upload (it checks the token when the upload is
// complete, as Warehouse does). Every file still gets uploaded: tokens are
// re-minted before they expire, and once more when the index calls one
// expired; no identity token is exchanged twice.
func TestPyPITestLongUploadsOutliveTokens(t *testing.T) {
	if testing.Short() {
		t.Skip("takes about 4 s")
	}
	t.Parallel()
	// Uploads of 1.5 s with 4 s tokens, two at a time: the first files of
	// the four releases take t=0–3, the sdists start at t≈3, when the first
	// token has less than its half-life left and must be replaced. A fresh
	// token outlives one upload by 2.5 s, so a loaded CI machine does not
	// turn the renewal into a flake.
	srv := pypitest.NewServer(t, pypitest.WithMintedTokenLifetime(4*time.Second))
	srv.Faults().Next(-1, pypitest.Fault{Path: "/legacy/", Delay: 1500 * time.Millisecond})
	c := newCapture()
	src, err := oidc.NewSource(pypitestOptions(srv, jobEnv(srv), c))
	if err != nil {
		t.Fatal(err)
	}
	p, err := upload.New(upload.Options{RepositoryURL: srv.RepositoryURL, Credentials: src, Log: c.logger, Concurrency: 2, Retry: retry.Policy{Delay: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := p.Upload(context.Background(), goodDists(t,
		"tinyutil-0.1.0-py3-none-any.whl", "tinyutil-0.1.0.tar.gz",
		"richmeta-1.2.0-py3-none-any.whl", "richmeta-1.2.0.tar.gz",
		"demo_py-0.1.0-py3-none-any.whl", "flit_hello-0.3.0-py2.py3-none-any.whl"))
	if err != nil {
		t.Fatalf("upload: %v\n%s", err, c.log.String())
	}
	if s := rep.Count(upload.StatusUploaded); s != 6 {
		t.Fatalf("summary = %+v", s)
	}
	st := srv.OIDCStats()
	if st.Minted < 2 {
		t.Errorf("minted %d tokens: the 3 s token was never renewed", st.Minted)
	}
	checkSingleUse(t, srv)
	t.Logf("6 uploads of 1.5 s with 4 s tokens: %d mints", st.Minted)
	secrets.Scan(t, map[string]string{"log": c.log.String(), "stdout": c.stdout.String()},
		append(maskedTokens(c.stdout.String()), srv.Issuer.RequestToken)...)
}
