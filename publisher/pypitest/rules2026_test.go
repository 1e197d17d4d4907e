package pypitest

import (
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// PyPI behaviour of 2025–2026 and the private-index mode.

func basicAuth(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

// The 14-day rule: new files may not join a release older than 14 days;
// an identical re-upload still succeeds (it is checked first).
func TestClosedRelease(t *testing.T) {
	clock := time.Date(2026, 8, 1, 12, 0, 0, 0, time.UTC)
	srv := NewServer(t, WithToken(testToken), WithClock(func() time.Time { return clock }))
	wheel, _ := tinyutil(t, false)
	sdist, _ := tinyutil(t, true)
	wantReply(t, uploadFile(t, srv, testToken, wheel), http.StatusOK, "OK")
	if created, ok := srv.ReleaseCreated("tinyutil", "0.1.0"); !ok || !created.Equal(clock) {
		t.Fatalf("release created %v %v, want the index's clock %v", created, ok, clock)
	}

	clock = clock.Add(14*24*time.Hour - time.Minute) // just inside the window
	if err := srv.AgeRelease("tinyutil", "0.1", 0); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(2 * time.Minute) // just past it
	wantReply(t, uploadFile(t, srv, testToken, sdist), http.StatusBadRequest, "Uploading new files to releases older than 14 days is not allowed.")
	wantReply(t, uploadFile(t, srv, testToken, wheel), http.StatusOK, "OK") // identical re-upload
	if len(srv.Files()) != 1 {
		t.Fatalf("files: %v", srv.Files())
	}

	// AgeRelease without a clock: 15 days back closes it, a new version
	// is a new release and opens a new window.
	srv2 := NewServer(t, WithToken(testToken))
	wantReply(t, uploadFile(t, srv2, testToken, wheel), http.StatusOK, "OK")
	if err := srv2.AgeRelease("TinyUtil", "0.1.0", 15*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	wantReply(t, uploadFile(t, srv2, testToken, sdist), http.StatusBadRequest, "Uploading new files to releases older than 14 days is not allowed.")
	if err := srv2.AgeRelease("tinyutil", "9.9", time.Hour); err == nil {
		t.Error("aging a release that does not exist should fail")
	}
	if err := srv2.AgeRelease("nope", "0.1.0", time.Hour); err == nil {
		t.Error("aging a project that does not exist should fail")
	}
}

// PyPI refuses user names and passwords; WithUser models a private index
// that accepts them, next to tokens.
func TestPasswordUsers(t *testing.T) {
	wheel, data := tinyutil(t, false)
	send := func(srv *Server, auth string) uploadResult {
		return uploadRequest{url: srv.RepositoryURL, auth: auth, fields: formFor(t, wheel), filename: filepath.Base(wheel), content: data}.send(t)
	}
	pypi := NewServer(t, WithToken(testToken))
	wantReply(t, send(pypi, basicAuth("alice", "s3cret")), http.StatusForbidden,
		"Username/Password authentication is no longer supported. Migrate to API Tokens or Trusted Publishers instead. See https://pypi.org/help/#apitoken and https://pypi.org/help/#trusted-publishers")

	private := NewServer(t, WithToken(testToken), WithUser("alice", "s3cret"), WithUser("bob", "hunter2", "other-project"))
	wantReply(t, send(private, basicAuth("alice", "wrong")), http.StatusForbidden, helpInvalidAuth)
	wantReply(t, send(private, basicAuth("mallory", "s3cret")), http.StatusForbidden, helpInvalidAuth)
	wantReply(t, send(private, basicAuth("bob", "hunter2")), http.StatusForbidden,
		"The user 'bob' isn't allowed to upload to project 'tinyutil'. See https://pypi.org/help/#project-name for more information.")
	wantReply(t, send(private, basicAuth("alice", "s3cret")), http.StatusOK, "OK")
	// alice owns the project now: a token of another user may not add to it,
	// alice may.
	sdist, _ := tinyutil(t, true)
	sdata, _ := os.ReadFile(sdist)
	r := uploadRequest{url: private.RepositoryURL, token: testToken, fields: formFor(t, sdist), filename: filepath.Base(sdist), content: sdata}
	wantReply(t, r.send(t), http.StatusForbidden, "The user 'pypitest' isn't allowed to upload to project 'tinyutil'. See https://pypi.org/help/#project-name for more information.")
	r.token, r.auth = "", basicAuth("alice", "s3cret")
	wantReply(t, r.send(t), http.StatusOK, "OK")
	for _, req := range private.Requests() {
		if req.Method == http.MethodPost && req.Status == 0 {
			t.Errorf("request without a status: %+v", req)
		}
	}
}

// Warehouse renders the description and refuses what does not render.
func TestDescriptionRendering(t *testing.T) {
	cases := []struct {
		name, ct, desc string
		status         int
		want           string
	}{
		{"rst ok", "text/x-rst", "Title\n=====\n\nSee `the docs <https://example.org>`_ and *this*.\n\n.. note:: fine\n", 200, "OK"},
		{"underline too short", "text/x-rst", "Title\n=====\n\nInstall\n-----\n\nx\n", 400,
			"The description failed to render for 'text/x-rst'. See https://pypi.org/help/#description-content-type for more information."},
		{"default format", "", "Title\n=====\n\n.. toctree::\n\n   install\n", 400,
			"The description failed to render in the default format of reStructuredText. See https://pypi.org/help/#description-content-type for more information."},
		{"sphinx role", "text/x-rst; charset=UTF-8", "Use :func:`main`.\n", 400,
			"The description failed to render for 'text/x-rst'. See https://pypi.org/help/#description-content-type for more information."},
		{"raw", "text/x-rst", "Text.\n\n.. raw:: html\n\n   <b>x</b>\n", 400,
			"The description failed to render for 'text/x-rst'. See https://pypi.org/help/#description-content-type for more information."},
		{"undefined substitution", "text/x-rst", "|build| status\n", 400,
			"The description failed to render for 'text/x-rst'. See https://pypi.org/help/#description-content-type for more information."},
		{"defined substitution", "text/x-rst", "|build| status\n\n.. |build| image:: https://example.org/b.svg\n", 200, "OK"},
		{"unknown target", "text/x-rst", "See Docs_ now.\n", 400,
			"The description failed to render for 'text/x-rst'. See https://pypi.org/help/#description-content-type for more information."},
		{"target to a section", "text/x-rst", "Usage\n=====\n\nSee `Usage`_ and usage_.\n", 200, "OK"},
		{"unclosed literal", "text/x-rst", "Run ``pip install x to install.\n", 400,
			"The description failed to render for 'text/x-rst'. See https://pypi.org/help/#description-content-type for more information."},
		{"literal over two lines", "text/x-rst", "Run ``pip\ninstall x`` to install.\n", 200, "OK"},
		{"inside a literal block", "text/x-rst", "Example::\n\n    .. toctree::\n    :func:`x` |y| z_\n\nDone.\n", 200, "OK"},
		{"markdown", "text/markdown", "# Title\n\n.. toctree::\n| a | b |\n", 200, "OK"},
		{"plain", "text/plain", ".. raw:: html\n", 200, "OK"},
		{"blank", "text/x-rst", "\n\n", 400,
			"The description failed to render for 'text/x-rst'. See https://pypi.org/help/#description-content-type for more information."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := NewServer(t, WithToken(testToken))
			path, data := tinyutil(t, false)
			fields := setField(setField(formFor(t, path), "description", c.desc), "description_content_type", c.ct)
			if c.ct != "" {
				fields = setField(fields, "metadata_version", "2.1")
			}
			got := uploadRequest{url: srv.RepositoryURL, token: testToken, fields: fields, filename: filepath.Base(path), content: data}.send(t)
			wantReply(t, got, c.status, c.want)
		})
	}
}

// setuptools 56–76 write License-File under Metadata-Version 2.1: sent, the
// field is refused; left out of the form (as twine >= 6.1 does), the file
// is accepted.
func TestLicenseFileUnderOldMetadata(t *testing.T) {
	path := filepath.Join("..", "..", "testdata", "corpus", "licfile21-0.1.0-py3-none-any.whl")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("committed fixture missing: %v", err)
	}
	srv := NewServer(t, WithToken(testToken))
	fields := formFor(t, path)
	r := uploadRequest{url: srv.RepositoryURL, token: testToken, fields: fields, filename: filepath.Base(path), content: data}
	wantReply(t, r.send(t), http.StatusBadRequest, "license-file introduced in metadata version 2.4, not 2.1."+specHint)
	r.fields = setField(fields, "license_file", "")
	wantReply(t, r.send(t), http.StatusOK, "OK")
}
