package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/attest"
)

// TestAttestedRelease: the real goreleaser release of examples/polyglot
// publishes PEP 740 attested files by trusted publishing (pypitest's own
// fake Fulcio and Rekor stand for Sigstore), and the index's Integrity API
// serves provenance that sigstore-go verifies against the local trusted
// root, with the example's GitHub identity.
func TestAttestedRelease(t *testing.T) {
	t.Parallel()
	tl := setup(t)
	srv := newIndex(t)
	root := filepath.Join(t.TempDir(), "trusted_root.json")
	if err := os.WriteFile(root, srv.Sigstore.TrustedRoot, 0o644); err != nil {
		t.Fatal(err)
	}
	p := newProject(t, func(p *project) {
		p.replace(".goreleaser-pypi.yaml", "    skip_existing: true", fmt.Sprintf(
			"    skip_existing: true\n    attestations:\n      mode: always\n      fulcio_url: %s\n      rekor_url: %s\n      trusted_root: %s",
			srv.Sigstore.FulcioURL, srv.Sigstore.RekorURL, root))
	})
	out, err := release(t, tl, p, ciEnv(tl, srv, t.TempDir()+"/summary.md"))
	if err != nil {
		t.Fatalf("goreleaser release: %v\n%s", err, out)
	}
	verifier, err := attest.NewVerifier(srv.Sigstore.TrustedRoot)
	if err != nil {
		t.Fatal(err)
	}
	identity := &attest.Publisher{Kind: attest.KindGitHub, Repository: publisher.Repository, Workflow: publisher.Workflow}
	files := indexFiles(t, srv, "polyglotdemo")
	if len(files) != 2 {
		t.Fatalf("the index has %v", files)
	}
	for name, sum := range files {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/integrity/polyglotdemo/0.1.0/"+name+"/provenance", nil)
		req.Header.Set("Accept", "application/vnd.pypi.integrity.v1+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var prov struct {
			Version int `json:"version"`
			Bundles []struct {
				Publisher    map[string]any    `json:"publisher"`
				Attestations []json.RawMessage `json:"attestations"`
			} `json:"attestation_bundles"`
		}
		err = json.NewDecoder(resp.Body).Decode(&prov)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || len(prov.Bundles) != 1 || len(prov.Bundles[0].Attestations) != 1 {
			t.Fatalf("%s: provenance %d %+v %v", name, resp.StatusCode, prov, err)
		}
		if pub := prov.Bundles[0].Publisher; pub["kind"] != "GitHub" || !strings.EqualFold(fmt.Sprint(pub["repository"]), publisher.Repository) || pub["workflow"] != publisher.Workflow {
			t.Errorf("%s: provenance publisher %v", name, pub)
		}
		var att attest.Attestation
		if err := json.Unmarshal(prov.Bundles[0].Attestations[0], &att); err != nil {
			t.Fatal(err)
		}
		if _, err := verifier.Verify(&att, name, sum, identity); err != nil {
			t.Errorf("%s: the provenance does not verify: %v", name, err)
		}
	}
	// The report says so, per file.
	b, _ := os.ReadFile(p.path("dist/goreleaser-pypi/report.json"))
	if n := strings.Count(string(b), `"status": "attested"`); n < 2 {
		t.Errorf("report.json: %d files attested\n%s", n, b)
	}
}
