package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/goreleaser-pypi/goreleaser-pypi/internal/wheelgen"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
)

// The WAN benchmarks: the same contenders as on loopback, reaching the index
// through the emulated path of wan.go (TLS, latency, per-connection
// bandwidth, the index's processing time).

// wanRuns is the number of repetitions of B5–B7.
func (h *harness) wanRuns() int {
	if h.cfg.WANRuns > 0 {
		return h.cfg.WANRuns
	}
	return h.cfg.Runs
}

// wanContenders is goreleaser-pypi at 1, 4 and 8 uploads at a time, twine,
// and curl with 1, 4 and 8 transfers at a time.
func (h *harness) wanContenders(b *benchmark, concurrencies []int) error {
	for _, c := range concurrencies {
		b.Contenders = append(b.Contenders, h.goreleaserUpload(fmt.Sprintf("goreleaser-pypi -c%d", c), c, b.Files))
	}
	b.Contenders = h.appendTwine(b, h.twineUploadContender("twine upload", b.Files, false))
	b.Contenders = append(b.Contenders, h.verificationAlone(b.Files))
	for _, p := range concurrencies {
		c, err := h.curlUpload(fmt.Sprintf("curl -P%d (raw limit)", p), p, b.Files)
		if err != nil {
			return err
		}
		b.Contenders = append(b.Contenders, c)
	}
	return nil
}

// verificationAlone is `goreleaser-pypi check` of the benchmark's files:
// the pass `upload` runs before its first byte, measured on its own in the
// same repetitions, so the tables show how much of goreleaser-pypi's time
// it is.
func (h *harness) verificationAlone(files []*dist.Distribution) contender {
	return h.goreleaserCheck(verificationName, files)
}

const verificationName = "goreleaser-pypi check (verification alone)"

// attestedName names the contender that also attests (PEP 740).
func attestedName(c int) string { return fmt.Sprintf("goreleaser-pypi -c%d +attestations", c) }

func (h *harness) wanNote() string {
	return "Through the WAN profile: " + h.cfg.WAN.String() + ". `conns` is the TCP connections the contender opened (how many negotiated h2; how many resumed a TLS session)."
}

func (h *harness) benchB5(ctx context.Context) (*benchmark, error) {
	if !h.selected("B5") {
		return nil, nil
	}
	// B1's wheels when the sizes match: the same files, generated once.
	files, err := h.wheels("b1", "bench-b1", h.cfg.B5Files, h.cfg.B5Size, 1000)
	if err != nil {
		return nil, err
	}
	b := &benchmark{
		ID: "B5", Title: fmt.Sprintf("WAN, many files: %d wheels × %s", len(files), humanBytes(h.cfg.B5Size)),
		Files: files, Upload: true, WAN: true, Runs: h.wanRuns(),
		Notes: []string{h.wanNote(), "Each wheel is its own project, so no file waits for another's release to exist."},
	}
	return b, h.wanContenders(b, []int{1, 4, 8})
}

func (h *harness) benchB6(ctx context.Context) (*benchmark, error) {
	if !h.selected("B6") {
		return nil, nil
	}
	files, err := h.wheels("b6", "bench-b6", 1, h.cfg.B6Size, 6000)
	if err != nil {
		return nil, err
	}
	b := &benchmark{
		ID: "B6", Title: "WAN, one big file: 1 wheel × " + humanBytes(h.cfg.B6Size),
		Files: files, Upload: true, WAN: true, Runs: h.wanRuns(),
		Notes: []string{h.wanNote(), "One file: the concurrency setting changes nothing, so goreleaser-pypi runs with its default."},
	}
	b.Contenders = append(b.Contenders, h.goreleaserUpload("goreleaser-pypi", 0, files))
	b.Contenders = h.appendTwine(b, h.twineUploadContender("twine upload", files, false))
	b.Contenders = append(b.Contenders, h.verificationAlone(files))
	c, err := h.curlUpload("curl (raw limit)", 1, files)
	if err != nil {
		return nil, err
	}
	b.Contenders = append(b.Contenders, c)
	return b, nil
}

// b7Platforms are the platform tags of B7's wheels, those of a Go binary
// released for Linux, macOS and Windows on amd64 and arm64.
var b7Platforms = []string{
	"py3-none-macosx_10_12_x86_64",
	"py3-none-macosx_11_0_arm64",
	"py3-none-manylinux_2_17_aarch64.manylinux2014_aarch64",
	"py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64",
	"py3-none-win_amd64",
	"py3-none-win_arm64",
}

// release writes B7's release: one project, one version, B7Wheels platform
// wheels, one pure wheel and one sdist, in the order a shell glob (dist/*)
// lists them, which is the order every contender gets.
func (h *harness) release() ([]*dist.Distribution, error) {
	dir := filepath.Join(h.work, "b7")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	start := time.Now()
	const name = "bench-b7"
	if h.cfg.B7Wheels > len(b7Platforms) {
		return nil, fmt.Errorf("B7 has platform tags for %d wheels, not %d", len(b7Platforms), h.cfg.B7Wheels)
	}
	var ps []string
	for i := range h.cfg.B7Wheels {
		spec := benchSpec(name, h.cfg.B7WheelSize, 7000+int64(i))
		spec.Tag = b7Platforms[i]
		p, err := wheelgen.Write(dir, spec)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	p, err := wheelgen.Write(dir, benchSpec(name, h.cfg.B7PureSize, 7100))
	if err != nil {
		return nil, err
	}
	ps = append(ps, p)
	if p, err = wheelgen.WriteSdist(dir, benchSpec(name, h.cfg.B7SdistSize, 7200)); err != nil {
		return nil, err
	}
	ps = append(ps, p)
	slices.Sort(ps)
	ds, err := h.inspect(ps)
	if err != nil {
		return nil, err
	}
	h.logf("generated a release of %d files in %s (%s)", len(ds), dir, time.Since(start).Round(time.Millisecond))
	return ds, nil
}

func (h *harness) benchB7(ctx context.Context) (*benchmark, error) {
	if !h.selected("B7") {
		return nil, nil
	}
	files, err := h.release()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, d := range files {
		names = append(names, fmt.Sprintf("`%s` (%s)", d.Filename, humanBytes(d.Size)))
	}
	b := &benchmark{
		ID: "B7", Title: fmt.Sprintf("WAN, one release: %d platform wheels × %s + pure wheel + sdist", h.cfg.B7Wheels, humanBytes(h.cfg.B7WheelSize)),
		Files: files, Upload: true, WAN: true, Runs: h.wanRuns(),
		Notes: []string{h.wanNote(),
			"Files, in the order every contender gets them (a shell glob's): " + strings.Join(names, ", ") + ". " +
				"goreleaser-pypi sends wheels before the sdist, the smallest wheel first; the release's other files start once its body is sent and hold back their last 64 KiB until it is stored (the index creates the release inside that upload); twine and curl send them as given."},
	}
	// Attestation cost: the same files, -c4, by trusted publishing with
	// PEP 740 attestations, beside the plain -c4.
	if err := h.wanContenders(b, []int{1, 4, 8}); err != nil {
		return nil, err
	}
	b.Contenders = append(b.Contenders, h.goreleaserUploadAttested(attestedName(4), 4, b.Files))
	return b, nil
}

// profile runs every goreleaser-pypi upload contender of b once more, on
// the profiling build, writing its CPU profile into config.ProfileDir.
// Unmeasured: the profiler's own cost stays out of the figures.
func (h *harness) profile(ctx context.Context, b *benchmark, r *benchResult) error {
	if h.cfg.ProfileDir == "" || !b.Upload {
		return nil
	}
	for _, c := range b.Contenders {
		concurrency, ok := goreleaserConcurrency(c.Name)
		if !ok {
			continue
		}
		path, err := filepath.Abs(filepath.Join(h.cfg.ProfileDir, b.ID+"-"+strings.ReplaceAll(c.Name, " ", "")+".pprof"))
		if err != nil {
			return err
		}
		pc := h.goreleaserUploadWith(h.tools.Profiling, []string{"GORELEASER_PYPI_BENCH_CPUPROFILE=" + path}, c.Name, concurrency, b.Files)
		m, err := h.measure(ctx, b, pc)
		if err != nil {
			return fmt.Errorf("%s %s, profiled run: %w", b.ID, c.Name, err)
		}
		h.logf("%s profiled %-22s %8.3fs  CPU %6.2fs  → %s", b.ID, c.Name, m.Wall.Seconds(), m.CPU.Seconds(), path)
		r.Profiles = append(r.Profiles, path)
	}
	return nil
}

// goreleaserConcurrency reads the concurrency back from a goreleaser-pypi
// upload contender's name ("goreleaser-pypi -c4"; 0 = the default).
func goreleaserConcurrency(name string) (int, bool) {
	if name == "goreleaser-pypi" {
		return 0, true
	}
	var c int
	if _, err := fmt.Sscanf(name, "goreleaser-pypi -c%d", &c); err != nil || c < 1 {
		return 0, false
	}
	return c, true
}
