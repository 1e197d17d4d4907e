package publisher_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/goreleaser-pypi/goreleaser-pypi/config"
	"github.com/goreleaser-pypi/goreleaser-pypi/goreleaser"
	"github.com/goreleaser-pypi/goreleaser-pypi/internal/plainlog"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/oidc"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/pypitest"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/upload"
)

// Errors keep their types all the way to the front end.
func TestErrorsKeepTheirTypes(t *testing.T) {
	srv := pypitest.NewServer(t, pypitest.WithToken(token))
	files := goodFiles(t)
	var c captured

	// No credential at all: the trusted publishing guidance, as an *oidc.Error.
	j := job(srv, files, map[string]string{}, &c)
	_, err := run(context.Background(), j)
	var oe *oidc.Error
	if !errors.As(err, &oe) || errors.Is(err, publisher.ErrReported) {
		t.Fatalf("no credentials: %T %v", err, err)
	}

	// Two targets: the same error, wrapped in a *TargetError naming the target.
	t1, t2 := j.Target, j.Target
	t1.Name, t2.Name = "first", "second"
	cfg := &config.File{Version: 1, Targets: []config.Target{t1, t2}}
	opts := publisher.Options{Getenv: env(nil), Log: plainlog.New(&c.logs), Stdout: &c.stdout}
	res, err := publisher.Publish(context.Background(), cfg, goreleaser.FilesList(files), opts)
	var te *publisher.TargetError
	if !errors.As(err, &te) || te.Target != "first" || !errors.As(err, &oe) || len(res.NotAttempted) != 1 || res.NotAttempted[0] != "second" {
		t.Fatalf("two targets: %T %v, not attempted %v", err, err, res.NotAttempted)
	}

	// Verification problems: reported (printed), and a *dist.VerifyError.
	_, err = run(context.Background(), job(srv, append(files, "no-such-file-1.0-py3-none-any.whl"), map[string]string{"PYPI_API_TOKEN": token}, &c))
	var ve *dist.VerifyError
	if !errors.Is(err, publisher.ErrReported) || !errors.As(err, &ve) || len(ve.Problems) == 0 {
		t.Fatalf("verification: %T %v", err, err)
	}

	// Interrupted: context.Canceled survives, per file too.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep, err := run(ctx, job(srv, files, map[string]string{"PYPI_API_TOKEN": token}, &c))
	if err == nil || !errors.Is(err, publisher.ErrReported) {
		t.Fatalf("interrupted: %v", err)
	}
	var na *upload.NotAttemptedError
	for _, f := range rep.Files {
		if f.Status != upload.StatusNotAttempted || !errors.As(f.Err, &na) || !strings.Contains(f.Error(), "not attempted: interrupted") {
			t.Errorf("%s: %s %v", f.Filename, f.Status, f.Err)
		}
	}
	if srv.Stats().UploadAttempts != 0 {
		t.Error("an interrupted run sent files")
	}
}

// NothingToPublish is a typed "nothing to do", never a failure.
func TestNothingToPublish(t *testing.T) {
	var c captured
	opts := publisher.Options{Getenv: env(nil), Log: plainlog.New(&c.logs), Stdout: &c.stdout}
	disabled := config.Default()
	disabled.Targets[0].Disable = true
	var nothing *publisher.NothingToPublish
	if _, err := publisher.Publish(context.Background(), disabled, goreleaser.FilesList(goodFiles(t)), opts); !errors.As(err, &nothing) {
		t.Errorf("every target disabled: %v", err)
	}
	goOnly := &goreleaser.List{Artifacts: []goreleaser.Artifact{{Name: "tool", Type: "Binary"}}}
	if _, err := publisher.Publish(context.Background(), config.Default(), goOnly, opts); !errors.As(err, &nothing) {
		t.Errorf("no Python artifacts: %v", err)
	}
}
