// Command bench races goreleaser-pypi against twine and the raw-HTTP limit
// (curl POSTing prebuilt upload bodies) on the same local index, and writes a
// Markdown report: wall time, throughput, peak RSS, pairwise ratios, and the
// project's performance targets with the measured figures.
//
//	go run ./bench                                  # full run, report on stdout
//	go run ./bench -mode full -runs 5 -out BENCHMARKS.md
//	go run ./bench -mode smoke                      # tiny sizes, one run each (CI)
//
// Benchmarks: B1 many files (40 × 8 MiB), B2 one big file (1 GiB), B3 one
// tiny wheel (whole-process time), B4 `check` of 100 wheels, all on
// loopback; B5 many files, B6 one 300 MiB file and B7 one GoReleaser-sized
// release through the WAN profile (wan.go: TLS, latency, per-connection
// bandwidth, the index's processing time).
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/goreleaser-pypi/goreleaser-pypi/internal/bytesize"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mode := fs.String("mode", "full", "full (the sizes of BENCHMARKS.md) or smoke (tiny sizes, one run, for CI)")
	runs := fs.Int("runs", 0, "measured runs per benchmark (default: 5 in full mode, 1 in smoke mode)")
	b2runs := fs.Int("b2-runs", 0, "measured runs of B2, the 1 GiB upload (default: 3 in full mode, -runs otherwise)")
	only := fs.String("only", "", "comma-separated benchmarks to run, e.g. B1,B3 (default: all)")
	out := fs.String("out", "", "also write the report into this Markdown file, between the bench markers (e.g. BENCHMARKS.md)")
	workdir := fs.String("workdir", "", "keep wheels, bodies and index storage here instead of a removed temp dir")
	binary := fs.String("binary", "", "measure this goreleaser-pypi binary instead of building ./cmd/goreleaser-pypi (e.g. to compare two builds)")
	compare := fs.String("compare", "", "also run every goreleaser-pypi upload contender with this binary, as \"… [compare]\", in the same repetitions (a change's effect, paired)")
	contenders := fs.String("contenders", "", "comma-separated: keep only contenders whose name contains one of these (e.g. goreleaser,curl)")
	profile := fs.String("profile", "", "write a CPU profile of one extra, unmeasured run of every goreleaser-pypi upload contender into this directory (profiling build, -tags benchprofile)")
	wanRuns := fs.Int("wan-runs", 0, "measured runs of B5–B7, the WAN benchmarks (default: 3 in full mode, -runs otherwise)")
	wanBandwidth := fs.String("wan-bandwidth", "", "WAN profile: bandwidth of each connection, per second and direction (default 20MiB)")
	wanRTT := fs.Duration("wan-rtt", 0, "WAN profile: round-trip time, paid per request and on every TCP and TLS handshake (default 40ms)")
	wanFixed := fs.Duration("wan-fixed", -1, "WAN profile: the index's fixed processing time per upload (default 300ms)")
	wanPerMiB := fs.Duration("wan-per-mib", -1, "WAN profile: the index's processing time per MiB uploaded (default 20ms)")
	wanHTTP2 := fs.Bool("wan-http2", true, "WAN profile: offer HTTP/2 by ALPN, as PyPI's CDN does")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var cfg config
	switch *mode {
	case "full":
		cfg = fullConfig()
	case "smoke":
		cfg = smokeConfig()
	default:
		return fmt.Errorf("-mode %q: use full or smoke", *mode)
	}
	if *runs < 0 || *b2runs < 0 || *wanRuns < 0 {
		return errors.New("-runs, -b2-runs and -wan-runs must be positive")
	}
	if *runs > 0 {
		cfg.Runs = *runs
	}
	if *b2runs > 0 {
		cfg.B2Runs = *b2runs
	}
	if *wanRuns > 0 {
		cfg.WANRuns = *wanRuns
	}
	if *wanBandwidth != "" {
		bw, err := bytesize.Parse(*wanBandwidth)
		if err != nil {
			return fmt.Errorf("-wan-bandwidth: %w", err)
		}
		cfg.WAN.Bandwidth = float64(bw)
	}
	if *wanRTT < 0 {
		return errors.New("-wan-rtt must not be negative")
	}
	if *wanRTT > 0 {
		cfg.WAN.RTT = *wanRTT
	}
	if *wanFixed >= 0 {
		cfg.WAN.Fixed = *wanFixed
	}
	if *wanPerMiB >= 0 {
		cfg.WAN.PerMiB = *wanPerMiB
	}
	cfg.WAN.HTTP2 = *wanHTTP2
	cfg.ProfileDir = *profile
	cfg.Compare = *compare
	if *contenders != "" {
		cfg.Contenders = strings.Split(*contenders, ",")
	}
	if *only != "" {
		cfg.Only = strings.Split(*only, ",")
	}
	cfg.Workdir = *workdir
	cfg.Binary = *binary

	root, err := moduleRoot(ctx)
	if err != nil {
		return err
	}
	rep, err := execute(ctx, cfg, root, stderr)
	if rep != nil {
		rep.Command = command(cfg, *out)
		var buf bytes.Buffer
		rep.writeMarkdown(&buf)
		stdout.Write(buf.Bytes())
		if *out != "" {
			if werr := writeInto(*out, buf.String()); werr != nil {
				return errors.Join(err, werr)
			}
		}
	}
	return err
}

// execute runs the harness for cfg and returns the report, even a partial one
// alongside an error when some runs failed.
func execute(ctx context.Context, cfg config, root string, log io.Writer) (*report, error) {
	started := time.Now().UTC()
	h, err := newHarness(ctx, cfg, root, log)
	if err != nil {
		return nil, err
	}
	defer h.close()
	rep := &report{Config: cfg, Machine: describeMachine(ctx, h.tools, root)}
	rep.Machine.Started = started.Format("2006-01-02 15:04 UTC")
	rep.Machine.LoadBefore = loadAvg()
	rep.Machine.Scratch = filepath.Dir(h.work)
	if cfg.Binary != "" {
		rep.Machine.Commit = "prebuilt binary " + cfg.Binary + "; bench at " + rep.Machine.Commit
	}
	rep.Results, err = h.runAll(ctx)
	rep.Machine.LoadAfter = loadAvg()
	h.logf("done in %s", time.Since(started).Round(time.Second))
	return rep, err
}

// command is the command line that reproduces a run.
func command(cfg config, out string) string {
	parts := []string{"go run ./bench -mode " + cfg.Mode, fmt.Sprintf("-runs %d", cfg.Runs)}
	if cfg.B2Runs > 0 {
		parts = append(parts, fmt.Sprintf("-b2-runs %d", cfg.B2Runs))
	}
	if cfg.WANRuns > 0 {
		parts = append(parts, fmt.Sprintf("-wan-runs %d", cfg.WANRuns))
	}
	defaults := defaultWANProfile()
	if cfg.Mode == "smoke" {
		defaults = smokeWANProfile()
	}
	if cfg.WAN != defaults {
		parts = append(parts, cfg.WAN.flags())
	}
	if len(cfg.Only) > 0 {
		parts = append(parts, "-only "+strings.Join(cfg.Only, ","))
	}
	if cfg.Binary != "" {
		parts = append(parts, "-binary "+cfg.Binary)
	}
	if cfg.Compare != "" {
		parts = append(parts, "-compare "+cfg.Compare)
	}
	if len(cfg.Contenders) > 0 {
		parts = append(parts, "-contenders "+strings.Join(cfg.Contenders, ","))
	}
	if out != "" {
		parts = append(parts, "-out "+out)
	}
	return strings.Join(parts, " ")
}

// moduleRoot is the directory of the go.mod that holds cmd/goreleaser-pypi.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("run bench from inside the goreleaser-pypi module (go env GOMOD: %q, %v)", gomod, err)
	}
	return filepath.Dir(gomod), nil
}
