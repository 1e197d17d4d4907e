package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/goreleaser-pypi/goreleaser-pypi/internal/wheelgen"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
)

const (
	kib = 1 << 10
	mib = 1 << 20
	gib = 1 << 30
)

// config is what one harness run measures.
type config struct {
	Mode    string // "full" or "smoke"
	Runs    int    // measured repetitions per benchmark
	B2Runs  int    // repetitions of B2 (the 1 GiB upload); 0 = Runs
	WANRuns int    // repetitions of B5–B7 (the WAN profile); 0 = Runs
	Only    []string
	// Warmup runs every contender once, unmeasured, before the repetitions
	// (B2 excepted: a 1 GiB warm-up costs more than it teaches).
	Warmup bool

	B1Files int
	B1Size  int64
	B2Size  int64
	B3Size  int64
	B4Files int
	B4Size  int64

	// WAN is the emulated path of B5–B7 (wan.go).
	WAN     wanProfile
	B5Files int
	B5Size  int64
	B6Size  int64
	// B7 is one release as GoReleaser would build it: platform wheels,
	// one pure wheel, one sdist.
	B7Wheels    int
	B7WheelSize int64
	B7PureSize  int64
	B7SdistSize int64

	// MaxFileSize is the index's per-file limit, raised above PyPI's 100 MiB for B2.
	MaxFileSize int64
	// Workdir holds the wheels, the raw bodies and the index storage; "" = a temp dir.
	Workdir string
	// RequireTwine fails instead of skipping twine's contenders when twine is absent.
	RequireTwine bool
	// Binary is a prebuilt goreleaser-pypi to measure; "" builds ./cmd/goreleaser-pypi.
	Binary string
	// Compare is a second goreleaser-pypi binary: every goreleaser-pypi
	// upload contender runs with it too, as "… [compare]", in the same
	// repetitions (a change's effect, paired).
	Compare string
	// Contenders keeps only the contenders whose name contains one of
	// these (e.g. goreleaser,curl while tuning); empty keeps all.
	Contenders []string
	// ProfileDir, when set, gets a CPU profile of one extra, unmeasured run
	// of every goreleaser-pypi upload contender, made with the profiling
	// build (-tags benchprofile).
	ProfileDir string
}

func fullConfig() config {
	return config{
		Mode: "full", Runs: 5, B2Runs: 3, WANRuns: 3, Warmup: true,
		B1Files: 40, B1Size: 8 * mib,
		B2Size:  1 * gib,
		B3Size:  4 * kib,
		B4Files: 100, B4Size: 1 * mib,
		WAN:     defaultWANProfile(),
		B5Files: 40, B5Size: 8 * mib,
		B6Size:   300 * mib,
		B7Wheels: 6, B7WheelSize: 8 * mib, B7PureSize: 64 * kib, B7SdistSize: 1 * mib,
		MaxFileSize:  2 * gib,
		RequireTwine: true,
	}
}

func smokeConfig() config {
	return config{
		Mode: "smoke", Runs: 1,
		B1Files: 4, B1Size: 64 * kib,
		B2Size:  1 * mib,
		B3Size:  4 * kib,
		B4Files: 5, B4Size: 16 * kib,
		WAN:     smokeWANProfile(),
		B5Files: 4, B5Size: 64 * kib,
		B6Size:   1 * mib,
		B7Wheels: 6, B7WheelSize: 32 * kib, B7PureSize: 8 * kib, B7SdistSize: 16 * kib,
		MaxFileSize: 2 * gib,
	}
}

// tools are the programs the contenders run.
type tools struct {
	Binary string // the goreleaser-pypi binary built for this run
	// Profiling is the same source built with -tags benchprofile ("" unless
	// config.ProfileDir is set): it writes a CPU profile when told to.
	Profiling string
	Compare   string // config.Compare, absolute
	Twine     string // "" when absent (smoke mode only)
	Curl      string
}

// harness runs the benchmarks of one config.
type harness struct {
	cfg      config
	tools    tools
	token    string
	boundary string
	work     string
	log      io.Writer
	env      []string // base environment of every contender
	ca       *localCA // the WAN profile's certificate authority
	// generated memoizes wheel sets by their spec, so benchmarks with the
	// same payload (B1 and B5) share one set of files.
	generated map[string][]*dist.Distribution
}

// benchmark is one scenario and the contenders that race on it.
type benchmark struct {
	ID, Title  string
	Files      []*dist.Distribution
	Upload     bool // each run must land every file on the index
	WAN        bool // the contenders reach the index through the WAN profile
	Runs       int
	Warmup     bool
	Contenders []contender
	Notes      []string
}

// bytes is the payload of one run: the sum of the distributions' sizes.
func (b *benchmark) bytes() int64 {
	var n int64
	for _, d := range b.Files {
		n += d.Size
	}
	return n
}

// contender is one tool (with its settings) racing on a benchmark.
type contender struct {
	Name string
	// Procs says how its peak RSS is counted when it runs more than one process.
	RSSNote string
	// Offline: the contender does not upload (a verification pass shown
	// beside the uploads): no index, nothing to check on it.
	Offline bool
	run     func(ctx context.Context, idx *index) (measurement, error)
}

// runResult is one measured run.
type runResult struct {
	Rep int
	measurement
}

// contenderResult holds every run of one contender.
type contenderResult struct {
	Name     string
	RSSNote  string
	Offline  bool // did not upload
	Runs     []runResult
	Failures []string
}

// benchResult is the outcome of one benchmark.
type benchResult struct {
	ID, Title  string
	Files      int
	Bytes      int64 // per run
	Runs       int
	Upload     bool // runs uploaded to the index (B4 does not)
	WAN        bool // through the WAN profile
	Notes      []string
	Contenders []*contenderResult
	Profiles   []string // CPU profiles written (config.ProfileDir)
}

func (r *benchResult) contender(name string) *contenderResult {
	for _, c := range r.Contenders {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// newHarness prepares a run: work directory, token, tools (building the
// goreleaser-pypi binary from moduleRoot).
func newHarness(ctx context.Context, cfg config, moduleRoot string, log io.Writer) (*harness, error) {
	h := &harness{cfg: cfg, log: log, boundary: newBoundary(), generated: map[string][]*dist.Distribution{}}
	secret := make([]byte, 24)
	rand.Read(secret)
	h.token = "pypi-bench-" + hex.EncodeToString(secret)

	work := cfg.Workdir
	if work == "" {
		var err error
		if work, err = os.MkdirTemp(scratchRoot(cfg), "goreleaser-pypi-bench-"); err != nil {
			return nil, err
		}
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, err
	}
	h.work = work

	if cfg.Binary != "" {
		abs, err := filepath.Abs(cfg.Binary)
		if err != nil {
			return nil, err
		}
		h.tools.Binary = abs
	} else {
		h.tools.Binary = filepath.Join(work, "goreleaser-pypi")
		h.logf("building %s", h.tools.Binary)
		build := exec.CommandContext(ctx, "go", "build", "-o", h.tools.Binary, "./cmd/goreleaser-pypi")
		build.Dir = moduleRoot
		if out, err := build.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build ./cmd/goreleaser-pypi in %s: %v\n%s", moduleRoot, err, out)
		}
	}
	if cfg.Compare != "" {
		abs, err := filepath.Abs(cfg.Compare)
		if err != nil {
			return nil, err
		}
		h.tools.Compare = abs
	}
	if cfg.ProfileDir != "" {
		if err := os.MkdirAll(cfg.ProfileDir, 0o755); err != nil {
			return nil, err
		}
		h.tools.Profiling = filepath.Join(work, "goreleaser-pypi-profiling")
		h.logf("building %s (-tags benchprofile)", h.tools.Profiling)
		build := exec.CommandContext(ctx, "go", "build", "-tags", "benchprofile", "-o", h.tools.Profiling, "./cmd/goreleaser-pypi")
		build.Dir = moduleRoot
		if out, err := build.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build -tags benchprofile ./cmd/goreleaser-pypi in %s: %v\n%s", moduleRoot, err, out)
		}
	}
	for _, sub := range []string{"upload", "check"} {
		if out, err := exec.CommandContext(ctx, h.tools.Binary, sub, "--help").CombinedOutput(); err != nil {
			return nil, fmt.Errorf("goreleaser-pypi %s --help failed (%v): is the %s command built yet?\n%s", sub, err, sub, out)
		}
	}

	if _, err := os.Stat(timeCmd); err != nil {
		return nil, errors.New(timeCmd + " not found: install GNU time (apt-get install time); it measures peak RSS")
	}
	var err error
	if h.tools.Curl, err = exec.LookPath("curl"); err != nil {
		return nil, errors.New("curl not found: install it (apt-get install curl); it is the raw-HTTP baseline")
	}
	if t, err := exec.LookPath("twine"); err == nil {
		h.tools.Twine = t
	} else if cfg.RequireTwine {
		return nil, errors.New("twine not found: install Debian's twine (apt-get install twine) or run -mode smoke")
	}

	// Contenders start from a small, explicit environment: nothing from the
	// caller's shell (CI variables, tokens) leaks into what is measured.
	h.env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "LANG=C.UTF-8", "TMPDIR=" + os.TempDir()}
	if h.ca, err = newLocalCA(work); err != nil {
		return nil, fmt.Errorf("making the WAN profile's certificate authority: %w", err)
	}
	return h, nil
}

// scratchRoot is where the wheels, the raw bodies and the index storage go:
// /dev/shm when it is a tmpfs with room for a full run, so that the figures
// measure the clients and the wire, not the disk's writeback of the index's
// storage (which, on this class of machine, made single runs 60% slower);
// the system temp dir otherwise.
func scratchRoot(cfg config) string {
	need := int64(cfg.B1Files)*cfg.B1Size*3 + cfg.B2Size*3 + int64(cfg.B4Files)*cfg.B4Size +
		int64(cfg.B5Files)*cfg.B5Size*3 + cfg.B6Size*3 + int64(cfg.B7Wheels)*cfg.B7WheelSize*3 + gib
	var st syscall.Statfs_t
	const tmpfsMagic = 0x01021994
	if err := syscall.Statfs("/dev/shm", &st); err == nil && st.Type == tmpfsMagic && int64(st.Bavail)*st.Bsize > need {
		return "/dev/shm"
	}
	return os.TempDir()
}

func (h *harness) logf(format string, args ...any) {
	fmt.Fprintf(h.log, "bench: "+format+"\n", args...)
}

// close removes the work directory unless the user chose it.
func (h *harness) close() {
	if h.cfg.Workdir == "" {
		os.RemoveAll(h.work)
	}
}

func (h *harness) selected(id string) bool {
	if len(h.cfg.Only) == 0 {
		return true
	}
	for _, o := range h.cfg.Only {
		if strings.EqualFold(o, id) {
			return true
		}
	}
	return false
}

// runAll prepares and runs every selected benchmark in order.
func (h *harness) runAll(ctx context.Context) ([]*benchResult, error) {
	var results []*benchResult
	var failed []string
	for _, prep := range []func(context.Context) (*benchmark, error){h.benchB1, h.benchB2, h.benchB3, h.benchB4, h.benchB5, h.benchB6, h.benchB7} {
		b, err := prep(ctx)
		if err != nil {
			return results, err
		}
		if b == nil {
			continue
		}
		h.adjustContenders(b)
		r, err := h.run(ctx, b)
		if err != nil {
			return results, err
		}
		if err := h.profile(ctx, b, r); err != nil {
			return results, err
		}
		results = append(results, r)
		for _, c := range r.Contenders {
			for _, f := range c.Failures {
				failed = append(failed, fmt.Sprintf("%s %s: %s", r.ID, c.Name, f))
			}
		}
	}
	if len(failed) > 0 {
		return results, fmt.Errorf("%d runs failed:\n%s", len(failed), strings.Join(failed, "\n"))
	}
	return results, nil
}

// adjustContenders adds the [compare] twins and drops the contenders
// config.Contenders leaves out.
func (h *harness) adjustContenders(b *benchmark) {
	var cs []contender
	for _, c := range b.Contenders {
		if len(h.cfg.Contenders) > 0 && !slices.ContainsFunc(h.cfg.Contenders, func(s string) bool { return strings.Contains(c.Name, s) }) {
			continue
		}
		cs = append(cs, c)
		if n, ok := goreleaserConcurrency(c.Name); ok && b.Upload && h.tools.Compare != "" {
			cs = append(cs, h.goreleaserUploadWith(h.tools.Compare, nil, c.Name+" [compare]", n, b.Files))
		}
	}
	b.Contenders = cs
}

// run measures a benchmark: repetitions in turn, and within each repetition
// every contender once, the starting contender rotating, so drift (thermal,
// page cache, noisy neighbours) spreads over all of them instead of landing
// on whoever runs last.
func (h *harness) run(ctx context.Context, b *benchmark) (*benchResult, error) {
	res := &benchResult{ID: b.ID, Title: b.Title, Files: len(b.Files), Bytes: b.bytes(), Runs: b.Runs, Upload: b.Upload, WAN: b.WAN, Notes: b.Notes}
	for _, c := range b.Contenders {
		res.Contenders = append(res.Contenders, &contenderResult{Name: c.Name, RSSNote: c.RSSNote, Offline: c.Offline})
	}
	warm := 0
	if b.Warmup {
		warm = 1
	}
	n := len(b.Contenders)
	for rep := -warm; rep < b.Runs; rep++ {
		for i := range n {
			k := (i + max(rep, 0)) % n
			c := b.Contenders[k]
			if err := ctx.Err(); err != nil {
				return res, err
			}
			m, err := h.measure(ctx, b, c)
			label := fmt.Sprintf("%s run %d/%d %-26s", b.ID, rep+1, b.Runs, c.Name)
			if rep < 0 {
				label = fmt.Sprintf("%s warm-up %-26s", b.ID, c.Name)
			}
			if err != nil {
				h.logf("%s FAILED: %v", label, err)
				if rep >= 0 {
					res.Contenders[k].Failures = append(res.Contenders[k].Failures, fmt.Sprintf("run %d: %v", rep+1, err))
				}
				continue
			}
			conns := ""
			if b.WAN {
				conns = fmt.Sprintf("  conns %d (h2 %d, resumed %d) requests %d", m.WAN.Connections, m.WAN.HTTP2, m.WAN.Resumed, m.WAN.Requests)
			}
			h.logf("%s %8.3fs %7.1f MiB/s  peak RSS %6.1f MiB  CPU %6.2fs  index CPU %6.2fs%s", label, m.Wall.Seconds(), mibPerSec(res.Bytes, m.Wall), float64(m.MaxRSS)/mib, m.CPU.Seconds(), m.IndexCPU.Seconds(), conns)
			if rep >= 0 {
				res.Contenders[k].Runs = append(res.Contenders[k].Runs, runResult{Rep: rep, measurement: m})
			}
		}
	}
	return res, nil
}

// measure runs one contender once, against a fresh index when the benchmark
// uploads, and checks the outcome.
func (h *harness) measure(ctx context.Context, b *benchmark, c contender) (measurement, error) {
	if !b.Upload || c.Offline {
		return c.run(ctx, nil)
	}
	storage, err := os.MkdirTemp(h.work, "index-")
	if err != nil {
		return measurement{}, err
	}
	defer os.RemoveAll(storage)
	var wan *wanProfile
	if b.WAN {
		wan = &h.cfg.WAN
	}
	idx, err := startIndex(h.token, storage, h.cfg.MaxFileSize, wan, h.ca)
	if err != nil {
		return measurement{}, fmt.Errorf("starting the index: %w", err)
	}
	defer idx.close()
	before := selfCPU()
	m, err := c.run(ctx, idx)
	m.IndexCPU = selfCPU() - before
	if idx.wan != nil {
		m.WAN = idx.wan.stats()
	}
	if err != nil {
		return m, err
	}
	return m, verifyLanded(ctx, idx, b.Files)
}

// selfCPU is the harness process's user + system time so far: during a run,
// that is the in-process index at work.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// wheels generates count valid wheels with a payload of size bytes under
// dir (internal/wheelgen) and inspects them with dist.Check, the same code
// goreleaser-pypi verifies with, so the raw bodies carry the same fields.
func (h *harness) wheels(dir, prefix string, count int, size int64, seed int64) ([]*dist.Distribution, error) {
	key := fmt.Sprintf("%s/%s/%d/%d/%d", dir, prefix, count, size, seed)
	if ds, ok := h.generated[key]; ok {
		return ds, nil
	}
	if h.generated == nil {
		h.generated = map[string][]*dist.Distribution{}
	}
	dir = filepath.Join(h.work, dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	start := time.Now()
	var ps []string
	for i := range count {
		name := prefix
		if count > 1 {
			name = fmt.Sprintf("%s-%03d", prefix, i)
		}
		path, err := wheelgen.Write(dir, benchSpec(name, size, seed+int64(i)))
		if err != nil {
			return nil, err
		}
		ps = append(ps, path)
	}
	ds, err := h.inspect(ps)
	if err != nil {
		return nil, err
	}
	h.logf("generated %d wheel(s) with a %s payload in %s (%s)", count, humanBytes(size), dir, time.Since(start).Round(time.Millisecond))
	h.generated[key] = ds
	return ds, nil
}

// benchSpec is a generated distribution of the benchmarks: a Markdown
// README as the description, as real projects have (twine check fails a
// wheel without one).
func benchSpec(name string, size, seed int64) wheelgen.Spec {
	return wheelgen.Spec{
		Name: name, Version: "1.0.0", Size: size, Seed: seed,
		Summary:     "goreleaser-pypi benchmark payload",
		Metadata:    []wheelgen.Header{{Name: "Description-Content-Type", Value: "text/markdown"}, {Name: "License", Value: "MIT"}, {Name: "Requires-Python", Value: ">=3.9"}},
		Description: "# " + name + "\n\nA generated distribution for the goreleaser-pypi benchmarks: an incompressible payload of " + humanBytes(size) + ".\n",
	}
}

// inspect verifies generated files with dist.Check, the code goreleaser-pypi
// verifies with, so the raw bodies carry the same fields.
func (h *harness) inspect(paths []string) ([]*dist.Distribution, error) {
	ds, problems := dist.Check(paths, dist.Options{MaxFileSize: h.cfg.MaxFileSize})
	if len(problems) > 0 {
		return nil, fmt.Errorf("generated distributions do not verify: %v", errors.Join(problemErrors(problems)...))
	}
	return ds, nil
}

func problemErrors(ps []dist.Problem) []error {
	var errs []error
	for _, p := range ps {
		errs = append(errs, p)
	}
	return errs
}

// sizeFlag renders a size for goreleaser-pypi's --max-file-size, e.g. "2GiB".
func sizeFlag(n int64) string { return strings.ReplaceAll(humanBytes(n), " ", "") }

func paths(ds []*dist.Distribution) []string {
	var ps []string
	for _, d := range ds {
		ps = append(ps, d.Path)
	}
	return ps
}

// --- contenders ---

// goreleaserUpload is `goreleaser-pypi upload --concurrency N FILE...`, token from env.
func (h *harness) goreleaserUpload(name string, concurrency int, files []*dist.Distribution) contender {
	return h.goreleaserUploadWith(h.tools.Binary, nil, name, concurrency, files)
}

// goreleaserUploadWith runs binary with extra environment variables (the
// profiling build and where it writes its profile).
func (h *harness) goreleaserUploadWith(binary string, extraEnv []string, name string, concurrency int, files []*dist.Distribution) contender {
	return contender{Name: name, run: func(ctx context.Context, idx *index) (measurement, error) {
		// --max-file-size: the index's raised limit, as a project with a
		// raised limit on PyPI would pass it (B2's wheel is over 100 MiB).
		args := []string{"upload", "--repository-url", idx.RepositoryURL, "--max-file-size", sizeFlag(h.cfg.MaxFileSize)}
		if concurrency > 0 {
			args = append(args, "--concurrency", strconv.Itoa(concurrency))
		}
		env := append(slices.Clone(h.env), "PYPI_API_TOKEN="+h.token)
		if idx.CAFile != "" {
			// Go's crypto/x509 reads SSL_CERT_FILE on Linux instead of the
			// system bundle: the binary trusts the local CA, nothing else.
			env = append(env, "SSL_CERT_FILE="+idx.CAFile)
		}
		p := process{Path: binary, Args: append(args, paths(files)...), Env: append(env, extraEnv...)}
		m, out, err := p.run(ctx)
		h.keepLog(name, out)
		return m, err
	}}
}

// goreleaserUploadAttested is goreleaser-pypi -cN by trusted publishing
// with PEP 740 attestations (always): one Fulcio certificate, a Rekor entry
// and a local verification per file, then the uploads with the field. The
// index's fake Fulcio and Rekor answer on loopback, without the WAN
// profile's delays (Sigstore's own latency is not modelled).
func (h *harness) goreleaserUploadAttested(name string, concurrency int, files []*dist.Distribution) contender {
	return contender{Name: name, run: func(ctx context.Context, idx *index) (measurement, error) {
		args := append([]string{"upload", "--repository-url", idx.RepositoryURL, "--concurrency", strconv.Itoa(concurrency)}, idx.attestArgs...)
		env := append(slices.Clone(h.env), idx.trustedPublishing...)
		if idx.CAFile != "" {
			env = append(env, "SSL_CERT_FILE="+idx.CAFile)
		}
		m, out, err := process{Path: h.tools.Binary, Args: append(args, paths(files)...), Env: env}.run(ctx)
		h.keepLog(name, out)
		if err == nil && !strings.Contains(out.Stderr, "attested") {
			err = fmt.Errorf("%s: no file was attested:\n%s", name, out.Stderr)
		}
		return m, err
	}}
}

// keepLog saves what a goreleaser-pypi run printed (its per-file "took"
// figures) as logs/<contender>.log in a work directory the user chose
// (-workdir), overwritten by each run: the last run's log stays.
func (h *harness) keepLog(name string, out processOutput) {
	if h.cfg.Workdir == "" {
		return
	}
	dir := filepath.Join(h.work, "logs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return
	}
	os.WriteFile(filepath.Join(dir, strings.NewReplacer(" ", "", "[", "", "]", "").Replace(name)+".log"), []byte(out.Stderr+out.Stdout), 0o644)
}

// goreleaserCheck is `goreleaser-pypi check FILE...`.
func (h *harness) goreleaserCheck(name string, files []*dist.Distribution) contender {
	return contender{Name: name, Offline: true, run: func(ctx context.Context, _ *index) (measurement, error) {
		args := []string{"check", "--max-file-size", sizeFlag(h.cfg.MaxFileSize)}
		m, _, err := process{Path: h.tools.Binary, Args: append(args, paths(files)...), Env: h.env}.run(ctx)
		return m, err
	}}
}

// twineUpload is Debian's twine, token in the environment as twine documents it.
func (h *harness) twineUpload(idx *index, files []*dist.Distribution) process {
	args := []string{"upload", "--non-interactive", "--disable-progress-bar", "--repository-url", idx.RepositoryURL}
	env := append(slices.Clone(h.env), "TWINE_USERNAME=__token__", "TWINE_PASSWORD="+h.token)
	if idx.CAFile != "" {
		// requests (twine's HTTP library) trusts this bundle instead of certifi's.
		env = append(env, "REQUESTS_CA_BUNDLE="+idx.CAFile)
	}
	return process{Path: h.tools.Twine, Args: append(args, paths(files)...), Env: env}
}

func (h *harness) twineUploadContender(name string, files []*dist.Distribution, withCheck bool) contender {
	c := contender{Name: name, run: func(ctx context.Context, idx *index) (measurement, error) {
		var total measurement
		if withCheck {
			m, _, err := process{Path: h.tools.Twine, Args: append([]string{"check"}, paths(files)...), Env: h.env}.run(ctx)
			if err != nil {
				return m, err
			}
			total = m
		}
		m, _, err := h.twineUpload(idx, files).run(ctx)
		return total.add(m), err
	}}
	if withCheck {
		c.RSSNote = "larger of the two processes"
	}
	return c
}

func (h *harness) twineCheck(files []*dist.Distribution) contender {
	return contender{Name: "twine check", run: func(ctx context.Context, _ *index) (measurement, error) {
		m, _, err := process{Path: h.tools.Twine, Args: append([]string{"check"}, paths(files)...), Env: h.env}.run(ctx)
		return m, err
	}}
}

// curlUpload is the raw-HTTP limit: the upload bodies, prebuilt on disk
// (writeUploadBody), POSTed by ONE curl process — one transfer after the
// other, or `parallel` at a time with curl's own --parallel. curl streams
// each body with -T (upload-file) plus -X POST; --data-binary @file would
// first read the whole body into memory (measured: 273 MB peak RSS for a
// 256 MiB body, and 2.8× slower). --request-target keeps the path
// /legacy/, which -T would otherwise extend with the file name. The
// Authorization header lives in a 0600 config file (-K), never on argv.
func (h *harness) curlUpload(name string, parallel int, files []*dist.Distribution) (contender, error) {
	dir := filepath.Join(h.work, "bodies")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return contender{}, err
	}
	var bodies []string
	for _, d := range files {
		path := filepath.Join(dir, d.Filename+".body")
		if _, err := os.Stat(path); err != nil {
			if path, err = writeUploadBody(dir, d, h.boundary); err != nil {
				return contender{}, err
			}
		}
		bodies = append(bodies, path)
	}
	auth := filepath.Join(h.work, "curl-auth.cfg")
	basic := base64.StdEncoding.EncodeToString([]byte("__token__:" + h.token))
	if err := os.WriteFile(auth, []byte("header = \"Authorization: Basic "+basic+"\"\n"), 0o600); err != nil {
		return contender{}, err
	}
	c := contender{Name: name, run: func(ctx context.Context, idx *index) (measurement, error) {
		args := []string{
			"-K", auth, "--silent", "--show-error",
			"-X", "POST", "--request-target", "/legacy/",
			"-H", "Content-Type: multipart/form-data; boundary=" + h.boundary,
			// no "Expect: 100-continue" round trip before each body
			"-H", "Expect:",
			"-w", "\ncurl-status %{http_code}\n",
		}
		if idx.CAFile != "" {
			// HTTP/1.1: one connection per transfer in flight, each reused
			// by the next transfer (curl would otherwise multiplex h2
			// streams on shared connections).
			args = append(args, "--cacert", idx.CAFile, "--http1.1")
		}
		if parallel > 1 {
			args = append(args, "--parallel", "--parallel-immediate", "--parallel-max", strconv.Itoa(parallel))
		}
		for _, b := range bodies {
			args = append(args, "-T", b, idx.RepositoryURL)
		}
		m, out, err := process{Path: h.tools.Curl, Args: args, Env: h.env}.run(ctx)
		if err != nil {
			return m, err
		}
		ok := strings.Count(out.Stdout, "curl-status 200\n")
		if ok != len(bodies) {
			return m, fmt.Errorf("curl: %d of %d uploads answered 200:\n%s", ok, len(bodies), tail(out.Stdout, 2000))
		}
		return m, nil
	}}
	return c, nil
}

// --- the four benchmarks ---

func (h *harness) benchB1(ctx context.Context) (*benchmark, error) {
	if !h.selected("B1") {
		return nil, nil
	}
	files, err := h.wheels("b1", "bench-b1", h.cfg.B1Files, h.cfg.B1Size, 1000)
	if err != nil {
		return nil, err
	}
	b := &benchmark{
		ID: "B1", Title: fmt.Sprintf("many files: %d wheels × %s", len(files), humanBytes(h.cfg.B1Size)),
		Files: files, Upload: true, Runs: h.cfg.Runs, Warmup: h.cfg.Warmup,
	}
	b.Contenders = append(b.Contenders,
		h.goreleaserUpload("goreleaser-pypi -c1", 1, files),
		h.goreleaserUpload("goreleaser-pypi -c4", 4, files),
		h.goreleaserUploadAttested(attestedName(4), 4, files))
	b.Contenders = h.appendTwine(b, h.twineUploadContender("twine upload", files, false))
	for _, p := range []int{1, 4} {
		c, err := h.curlUpload(fmt.Sprintf("curl -P%d (raw limit)", p), p, files)
		if err != nil {
			return nil, err
		}
		b.Contenders = append(b.Contenders, c)
	}
	return b, nil
}

func (h *harness) benchB2(ctx context.Context) (*benchmark, error) {
	if !h.selected("B2") {
		return nil, nil
	}
	files, err := h.wheels("b2", "bench-b2", 1, h.cfg.B2Size, 2000)
	if err != nil {
		return nil, err
	}
	runs := h.cfg.Runs
	if h.cfg.B2Runs > 0 {
		runs = h.cfg.B2Runs
	}
	b := &benchmark{
		ID: "B2", Title: "one big file: 1 wheel × " + humanBytes(h.cfg.B2Size),
		Files: files, Upload: true, Runs: runs,
		Notes: []string{fmt.Sprintf("The index's per-file limit is raised to %s for this benchmark (PyPI's default is 100 MiB).", humanBytes(h.cfg.MaxFileSize))},
	}
	b.Contenders = append(b.Contenders, h.goreleaserUpload("goreleaser-pypi", 0, files))
	b.Contenders = h.appendTwine(b, h.twineUploadContender("twine upload", files, false))
	c, err := h.curlUpload("curl (raw limit)", 1, files)
	if err != nil {
		return nil, err
	}
	b.Contenders = append(b.Contenders, c)
	return b, nil
}

func (h *harness) benchB3(ctx context.Context) (*benchmark, error) {
	if !h.selected("B3") {
		return nil, nil
	}
	files, err := h.wheels("b3", "bench-b3", 1, h.cfg.B3Size, 3000)
	if err != nil {
		return nil, err
	}
	b := &benchmark{
		ID: "B3", Title: "one tiny wheel (" + humanBytes(files[0].Size) + "): whole process, verify + upload",
		Files: files, Upload: true, Runs: h.cfg.Runs, Warmup: h.cfg.Warmup,
		Notes: []string{"goreleaser-pypi upload verifies every file before uploading; twine upload does not, so twine is shown alone and as `twine check` + `twine upload` (what pypa/gh-action-pypi-publish runs)."},
	}
	b.Contenders = append(b.Contenders, h.goreleaserUpload("goreleaser-pypi", 0, files))
	b.Contenders = h.appendTwine(b, h.twineUploadContender("twine upload", files, false))
	b.Contenders = h.appendTwine(b, h.twineUploadContender("twine check + upload", files, true))
	return b, nil
}

func (h *harness) benchB4(ctx context.Context) (*benchmark, error) {
	if !h.selected("B4") {
		return nil, nil
	}
	files, err := h.wheels("b4", "bench-b4", h.cfg.B4Files, h.cfg.B4Size, 4000)
	if err != nil {
		return nil, err
	}
	b := &benchmark{
		ID: "B4", Title: fmt.Sprintf("check: %d wheels × %s", len(files), humanBytes(h.cfg.B4Size)),
		Files: files, Runs: h.cfg.Runs, Warmup: h.cfg.Warmup,
		Notes: []string{"`goreleaser-pypi check` hashes every file (sha256 + blake2b) and validates metadata, filename and archive the way the index does; `twine check` only parses the metadata and renders the description."},
	}
	b.Contenders = append(b.Contenders, h.goreleaserCheck("goreleaser-pypi check", files))
	b.Contenders = h.appendTwine(b, h.twineCheck(files))
	return b, nil
}

// appendTwine adds a twine contender, or a note when twine is absent (smoke mode).
func (h *harness) appendTwine(b *benchmark, c contender) []contender {
	if h.tools.Twine == "" {
		b.Notes = append(b.Notes, "`"+c.Name+"` skipped: twine is not installed.")
		return b.Contenders
	}
	return append(b.Contenders, c)
}
