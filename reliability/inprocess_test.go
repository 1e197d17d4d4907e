package reliability

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/caarlos0/log"
	"go.uber.org/goleak"

	"github.com/goreleaser-pypi/goreleaser-pypi/config"
	"github.com/goreleaser-pypi/goreleaser-pypi/goreleaser"
	"github.com/goreleaser-pypi/goreleaser-pypi/internal/secrets"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/credential"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/pypitest"
	pubreport "github.com/goreleaser-pypi/goreleaser-pypi/publisher/report"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/retry"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/upload"
)

// The GoReleaser plugin runs publisher.Publish inside GoReleaser's process:
// a run must leave no goroutine behind (idle connections, watchdogs,
// timers, progress tickers) whatever the index did. These tests run it
// in-process (and under -race in CI) and check with goleak.

// runInProcess runs publisher.Publish against srv and returns its report
// and everything it printed.
func runInProcess(t *testing.T, srv *pypitest.Server, fx *fixture, env map[string]string, target config.Target) (*pubreport.Release, string, error) {
	t.Helper()
	var logs, stdout bytes.Buffer
	target.RepositoryURL = srv.RepositoryURL
	target.Retry = config.Retry{Attempts: 4, Delay: 10 * time.Millisecond, MaxDelay: 100 * time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg := &config.File{Version: 1, Targets: []config.Target{target}}
	rep, err := publisher.Publish(ctx, cfg, goreleaser.FilesList(fx.paths()), publisher.Options{
		Getenv: func(k string) string { return env[k] },
		Log:    log.New(&logs),
		Stdout: &stdout,
	})
	return rep, logs.String() + stdout.String(), err
}

func TestRunInProcessLeavesNoGoroutines(t *testing.T) {
	cases := []struct {
		name   string
		oidc   bool
		inject func(*pypitest.Server)
		ok     bool
	}{
		{name: "clean", ok: true},
		{name: "500 then success", ok: true, inject: func(s *pypitest.Server) { s.Faults().Next(2, pypitest.Fault{Status: 500}) }},
		{name: "resets", ok: true, inject: func(s *pypitest.Server) {
			s.Faults().Next(1, pypitest.Fault{Drop: true, DropAfter: 100})
			s.Faults().Next(1, pypitest.Fault{Drop: true, DropAfter: 1 << 40})
		}},
		{name: "503 forever", ok: false, inject: func(s *pypitest.Server) { s.Faults().Next(-1, pypitest.Fault{Status: 503}) }},
		{name: "redirect", ok: false, inject: func(s *pypitest.Server) {
			s.Faults().Next(-1, pypitest.Fault{RedirectTo: s.URL + "/elsewhere/"})
		}},
		{name: "trusted publishing with a mint failure", oidc: true, ok: true, inject: func(s *pypitest.Server) { s.FailMintNext(1, 502) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ignore := goleak.IgnoreCurrent()
			srv, err := pypitest.Start("127.0.0.1:0", pypitest.WithToken(apiToken))
			if err != nil {
				t.Fatal(err)
			}
			fx := newFixture(t)
			fx.addRelease(t, "leakdemo", "1.0.0", 2, true, 4<<10, 17)
			env := map[string]string{"PYPI_API_TOKEN": apiToken}
			target := config.DefaultTarget()
			target.Name, target.TrustedPublishing, target.Concurrency = "local", config.TrustedPublishingNever, 3
			if tc.oidc {
				env = map[string]string{}
				for _, kv := range srv.Issuer.GitHubEnv() {
					k, v, _ := strings.Cut(kv, "=")
					env[k] = v
				}
				target.TrustedPublishing = config.TrustedPublishingAlways
			}
			if tc.inject != nil {
				tc.inject(srv)
			}
			rep, out, runErr := runInProcess(t, srv, fx, env, target)
			if (runErr == nil) != tc.ok || rep == nil || rep.OK() != tc.ok {
				t.Errorf("err %v, report ok %v", runErr, rep != nil && rep.OK())
			}
			if rep != nil {
				var buf bytes.Buffer
				_ = rep.WriteJSON(&buf)
				out += buf.String() + rep.Markdown()
			}
			scanSecrets(t, map[string]string{"run": out}, srv, apiToken)
			srv.Close()
			goleak.VerifyNone(t, ignore)
		})
	}
}

// TestResponseThatNeverComes: an index that takes the whole body and never
// answers. The attempt times out (ResponseTimeout), is retried, and the
// file is reported failed with the reason, promptly, leaving no goroutine.
//
// The CLI and the settings file have no timeout setting (the engine's
// default is 10 minutes per attempt), so this runs at the engine level.
func TestResponseThatNeverComes(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	srv, err := pypitest.Start("127.0.0.1:0", pypitest.WithToken(apiToken))
	if err != nil {
		t.Fatal(err)
	}
	srv.Faults().Next(-1, pypitest.Fault{Delay: time.Hour}) // never answers
	fx := newFixture(t)
	fx.addRelease(t, "hangdemo", "1.0.0", 1, false, 4<<10, 19)
	dists, problems := dist.Check(fx.paths(), dist.Options{})
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	var logs bytes.Buffer
	p, err := upload.New(upload.Options{
		RepositoryURL:   srv.RepositoryURL,
		Credentials:     credential.Static(apiToken, "test"),
		Retry:           retry.Policy{Attempts: 2, Delay: 10 * time.Millisecond},
		ResponseTimeout: 300 * time.Millisecond,
		StallTimeout:    300 * time.Millisecond,
		Log:             log.New(&logs),
	})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	rep, upErr := p.Upload(context.Background(), dists)
	took := time.Since(start)
	if upErr == nil || rep[0].Status != upload.StatusFailed || rep[0].Attempts != 2 {
		t.Fatalf("err %v, %+v", upErr, rep[0])
	}
	if !strings.Contains(strings.ToLower(rep[0].ErrorText()), "timeout") && !strings.Contains(rep[0].ErrorText(), "awaiting") {
		t.Errorf("the error does not say it timed out: %s", rep[0].ErrorText())
	}
	if took > 5*time.Second {
		t.Errorf("took %v with a 300 ms response timeout", took)
	}
	secrets.Scan(t, map[string]string{"log": logs.String(), "error": upErr.Error()}, apiToken)
	figure(t, "timeout", "index never answers: 2 attempts of 300 ms, failed after %v: %s", took.Round(time.Millisecond), rep[0].ErrorText())
	srv.Close()
	goleak.VerifyNone(t, ignore)
}
