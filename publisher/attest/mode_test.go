package attest

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/pypitest"
)

func TestParseMode(t *testing.T) {
	for in, want := range map[string]Mode{"": Auto, "auto": Auto, " Always ": Always, "never": Never, "false": Never, "true": Auto} {
		if got, err := ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseMode("sometimes"); err == nil || !strings.Contains(err.Error(), "auto, always or never") {
		t.Errorf("ParseMode(sometimes): %v", err)
	}
}

func TestResultJSON(t *testing.T) {
	idx := int64(42)
	for _, c := range []struct {
		r    Result
		want string
	}{
		{Result{Status: StatusAttested, RekorLogIndex: &idx, Field: "[...]"}, `{"status":"attested","rekor_log_index":42}`},
		{Result{Status: StatusSkipped, Reason: "off (attestations: never)", Code: ReasonDisabled}, `{"status":"skipped","reason":"off (attestations: never)"}`},
	} {
		b, _ := json.Marshal(c.r)
		if string(b) != c.want {
			t.Errorf("got %s, want %s", b, c.want)
		}
	}
}

func files(t testing.TB) []File {
	whl, _ := goodFile(t, "tinyutil-0.1.0-py3-none-any.whl")
	sdist, _ := goodFile(t, "tinyutil-0.1.0.tar.gz")
	return []File{whl, sdist}
}

// TestModesWithoutSigstoreTraffic: never, an API token, and a reusable
// workflow all decide before any request; auto skips with the reason,
// always fails with it.
func TestModesWithoutSigstoreTraffic(t *testing.T) {
	e := newEnv(t)
	tp := e.credential(t)
	apiToken := Credential{TrustedPublishing: false}
	reusable := func() Credential {
		c := tp
		claims := map[string]any{}
		for k, v := range tp.Claims {
			claims[k] = v
		}
		claims["job_workflow_ref"] = "pypitest/demo/.github/workflows/publish-reusable.yml@refs/tags/v0.1.0"
		c.Claims = claims
		return c
	}()
	for _, c := range []struct {
		name   string
		mode   Mode
		cred   Credential
		reason Reason
		fails  bool
	}{
		{"never with trusted publishing", Never, tp, ReasonDisabled, false},
		{"auto with an API token", Auto, apiToken, ReasonNotTrustedPublishing, false},
		{"always with an API token", Always, apiToken, ReasonNotTrustedPublishing, true},
		{"auto in a reusable workflow", Auto, reusable, ReasonReusableWorkflow, false},
		{"always in a reusable workflow", Always, reusable, ReasonReusableWorkflow, true},
		{"auto with an unknown publisher", Auto, Credential{TrustedPublishing: true, Claims: map[string]any{"sub": "x"}}, ReasonUnsupportedPublisher, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := e.sig.Stats()
			res, err := e.attester(t, c.mode).Attest(context.Background(), c.cred, files(t))
			if c.fails != (err != nil) || (err != nil && ReasonOf(err) != c.reason) {
				t.Fatalf("error %v", err)
			}
			if err != nil && !strings.Contains(err.Error(), "nothing was uploaded") {
				t.Fatalf("an always error must say nothing was uploaded: %v", err)
			}
			for name, r := range res {
				if r.Code != c.reason || r.Status == StatusAttested || r.Field != "" || r.Reason == "" {
					t.Fatalf("%s: %+v", name, r)
				}
			}
			if c.reason == ReasonReusableWorkflow && !strings.Contains(res["tinyutil-0.1.0.tar.gz"].Reason, "publish-reusable.yml") {
				t.Fatalf("the reason does not name the reusable workflow: %s", res["tinyutil-0.1.0.tar.gz"].Reason)
			}
			if after := e.sig.Stats(); after.FulcioRequests != before.FulcioRequests || after.RekorRequests != before.RekorRequests {
				t.Fatalf("Sigstore was contacted: %+v → %+v", before, after)
			}
		})
	}
}

// TestSigstoreOutages: transient failures are retried and the release is
// attested; an outage ends as failed files (auto: no error, the upload
// goes on) or an error before any upload (always).
func TestSigstoreOutages(t *testing.T) {
	for _, c := range []struct {
		name             string
		fulcio, rekor    int // failures to inject (503)
		mode             Mode
		status           Status
		reason           Reason
		fulcioN, rekorN  int // requests expected
		fails            bool
		entriesLoggedMin int
	}{
		{name: "Fulcio blips", fulcio: 2, mode: Auto, status: StatusAttested, fulcioN: 3, rekorN: 2, entriesLoggedMin: 2},
		{name: "Rekor blips", rekor: 2, mode: Always, status: StatusAttested, fulcioN: 1, rekorN: 4, entriesLoggedMin: 2},
		{name: "Fulcio down, auto", fulcio: 100, mode: Auto, status: StatusFailed, reason: ReasonFulcio, fulcioN: 3},
		{name: "Fulcio down, always", fulcio: 100, mode: Always, status: StatusFailed, reason: ReasonFulcio, fulcioN: 3, fails: true},
		{name: "Rekor down, auto", rekor: 100, mode: Auto, status: StatusFailed, reason: ReasonRekor, fulcioN: 1, rekorN: 6},
		{name: "Rekor down, always", rekor: 100, mode: Always, status: StatusFailed, reason: ReasonRekor, fulcioN: 1, rekorN: 6, fails: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.sig.FailFulcioNext(c.fulcio, 503)
			e.sig.FailRekorNext(c.rekor, 503)
			res, err := e.attester(t, c.mode).Attest(context.Background(), e.credential(t), files(t))
			if c.fails != (err != nil) {
				t.Fatalf("error %v", err)
			}
			if err != nil && (ReasonOf(err) != c.reason || !strings.Contains(err.Error(), "after 3 attempts")) {
				t.Fatalf("error %v", err)
			}
			for name, r := range res {
				if r.Status != c.status || r.Code != c.reason {
					t.Fatalf("%s: %+v", name, r)
				}
			}
			st := e.sig.Stats()
			if st.FulcioRequests != c.fulcioN || st.RekorRequests != c.rekorN || st.EntriesLogged < c.entriesLoggedMin {
				t.Fatalf("requests: %+v", st)
			}
		})
	}
	t.Run("Sigstore unreachable", func(t *testing.T) {
		a, err := New(Options{Mode: Auto, FulcioURL: "http://127.0.0.1:1", RekorURL: "http://127.0.0.1:1", Retry: fastRetry(2)})
		if err != nil {
			t.Fatal(err)
		}
		e := newEnv(t)
		res, err := a.Attest(context.Background(), e.credential(t), files(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Status != StatusFailed || r.Code != ReasonFulcio || !strings.Contains(r.Reason, "cannot reach Fulcio") {
				t.Fatalf("%+v", r)
			}
		}
	})
}

// TestIdentityMismatchBeforeRekor: when the certificate will not match the
// publisher that minted the upload token, no Rekor entry is made.
func TestIdentityMismatchBeforeRekor(t *testing.T) {
	e := newEnv(t)
	cred := e.credential(t) // minted as pypitest/demo release.yml
	other := pypitest.GitHubPublisher{Repository: "pypitest/demo", Workflow: "other.yml"}.Claims()
	e.srv.Issuer.SetClaims(other) // the sigstore token says another workflow
	res, err := e.attester(t, Auto).Attest(context.Background(), cred, files(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Status != StatusFailed || r.Code != ReasonIdentityMismatch || !strings.Contains(r.Reason, "other.yml") {
			t.Fatalf("%+v", r)
		}
	}
	if st := e.sig.Stats(); st.CertificatesIssued != 1 || st.RekorRequests != 0 {
		t.Fatalf("%+v", st)
	}
}

func TestNewRefusesBadSettings(t *testing.T) {
	for _, o := range []Options{
		{FulcioURL: "http://fulcio.example.com"},
		{RekorURL: "ftp://rekor.example.com"},
		{TrustedRoot: []byte(`{"mediaType":"nope"}`)},
		{Mode: "sometimes"},
	} {
		if _, err := New(o); ReasonOf(err) != ReasonConfig {
			t.Errorf("%+v: %v", o, err)
		}
	}
	if _, err := New(Options{FulcioURL: "http://127.0.0.1:5555/", RekorURL: "http://localhost:3000"}); err != nil {
		t.Errorf("loopback http refused: %v", err)
	}
	// never makes no verifier and needs no root.
	if _, err := New(Options{Mode: Never, TrustedRoot: []byte("junk")}); err != nil {
		t.Errorf("never: %v", err)
	}
	var e *Error
	_, err := New(Options{FulcioURL: "http://fulcio.example.com"})
	if !errors.As(err, &e) || !strings.Contains(e.Error(), "--fulcio-url") {
		t.Errorf("%v", err)
	}
}
