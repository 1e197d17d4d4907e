package reliability

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/pypitest"
)

// hugeBody is the size of the answers a hostile or broken index sends:
// 2 GiB, served lazily (zeros written as the client reads), so only what
// the client actually reads ever exists.
const hugeBody = 2 << 30

// rssBudgetKiB is the peak RSS a run may reach however large the answer
// (the CLI idles around 25 MiB; reading a JSON listing may take 16 MiB).
const rssBudgetKiB = 96 << 10

// hugeProxy stands in front of a pypitest index and answers chosen requests
// with a 2 GiB body instead.
type hugeProxy struct {
	*httptest.Server
	written atomic.Int64 // bytes of huge bodies the client accepted

	mu    sync.Mutex
	rules []*hugeRule
}

type hugeRule struct {
	method, prefix string
	status         int
	contentType    string
	// forward sends the request to the index first (so an upload is
	// stored) and replaces only its answer.
	forward bool
	left    int
}

func newHugeProxy(t *testing.T, index *pypitest.Server) *hugeProxy {
	target, _ := url.Parse(index.URL)
	rp := httputil.NewSingleHostReverseProxy(target)
	hp := &hugeProxy{}
	hp.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rule := hp.take(r)
		if rule == nil {
			rp.ServeHTTP(w, r)
			return
		}
		if rule.forward {
			rec := httptest.NewRecorder()
			rp.ServeHTTP(rec, r)
		} else {
			_, _ = io.Copy(io.Discard, r.Body)
		}
		w.Header().Set("Content-Type", rule.contentType)
		w.Header().Set("Content-Length", strconv.FormatInt(hugeBody, 10))
		w.WriteHeader(rule.status)
		hp.serveZeros(w)
	}))
	t.Cleanup(hp.Close)
	return hp
}

func (hp *hugeProxy) add(method, prefix string, status int, contentType string, forward bool, n int) {
	hp.mu.Lock()
	defer hp.mu.Unlock()
	hp.rules = append(hp.rules, &hugeRule{method: method, prefix: prefix, status: status, contentType: contentType, forward: forward, left: n})
}

func (hp *hugeProxy) take(r *http.Request) *hugeRule {
	hp.mu.Lock()
	defer hp.mu.Unlock()
	for _, rule := range hp.rules {
		if rule.left != 0 && r.Method == rule.method && strings.HasPrefix(r.URL.Path, rule.prefix) {
			rule.left--
			return rule
		}
	}
	return nil
}

// serveZeros writes hugeBody zero bytes, or until the client goes away.
func (hp *hugeProxy) serveZeros(w io.Writer) {
	chunk := make([]byte, 64<<10)
	for left := int64(hugeBody); left > 0; {
		n, err := w.Write(chunk[:min(left, int64(len(chunk)))])
		hp.written.Add(int64(n))
		left -= int64(n)
		if err != nil {
			return
		}
	}
}

// TestHugeAnswersAreReadBounded: wherever the index (or the CI identity
// service) answers with a 2 GiB body, the client reads a bounded prefix,
// keeps its memory low, and either goes on (retry, fallback) or fails
// clearly; it never downloads the body.
func TestHugeAnswersAreReadBounded(t *testing.T) {
	cliBinary(t)
	cases := []struct {
		name   string
		oidc   bool
		cfg    []string
		plan   func(hp *hugeProxy)
		code   int
		stored int
		want   string // in stderr
		// rssKiB overrides rssBudgetKiB: reading the index's listings is
		// capped at 16 MiB (JSON API) and 64 MiB (a project's simple page,
		// all releases), buffered whole to parse.
		rssKiB int64
	}{
		{name: "upload answered 503 with 2 GiB, then accepted", code: 0, stored: 3,
			plan: func(hp *hugeProxy) { hp.add("POST", "/legacy/", 503, "text/html", false, 1) }},
		{name: "upload stored, answered 200 with 2 GiB", code: 0, stored: 3,
			plan: func(hp *hugeProxy) { hp.add("POST", "/legacy/", 200, "text/plain", true, -1) }},
		{name: "upload answered 400 with 2 GiB", code: 1, stored: 0, want: "400",
			plan: func(hp *hugeProxy) { hp.add("POST", "/legacy/", 400, "application/json", false, -1) }},
		{name: "JSON and simple API answer 2 GiB", code: 0, stored: 3, cfg: []string{"skip_existing: true"}, rssKiB: 256 << 10,
			plan: func(hp *hugeProxy) {
				hp.add("GET", "/pypi/", 200, "application/json", false, -1)
				hp.add("GET", "/simple/", 200, "text/html", false, -1)
			}},
		{name: "audience endpoint answers 2 GiB", oidc: true, code: 1, stored: 0, want: "audience",
			plan: func(hp *hugeProxy) { hp.add("GET", "/_/oidc/audience", 200, "application/json", false, -1) }},
		{name: "mint endpoint answers 2 GiB", oidc: true, code: 1, stored: 0, want: "mint",
			plan: func(hp *hugeProxy) { hp.add("POST", "/_/oidc/mint-token", 200, "application/json", false, -1) }},
	}
	for _, fe := range []frontEnd{viaUpload, viaPublish} {
		for _, tc := range cases {
			t.Run(string(fe)+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				srv := pypitest.NewServer(t, pypitest.WithToken(apiToken))
				hp := newHugeProxy(t, srv)
				tc.plan(hp)
				fx := newFixture(t)
				fx.addRelease(t, "hugedemo", "1.0.0", 2, true, 4<<10, 7)
				cfg := append([]string(nil), tc.cfg...)
				env := []string{"PYPI_API_TOKEN=" + apiToken}
				if tc.oidc {
					env, _ = ciEnv(t, srv)
					cfg = append(cfg, "trusted_publishing: always")
				} else {
					cfg = append(cfg, "trusted_publishing: never")
				}
				res := fe.run(t, fx, settings(t, hp.URL+"/legacy/", cfg...), env)
				checkHuge(t, res, hp, tc.code, tc.want, tc.rssKiB)
				scanSecrets(t, res.outputs(), srv, apiToken)
				if got := len(srv.Files()); got != tc.stored {
					t.Errorf("index holds %d files, want %d", got, tc.stored)
				}
				if rs := parseReports(t, res.stdout); len(rs) == 1 && len(rs[0].Files) > 0 {
					checkLedger(t, srv, fx, rs[0])
				}
				figure(t, "huge", "%s/%s: exit %d, client accepted %d KiB of 2 GiB, peak RSS %d KiB, %v",
					fe, tc.name, res.code, hp.written.Load()>>10, res.maxRSSKiB, res.took.Round(time.Millisecond))
			})
		}
	}
}

// TestHugeIdentityAnswer: the CI identity service (another host) answers
// the ID-token request with 2 GiB.
func TestHugeIdentityAnswer(t *testing.T) {
	srv := pypitest.NewServer(t, pypitest.WithToken(apiToken))
	hp := &hugeProxy{}
	hp.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.FormatInt(hugeBody, 10))
		hp.serveZeros(w)
	}))
	defer hp.Close()
	fx := newFixture(t)
	fx.addRelease(t, "hugedemo", "1.0.0", 1, true, 1<<10, 3)
	env, _ := ciEnv(t, srv)
	env = append(env, "ACTIONS_ID_TOKEN_REQUEST_URL="+hp.URL+"/token?api-version=2.0") // the later assignment wins
	res := viaUpload.run(t, fx, settings(t, srv.RepositoryURL, "trusted_publishing: always"), env)
	checkHuge(t, res, hp, 1, "", 0)
	scanSecrets(t, res.outputs(), srv, apiToken)
	if n := len(srv.Files()); n != 0 {
		t.Errorf("index holds %d files", n)
	}
	figure(t, "huge", "identity endpoint answers 2 GiB: exit %d, client accepted %d KiB, peak RSS %d KiB, %v",
		res.code, hp.written.Load()>>10, res.maxRSSKiB, res.took.Round(time.Millisecond))
}

func checkHuge(t *testing.T, res cliResult, hp *hugeProxy, code int, want string, rssKiB int64) {
	t.Helper()
	if rssKiB == 0 {
		rssKiB = rssBudgetKiB
	}
	if res.code != code {
		t.Errorf("exit %d, want %d\n%s", res.code, code, res)
	}
	if want != "" && !strings.Contains(res.stderr, want) {
		t.Errorf("stderr lacks %q\n%s", want, res.stderr)
	}
	if res.maxRSSKiB > rssKiB {
		t.Errorf("peak RSS %d KiB, budget %d KiB", res.maxRSSKiB, rssKiB)
	}
	if w := hp.written.Load(); w > 256<<20 {
		t.Errorf("the client accepted %d MiB of a 2 GiB answer", w>>20)
	}
	if strings.Count(res.stderr, "\x00") > 0 || len(res.stderr) > 64<<10 {
		t.Errorf("the answer body reached the log (%d bytes of stderr)", len(res.stderr))
	}
}
