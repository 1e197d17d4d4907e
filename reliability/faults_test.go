package reliability

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/pypitest"
)

// apiToken is the API token of the end-to-end tests. Outputs are scanned
// for it (whole, 24-character stretches, and its Basic-auth form).
const apiToken = "pypi-AgEIcHlwaS5vcmcReliabilitySuite0123456789abcdefXYZ"

// frontEnd is one way to drive a run: the upload command with files, or
// the publish command with GoReleaser's artifacts.json.
type frontEnd string

const (
	viaUpload  frontEnd = "upload"
	viaPublish frontEnd = "publish"
)

// run starts the front end on fx with the settings file cfg.
func (fe frontEnd) run(t testing.TB, fx *fixture, cfg string, env []string, extra ...string) cliResult {
	t.Helper()
	var args []string
	switch fe {
	case viaUpload:
		args = append(append([]string{"upload", "--config", cfg, "--json"}, extra...), fx.paths()...)
	case viaPublish:
		args = append([]string{"publish", "--dist", fx.writeArtifacts(t), "--config", cfg, "--json"}, extra...)
	}
	return runCLI(t, cliOpts{args: args, env: env})
}

// settings writes a settings file with one target, extra keys (indented as
// target keys) and, unless extra sets them, concurrency 2 and fast retries
// (4 attempts, 20 ms doubling, Retry-After honoured up to 2 s).
func settings(t testing.TB, repositoryURL string, extra ...string) string {
	t.Helper()
	s := fmt.Sprintf("version: 1\ntargets:\n  - name: local\n    repository_url: %s\n", repositoryURL)
	set := map[string]bool{}
	for _, e := range extra {
		key, _, _ := strings.Cut(e, ":")
		set[key] = true
		s += "    " + e + "\n"
	}
	if !set["concurrency"] {
		s += "    concurrency: 2\n"
	}
	if !set["retry"] {
		s += "    retry: {attempts: 4, delay: 20ms, max_delay: 2s}\n"
	}
	return writeFile(t, t.TempDir(), ".goreleaser-pypi.yaml", s)
}

// ciEnv is a GitHub Actions job with id-token: write, whose step summary
// goes to the returned file.
func ciEnv(t testing.TB, srv *pypitest.Server) (env []string, summary string) {
	summary = filepath.Join(t.TempDir(), "step-summary.md")
	env = append(srv.Issuer.GitHubEnv(), "GITHUB_ACTIONS=true", "GITHUB_RUN_ID=42", "GITHUB_WORKSPACE="+t.TempDir(),
		"RUNNER_TEMP="+t.TempDir(), "GITHUB_STEP_SUMMARY="+summary, "GITHUB_EVENT_NAME=push")
	return env, summary
}

// faultCase is one row of the fault matrix.
type faultCase struct {
	name string
	// oidc runs as a GitHub Actions job with trusted publishing instead of
	// an API token.
	oidc   bool
	opts   []pypitest.Option
	cfg    []string // extra target settings
	inject func(t *testing.T, e *faultEnv)
	token  string // API token sent ("" = apiToken)
	code   int    // exit status
	stored int    // files on the index at the end (of 3)
	check  func(t *testing.T, e *faultEnv, rep report)
}

// faultEnv is what a case's check may look at.
type faultEnv struct {
	srv, other *pypitest.Server
	fx         *fixture
	res        cliResult
}

// attempts returns the report's attempts per filename.
func attempts(rep report) map[string]int {
	m := map[string]int{}
	for _, f := range rep.Files {
		m[f.Filename] = f.Attempts
	}
	return m
}

func errorsOf(rep report) string {
	var b strings.Builder
	for _, f := range rep.Files {
		b.WriteString(f.Error + "\n")
	}
	return b.String() + rep.Error
}

// uploadRequests are the index's upload requests, in order.
func uploadRequests(srv *pypitest.Server) []pypitest.Request {
	var out []pypitest.Request
	for _, r := range srv.Requests() {
		if r.Method == http.MethodPost && strings.HasPrefix(r.Path, "/legacy") {
			out = append(out, r)
		}
	}
	return out
}

func faultMatrix() []faultCase {
	first := func(fx *fixture) string { return fx.files[0].filename }
	wantAttempts := func(t *testing.T, rep report, filename string, n int) {
		t.Helper()
		if got := attempts(rep)[filename]; got != n {
			t.Errorf("%s: %d attempts, want %d", filename, got, n)
		}
	}
	// The release's other files are on their way while its first file is
	// answered (their last bytes held back): a fault planned for "the next
	// N uploads" may meet any of them. Such cases count the retries of the
	// whole run.
	wantRetries := func(t *testing.T, rep report, fx *fixture, n int) {
		t.Helper()
		total := 0
		for _, f := range rep.Files {
			total += f.Attempts
		}
		if total != len(fx.files)+n {
			t.Errorf("%d attempts for %d files, want %d retries: %v", total, len(fx.files), n, attempts(rep))
		}
	}
	return []faultCase{
		{name: "500 once", code: 0, stored: 3,
			inject: func(t *testing.T, e *faultEnv) {
				e.srv.Faults().ForFile(first(e.fx), 1, pypitest.Fault{Status: 500})
			},
			check: func(t *testing.T, e *faultEnv, rep report) { wantAttempts(t, rep, first(e.fx), 2) }},
		{name: "502 twice", code: 0, stored: 3,
			inject: func(t *testing.T, e *faultEnv) {
				e.srv.Faults().ForFile(first(e.fx), 2, pypitest.Fault{Status: 502})
			},
			check: func(t *testing.T, e *faultEnv, rep report) { wantAttempts(t, rep, first(e.fx), 3) }},
		{name: "503 nginx HTML page", code: 0, stored: 3,
			inject: func(t *testing.T, e *faultEnv) {
				e.srv.Faults().ForFile(first(e.fx), 1, pypitest.Fault{Status: 503, HTML: true})
			},
			check: func(t *testing.T, e *faultEnv, rep report) {
				wantAttempts(t, rep, first(e.fx), 2)
				if strings.Contains(e.res.stderr, "<html") || strings.Contains(e.res.stderr, "<center>") {
					t.Errorf("HTML markup reached the log:\n%s", e.res.stderr)
				}
			}},
		{name: "429 with Retry-After", code: 0, stored: 3,
			inject: func(t *testing.T, e *faultEnv) {
				e.srv.Faults().ForFile(first(e.fx), 1, pypitest.Fault{Status: 429, RetryAfter: "1"})
			},
			check: func(t *testing.T, e *faultEnv, rep report) {
				wantAttempts(t, rep, first(e.fx), 2)
				ups := uploadRequests(e.srv)
				if len(ups) < 2 {
					t.Fatalf("%d upload requests", len(ups))
				}
				// Within the second: only the release's other files, which
				// were on their way; not the first file's retry.
				soon := 0
				for _, u := range ups[1:] {
					if u.Time.Sub(ups[0].Time) < 900*time.Millisecond {
						soon++
					}
				}
				if soon > len(e.fx.files)-1 {
					t.Errorf("%d upload requests within 900ms of a 429 with Retry-After: 1", soon)
				}
			}},
		{name: "connection reset before the body", code: 0, stored: 3,
			inject: func(t *testing.T, e *faultEnv) {
				e.srv.Faults().Next(1, pypitest.Fault{Drop: true})
			},
			check: func(t *testing.T, e *faultEnv, rep report) { wantRetries(t, rep, e.fx, 1) }},
		{name: "connection reset mid-body", code: 0, stored: 3,
			inject: func(t *testing.T, e *faultEnv) {
				e.srv.Faults().Next(2, pypitest.Fault{Drop: true, DropAfter: 4096})
			},
			check: func(t *testing.T, e *faultEnv, rep report) { wantRetries(t, rep, e.fx, 2) }},
		{name: "connection reset after the body", code: 0, stored: 3,
			inject: func(t *testing.T, e *faultEnv) {
				e.srv.Faults().Next(1, pypitest.Fault{Drop: true, DropAfter: 1 << 40})
			},
			check: func(t *testing.T, e *faultEnv, rep report) { wantRetries(t, rep, e.fx, 1) }},
		{name: "slow index", code: 0, stored: 3,
			inject: func(t *testing.T, e *faultEnv) {
				e.srv.Faults().Next(-1, pypitest.Fault{Delay: 700 * time.Millisecond})
			},
			check: func(t *testing.T, e *faultEnv, rep report) {
				for _, f := range e.fx.files {
					wantAttempts(t, rep, f.filename, 1) // slow is not failed: no spurious retry
				}
			}},
		{name: "stored, then 503 (the retry finds it)", code: 0, stored: 3,
			inject: func(t *testing.T, e *faultEnv) {
				e.srv.Faults().ForFile(first(e.fx), 1, pypitest.Fault{AcceptThenFail: true})
			},
			check: func(t *testing.T, e *faultEnv, rep report) {
				wantAttempts(t, rep, first(e.fx), 2)
				if _, per := e.srv.UploadAttempts(); per[first(e.fx)] != 2 {
					t.Errorf("index saw %d attempts for %s", per[first(e.fx)], first(e.fx))
				}
			}},
		{name: "stored, then 503 on every attempt", code: 0, stored: 3,
			inject: func(t *testing.T, e *faultEnv) {
				e.srv.Faults().ForFile(first(e.fx), -1, pypitest.Fault{AcceptThenFail: true})
			},
			check: func(t *testing.T, e *faultEnv, rep report) {
				wantAttempts(t, rep, first(e.fx), 4)
				for _, f := range rep.Files {
					if f.Filename == first(e.fx) && f.Reason != "an earlier attempt had already stored it" {
						t.Errorf("reason %q", f.Reason)
					}
				}
			}},
		{name: "503 forever", code: 1, stored: 0,
			inject: func(t *testing.T, e *faultEnv) {
				e.srv.Faults().Next(-1, pypitest.Fault{Status: 503})
			},
			check: func(t *testing.T, e *faultEnv, rep report) {
				for _, f := range e.fx.files {
					wantAttempts(t, rep, f.filename, 4)
				}
				if !strings.Contains(errorsOf(rep), "503") {
					t.Errorf("errors do not say 503:\n%s", errorsOf(rep))
				}
			}},
		{name: "one file 500 forever", code: 1, stored: 2,
			inject: func(t *testing.T, e *faultEnv) {
				e.srv.Faults().ForFile(e.fx.files[2].filename, -1, pypitest.Fault{Status: 500, Message: "Internal Server Error: storage backend unavailable"})
			},
			check: func(t *testing.T, e *faultEnv, rep report) {
				wantAttempts(t, rep, e.fx.files[2].filename, 4)
				if !strings.Contains(errorsOf(rep), "storage backend unavailable") || !strings.Contains(errorsOf(rep), e.fx.files[2].filename) {
					t.Errorf("the failure does not name the file and the index's message:\n%s", errorsOf(rep))
				}
			}},
		{name: "wrong token (403, final)", code: 1, stored: 0, token: "pypi-wrongTokenReliability0123456789",
			check: func(t *testing.T, e *faultEnv, rep report) {
				for _, f := range e.fx.files {
					if n := attempts(rep)[f.filename]; n > 1 {
						t.Errorf("%s: a 403 was retried (%d attempts)", f.filename, n)
					}
				}
				if !strings.Contains(errorsOf(rep), "Invalid or non-existent authentication information") {
					t.Errorf("errors:\n%s", errorsOf(rep))
				}
			}},
		{name: "HTML 403 page from a proxy", code: 1, stored: 0,
			inject: func(t *testing.T, e *faultEnv) {
				e.srv.Faults().Next(-1, pypitest.Fault{Status: 403, HTML: true})
			},
			check: func(t *testing.T, e *faultEnv, rep report) {
				wantAttempts(t, rep, first(e.fx), 1)
				if msg := errorsOf(rep); !strings.Contains(msg, "403") || strings.Contains(msg, "<") {
					t.Errorf("errors:\n%s", msg)
				}
			}},
		{name: "redirect to the same host", code: 1, stored: 0,
			inject: func(t *testing.T, e *faultEnv) {
				e.srv.Faults().Next(-1, pypitest.Fault{RedirectTo: e.srv.URL + "/legacy/moved/", Status: 307})
			},
			check: func(t *testing.T, e *faultEnv, rep report) {
				for _, r := range e.srv.Requests() {
					if strings.HasPrefix(r.Path, "/legacy/moved") {
						t.Errorf("the redirect was followed: %s %s", r.Method, r.Path)
					}
				}
				if !strings.Contains(strings.ToLower(errorsOf(rep)), "redirect") {
					t.Errorf("errors do not mention the redirect:\n%s", errorsOf(rep))
				}
			}},
		{name: "redirect to another host", code: 1, stored: 0,
			inject: func(t *testing.T, e *faultEnv) {
				e.srv.Faults().Next(-1, pypitest.Fault{RedirectTo: e.other.RepositoryURL, Status: 308})
			},
			check: func(t *testing.T, e *faultEnv, rep report) {
				if n := len(e.other.Requests()); n != 0 {
					t.Errorf("the other host received %d requests", n)
				}
			}},
		{name: "index reads redirected to another host", code: 0, stored: 3, cfg: []string{"skip_existing: true"},
			inject: func(t *testing.T, e *faultEnv) {
				o := e.other
				e.srv.Faults().Next(-1, pypitest.Fault{Path: "/pypi/", RedirectTo: o.URL + "/pypi/faultdemo/1.0.0/json", Status: 302})
				e.srv.Faults().Next(-1, pypitest.Fault{Path: "/simple/", RedirectTo: o.URL + "/simple/faultdemo/", Status: 302})
			},
			check: func(t *testing.T, e *faultEnv, rep report) {
				reads := 0
				for _, r := range e.other.Requests() {
					reads++
					if r.Authorization != "" || r.Method != http.MethodGet {
						t.Errorf("the other host got %s %s with Authorization %t", r.Method, r.Path, r.Authorization != "")
					}
				}
				if reads == 0 {
					t.Errorf("the reads were not redirected (test is vacuous)")
				}
			}},
		{name: "index read API 500", code: 0, stored: 3, cfg: []string{"skip_existing: true"},
			inject: func(t *testing.T, e *faultEnv) {
				e.srv.Faults().Next(-1, pypitest.Fault{Path: "/pypi/", Status: 500})
				e.srv.Faults().Next(-1, pypitest.Fault{Path: "/simple/", Status: 500})
			}},
		{name: "trusted publishing: mint endpoint 503 twice", oidc: true, code: 0, stored: 3,
			inject: func(t *testing.T, e *faultEnv) {
				e.srv.FailMintNext(2, 503)
			},
			check: func(t *testing.T, e *faultEnv, rep report) {
				st := e.srv.OIDCStats()
				if st.InjectedFailures != 2 || st.Minted < 1 {
					t.Errorf("oidc stats %+v", st)
				}
				for jti, n := range st.Exchanges {
					if n > 1 {
						t.Errorf("identity token %s presented %d times", jti, n)
					}
				}
			}},
		{name: "trusted publishing: mint endpoint 503 forever", oidc: true, code: 1, stored: 0,
			inject: func(t *testing.T, e *faultEnv) {
				e.srv.FailMintNext(1000, 503)
			},
			check: func(t *testing.T, e *faultEnv, rep report) {
				if !strings.Contains(e.res.stderr, "503") {
					t.Errorf("stderr does not say what the index answered:\n%s", e.res.stderr)
				}
			}},
		{name: "trusted publishing: identity endpoint 500 twice", oidc: true, code: 0, stored: 3,
			inject: func(t *testing.T, e *faultEnv) {
				e.srv.Issuer.FailNext(2, 500)
			},
			check: func(t *testing.T, e *faultEnv, rep report) {
				if st := e.srv.Issuer.Stats(); st.InjectedFailures != 2 {
					t.Errorf("issuer stats %+v", st)
				}
			}},
		{name: "trusted publishing: audience endpoint 503 once", oidc: true, code: 0, stored: 3,
			inject: func(t *testing.T, e *faultEnv) {
				e.srv.Faults().Next(1, pypitest.Fault{Path: "/_/oidc/audience", Status: 503})
			}},
		{name: "trusted publishing: token expires mid-run", oidc: true, code: 0, stored: 3,
			opts: []pypitest.Option{pypitest.WithMintedTokenLifetime(3 * time.Second)},
			cfg:  []string{"concurrency: 1"},
			inject: func(t *testing.T, e *faultEnv) {
				e.srv.Faults().Next(-1, pypitest.Fault{Delay: 1300 * time.Millisecond})
			},
			check: func(t *testing.T, e *faultEnv, rep report) {
				if st := e.srv.OIDCStats(); st.Minted < 2 {
					t.Errorf("a 3 s token served a %v run: minted %d", e.res.took, st.Minted)
				}
			}},
	}
}

func TestFaultMatrix(t *testing.T) {
	cliBinary(t)
	for _, fe := range []frontEnd{viaUpload, viaPublish} {
		for _, tc := range faultMatrix() {
			t.Run(string(fe)+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				runFaultCase(t, fe, tc)
			})
		}
	}
}

func runFaultCase(t *testing.T, fe frontEnd, tc faultCase) {
	opts := append([]pypitest.Option{pypitest.WithToken(apiToken)}, tc.opts...)
	srv := pypitest.NewServer(t, opts...)
	other := pypitest.NewServer(t, pypitest.WithToken(apiToken))

	fx := newFixture(t)
	fx.addRelease(t, "faultdemo", "1.0.0", 2, true, 8<<10, 1)
	cfg := tc.cfg
	var env []string
	var summary string
	if tc.oidc {
		env, summary = ciEnv(t, srv)
		cfg = append(cfg, "trusted_publishing: always")
	} else {
		tok := tc.token
		if tok == "" {
			tok = apiToken
		}
		env = []string{"PYPI_API_TOKEN=" + tok}
		cfg = append(cfg, "trusted_publishing: never")
	}
	e := &faultEnv{srv: srv, other: other, fx: fx}
	if tc.inject != nil {
		tc.inject(t, e)
	}
	res := fe.run(t, fx, settings(t, srv.RepositoryURL, cfg...), env)
	if res.code != tc.code {
		t.Errorf("exit %d, want %d\n%s", res.code, tc.code, res)
	}
	outputs := res.outputs()
	if summary != "" {
		if b, err := os.ReadFile(summary); err == nil {
			outputs["step summary"] = string(b)
		}
	}
	scanSecrets(t, outputs, srv, apiToken, tc.token)
	// No credential ever reached the other host.
	for _, r := range other.Requests() {
		if r.Authorization != "" {
			t.Errorf("another host received credentials: %s %s", r.Method, r.Path)
		}
	}
	if strings.TrimSpace(res.stdout) == "" {
		t.Fatalf("no JSON report\n%s", res)
	}
	rs := parseReports(t, res.stdout)
	if len(rs) != 1 {
		// A run that fails before uploading (credentials) still reports its target.
		t.Fatalf("%d reports\n%s", len(rs), res)
	}
	rep := rs[0]
	if tc.stored > 0 || len(rep.Files) > 0 {
		if got := checkLedger(t, srv, fx, rep); got != tc.stored {
			t.Errorf("index holds %d files, want %d\n%s", got, tc.stored, res)
		}
	} else if n := len(srv.Files()); n != 0 {
		t.Errorf("index holds %d files, want none", n)
	}
	if rep.OK != (tc.code == 0) {
		t.Errorf("report ok=%t with exit %d", rep.OK, res.code)
	}
	figure(t, "faults", "%s/%s: exit %d, stored %d/3, attempts %v, %v, peak RSS %d KiB", fe, tc.name, res.code, len(srv.Files()), attempts(rep), res.took.Round(time.Millisecond), res.maxRSSKiB)
	if tc.check != nil {
		e.res = res
		tc.check(t, e, rep)
	}
}
