package pypitest

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The real attestations PyPI accepted for pypi-attestations 0.0.19 (made on
// the public-good Sigstore by its GitHub release workflow); copied from
// pypi-attestations' test assets next to the client's tests.
var realAttestations = filepath.Join("..", "attest", "testdata", "attestations")

func readFileT(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// realServer is an index trusting the public-good root, with
// pypi-attestations' trusted publisher, as PyPI has it.
func realServer(t *testing.T) *Server {
	root := readFileT(t, filepath.Join("..", "attest", "trusted_root.json"))
	return NewServer(t, WithAttestationTrustedRoot(root),
		WithTrustedPublisher(GitHubPublisher{Repository: "trailofbits/pypi-attestations", Workflow: "release.yml"}))
}

// mintFor exchanges an identity token of the server's issuer.
func mintFor(t *testing.T, srv *Server) string {
	t.Helper()
	jwt, err := srv.Issuer.IDToken("pypi")
	if err != nil {
		t.Fatal(err)
	}
	tok, _, merr := srv.oidc.mint([]byte(`{"token":"` + jwt + `"}`))
	if merr != nil {
		t.Fatal(merr)
	}
	return tok
}

// uploadAttested uploads path with the attestations field.
func uploadAttested(t testing.TB, srv *Server, token, path, field string) uploadResult {
	t.Helper()
	var fields []Field
	for _, f := range formFor(t, path) {
		// pypi-attestations 0.0.19 (hatchling, Metadata-Version 2.1) has
		// License-File headers that PyPI ignored then and refuses in a 2.1
		// upload now; the uploaders of the time did not send them.
		if f.Name != "license_file" {
			fields = append(fields, f)
		}
	}
	fields = append(fields, Field{"attestations", field})
	return uploadRequest{url: srv.RepositoryURL, token: token, fields: fields, filename: filepath.Base(path), content: readFileT(t, path)}.send(t)
}

func getProvenance(t *testing.T, srv *Server, path, accept string) (int, string, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), body
}

// TestRealAttestationsAccepted: the index verifies real production
// attestations (publish and SLSA) like PyPI, stores them and serves the
// provenance object PyPI served for them.
func TestRealAttestationsAccepted(t *testing.T) {
	srv := realServer(t)
	sdist := filepath.Join(realAttestations, "pypi_attestations-0.0.19.tar.gz")
	field := "[" + string(readFileT(t, sdist+".publish.attestation")) + "," + string(readFileT(t, sdist+".slsa.attestation")) + "]"
	rep := uploadAttested(t, srv, mintFor(t, srv), sdist, field)
	if rep.status != 200 {
		t.Fatalf("refused: %d %s", rep.status, rep.reason)
	}
	status, ct, body := getProvenance(t, srv, "/integrity/pypi-attestations/0.0.19/pypi_attestations-0.0.19.tar.gz/provenance", "")
	if status != 200 || ct != "application/vnd.pypi.integrity.v1+json" {
		t.Fatalf("%d %s %s", status, ct, body)
	}
	var got, want struct {
		Version int `json:"version"`
		Bundles []struct {
			Publisher    map[string]any    `json:"publisher"`
			Attestations []json.RawMessage `json:"attestations"`
		} `json:"attestation_bundles"`
	}
	json.Unmarshal(body, &got)
	json.Unmarshal(readFileT(t, sdist+".provenance"), &want)
	if got.Version != 1 || len(got.Bundles) != 1 || len(got.Bundles[0].Attestations) != 2 {
		t.Fatalf("provenance %s", body)
	}
	gp, _ := json.Marshal(got.Bundles[0].Publisher)
	wp, _ := json.Marshal(want.Bundles[0].Publisher)
	if string(gp) != string(wp) {
		t.Fatalf("publisher %s, PyPI served %s", gp, wp)
	}
	// JSON is acceptable too; other types are not; unknown files are 404.
	if status, ct, _ := getProvenance(t, srv, "/integrity/PYPI_Attestations/0.0.19/pypi_attestations-0.0.19.tar.gz/provenance", "application/json"); status != 200 || ct != "application/json" {
		t.Fatalf("json: %d %s", status, ct)
	}
	if status, _, body := getProvenance(t, srv, "/integrity/pypi-attestations/0.0.19/pypi_attestations-0.0.19.tar.gz/provenance", "text/html"); status != 406 || !strings.Contains(string(body), "Request not acceptable") {
		t.Fatalf("html: %d %s", status, body)
	}
	if status, _, _ := getProvenance(t, srv, "/integrity/pypi-attestations/0.0.20/pypi_attestations-0.0.20.tar.gz/provenance", ""); status != 404 {
		t.Fatalf("unknown file: %d", status)
	}
}

// TestRealAttestationsRefused: Warehouse's refusals, with its messages.
func TestRealAttestationsRefused(t *testing.T) {
	sdist := filepath.Join(realAttestations, "pypi_attestations-0.0.19.tar.gz")
	publish := string(readFileT(t, sdist+".publish.attestation"))
	t.Run("another publisher minted the token", func(t *testing.T) {
		root := readFileT(t, filepath.Join("..", "attest", "trusted_root.json"))
		srv := NewServer(t, WithAttestationTrustedRoot(root),
			WithTrustedPublisher(GitHubPublisher{Repository: "trailofbits/pypi-attestations", Workflow: "publish.yml"}))
		rep := uploadAttested(t, srv, mintFor(t, srv), sdist, "["+publish+"]")
		want := "Invalid attestations supplied during upload: Could not verify the uploaded artifact using the included attestation: Verification failed: " +
			"Certificate's Build Config URI (https://github.com/trailofbits/pypi-attestations/.github/workflows/release.yml@refs/tags/v0.0.19) does not match expected Trusted Publisher (publish.yml @ trailofbits/pypi-attestations)"
		if rep.status != 400 || rep.reason != want {
			t.Fatalf("%d %s", rep.status, rep.reason)
		}
	})
	t.Run("the index's own root does not know public-good", func(t *testing.T) {
		srv := NewServer(t, WithTrustedPublisher(GitHubPublisher{Repository: "trailofbits/pypi-attestations", Workflow: "release.yml"}))
		rep := uploadAttested(t, srv, mintFor(t, srv), sdist, "["+publish+"]")
		if rep.status != 400 || !strings.HasPrefix(rep.reason, "Invalid attestations supplied during upload: Could not verify the uploaded artifact using the included attestation: Verification failed: ") {
			t.Fatalf("%d %s", rep.status, rep.reason)
		}
	})
	for _, c := range []struct{ name, field, want string }{
		{"too many", "[" + publish + "," + publish + "," + publish + "]", "A maximum of 2 attestations per file are supported"},
		{"not a list", publish, "Malformed attestations: "},
		{"no version", `[{"verification_material":{"certificate":"","transparency_entries":[{}]},"envelope":{"statement":"","signature":""}}]`, "Malformed attestations: "},
		{"bad certificate", `[{"version":1,"verification_material":{"certificate":"AAAA","transparency_entries":[{}]},"envelope":{"statement":"","signature":""}}]`,
			"Unknown error while trying to verify included attestations: invalid X.509 certificate"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := realServer(t)
			rep := uploadAttested(t, srv, mintFor(t, srv), sdist, c.field)
			if rep.status != 400 || !strings.HasPrefix(rep.reason, "Invalid attestations supplied during upload: "+c.want) {
				t.Fatalf("%d %s", rep.status, rep.reason)
			}
			if len(srv.Files()) != 0 {
				t.Fatal("stored")
			}
		})
	}
}
