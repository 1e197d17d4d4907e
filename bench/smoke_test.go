package main

import (
	"bytes"
	"context"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestSmoke runs the whole harness in smoke mode — the real goreleaser-pypi
// binary, twine when installed, curl — against the index, on loopback and
// (B5–B7) through the WAN profile over TLS at tiny sizes and delays. It
// asserts nothing about speed: only that every contender of every benchmark
// succeeded, which includes reading every uploaded file back from the index
// by sha256, and that the WAN runs went through the emulated path.
func TestSmoke(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("curl is needed (apt-get install curl): it is the raw-HTTP baseline")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	root, err := moduleRoot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cfg := smokeConfig()
	cfg.Workdir = t.TempDir()
	var log bytes.Buffer
	rep, err := execute(ctx, cfg, root, &log)
	if err != nil {
		t.Fatalf("smoke run failed: %v\nharness log:\n%s", err, log.String())
	}
	_, twineErr := exec.LookPath("twine")
	hasTwine := twineErr == nil
	wanContenders := []string{"goreleaser-pypi -c1", "goreleaser-pypi -c4", "goreleaser-pypi -c8", "twine upload", verificationName, "curl -P1 (raw limit)", "curl -P4 (raw limit)", "curl -P8 (raw limit)"}
	want := map[string][]string{
		"B1": {"goreleaser-pypi -c1", "goreleaser-pypi -c4", attestedName(4), "twine upload", "curl -P1 (raw limit)", "curl -P4 (raw limit)"},
		"B2": {"goreleaser-pypi", "twine upload", "curl (raw limit)"},
		"B3": {"goreleaser-pypi", "twine upload", "twine check + upload"},
		"B4": {"goreleaser-pypi check", "twine check"},
		"B5": wanContenders,
		"B6": {"goreleaser-pypi", "twine upload", verificationName, "curl (raw limit)"},
		"B7": append(slices.Clone(wanContenders), attestedName(4)),
	}
	if len(rep.Results) != len(want) {
		t.Fatalf("got %d benchmarks, want %d", len(rep.Results), len(want))
	}
	for _, r := range rep.Results {
		var names []string
		for _, c := range r.Contenders {
			names = append(names, c.Name)
			if len(c.Failures) > 0 || len(c.Runs) != cfg.Runs {
				t.Errorf("%s %s: %d runs, failures %v", r.ID, c.Name, len(c.Runs), c.Failures)
			}
			for _, run := range c.Runs {
				if run.Wall <= 0 || run.MaxRSS <= 0 {
					t.Errorf("%s %s: not measured: %+v", r.ID, c.Name, run.measurement)
				}
				// Through the WAN profile, every upload crossed the TLS proxy.
				if r.WAN && c.Name != verificationName && (run.WAN.Connections < 1 || run.WAN.Requests < int64(r.Files)) {
					t.Errorf("%s %s: %+v: the uploads did not go through the WAN proxy", r.ID, c.Name, run.WAN)
				}
			}
		}
		var expected []string
		for _, n := range want[r.ID] {
			if hasTwine || !strings.HasPrefix(n, "twine") {
				expected = append(expected, n)
			}
		}
		if !slices.Equal(names, expected) {
			t.Errorf("%s contenders = %q, want %q", r.ID, names, expected)
		}
		if !hasTwine && !strings.Contains(strings.Join(r.Notes, " "), "skipped: twine is not installed") {
			t.Errorf("%s: no note that twine was skipped", r.ID)
		}
	}
	var md bytes.Buffer
	rep.writeMarkdown(&md)
	for _, s := range []string{beginMarker, endMarker, "### B1", "### B4", "### B7", "| WAN profile (B5–B7) |", "conns (h2, resumed)", "### Targets", "| nproc |"} {
		if !strings.Contains(md.String(), s) {
			t.Errorf("report lacks %q", s)
		}
	}
	// The token must never reach the report or the harness log.
	for _, out := range []string{md.String(), log.String()} {
		if strings.Contains(out, "pypi-bench-") {
			t.Error("the upload token leaked into the report or log")
		}
	}
}
