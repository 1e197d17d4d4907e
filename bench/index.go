package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/pypitest"
)

// index is a running local PyPI-compatible index every contender uploads to.
type index struct {
	URL           string // base the contenders use, e.g. http://127.0.0.1:41234
	RepositoryURL string // upload endpoint, URL + "/legacy/"
	// CAFile is the certificate authority the contenders must trust when
	// the index is behind the WAN profile's TLS ("" on plain loopback).
	CAFile string
	// direct is the index itself, without the emulated path: the harness
	// checks what landed there without paying the WAN's delays.
	direct string
	// trustedPublishing is the environment of a GitHub Actions job the
	// index trusts (its fake issuer), and attestArgs the flags pointing
	// goreleaser-pypi at its fake Sigstore: for the attested contender.
	trustedPublishing []string
	attestArgs        []string
	wan               *wanProxy // nil on plain loopback
	close             func() error
}

// startIndex starts a fresh index whose storage is dir. Every contender's run
// gets a fresh one (same implementation, same options), so every upload is a
// real first upload and no run pays for the files of the previous one. With
// a WAN profile (ca not nil), the contenders reach it through the emulated
// path (wan.go), over TLS.
func startIndex(token, dir string, maxFileSize int64, wan *wanProfile, ca *localCA) (*index, error) {
	srv, err := pypitest.Start("127.0.0.1:0",
		pypitest.WithToken(token),
		pypitest.WithMaxFileSize(maxFileSize),
		pypitest.WithStorageDir(dir))
	if err != nil {
		return nil, err
	}
	idx := &index{URL: srv.URL, RepositoryURL: srv.RepositoryURL, direct: srv.URL, close: srv.Close}
	root := filepath.Join(dir, "sigstore-trusted-root.json")
	if err := os.WriteFile(root, srv.Sigstore.TrustedRoot, 0o644); err != nil {
		srv.Close()
		return nil, err
	}
	idx.trustedPublishing = srv.Issuer.GitHubEnv()
	idx.attestArgs = []string{"--trusted-publishing", "always", "--attestations", "always",
		"--fulcio-url", srv.Sigstore.FulcioURL, "--rekor-url", srv.Sigstore.RekorURL, "--trusted-root", root}
	if wan == nil {
		return idx, nil
	}
	proxy, err := startWANProxy(srv.URL, *wan, ca)
	if err != nil {
		srv.Close()
		return nil, err
	}
	idx.URL, idx.RepositoryURL, idx.CAFile, idx.wan = proxy.URL, proxy.URL+"/legacy/", ca.CAFile, proxy
	idx.close = func() error { return errors.Join(proxy.close(), srv.Close()) }
	return idx, nil
}

// verifyLanded reads every file back through the index's JSON API
// (GET /pypi/<name>/<version>/json) and checks its sha256, so a contender that
// exits 0 without uploading, or uploads something else, fails the run.
func verifyLanded(ctx context.Context, idx *index, files []*dist.Distribution) error {
	client := &http.Client{Timeout: 30 * time.Second}
	listed := map[string]map[string]string{} // name/version -> filename -> sha256
	for _, d := range files {
		key := d.Metadata.Name() + "/" + d.Metadata.Version()
		if _, ok := listed[key]; !ok {
			got, err := jsonFiles(ctx, client, idx.direct+"/pypi/"+url.PathEscape(d.Metadata.Name())+"/"+url.PathEscape(d.Metadata.Version())+"/json")
			if err != nil {
				return fmt.Errorf("%s: not on the index: %w", d.Filename, err)
			}
			listed[key] = got
		}
		sum, ok := listed[key][d.Filename]
		if !ok {
			return fmt.Errorf("%s: not on the index (release %s lists %d other files)", d.Filename, key, len(listed[key]))
		}
		if sum != d.Digests.SHA256 {
			return fmt.Errorf("%s: the index has sha256 %s, the local file %s", d.Filename, sum, d.Digests.SHA256)
		}
	}
	return nil
}

func jsonFiles(ctx context.Context, client *http.Client, u string) (map[string]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	var body struct {
		URLs []struct {
			Filename string            `json:"filename"`
			Digests  map[string]string `json:"digests"`
		} `json:"urls"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	files := map[string]string{}
	for _, f := range body.URLs {
		files[f.Filename] = f.Digests["sha256"]
	}
	return files, nil
}

// indexDescription names the index implementation in the report.
const indexDescription = "publisher/pypitest (Warehouse's validation: digests, metadata, archive checks), in the bench process on loopback, storage in the scratch dir; for B5–B7 behind the WAN profile's TLS proxy, also in the bench process"
