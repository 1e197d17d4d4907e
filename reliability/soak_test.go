package reliability

import (
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/pypitest"
)

// soakFaults are the misbehaviours the soak draws from.
var soakFaults = []pypitest.Fault{
	{Status: 500},
	{Status: 502},
	{Status: 503, HTML: true},
	{Status: 429, RetryAfter: "0"},
	{Drop: true},
	{Drop: true, DropAfter: 300},
	{Drop: true, DropAfter: 1 << 40},
	{AcceptThenFail: true},
	{Delay: 200 * time.Millisecond},
}

// soak uploads files files (releases of two wheels and an sdist) with
// concurrency 8, a seeded 10% of them hit by one random fault on their
// first attempt, and checks that every file lands exactly once. It returns
// the peak RSS of the client.
func soak(t *testing.T, files int, seed uint64) (rssKiB int64, took time.Duration, injected int) {
	srv := pypitest.NewServer(t, pypitest.WithToken(apiToken))
	fx := newFixture(t)
	for i := 0; len(fx.files) < files; i++ {
		fx.addRelease(t, "soakdemo", fmt.Sprintf("1.0.%d", i), min(2, files-len(fx.files)), files-len(fx.files) >= 3, 256, int64(i)*1000)
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	for _, f := range fx.files {
		if rng.IntN(10) == 0 {
			srv.Faults().ForFile(f.filename, 1, soakFaults[rng.IntN(len(soakFaults))])
			injected++
		}
	}
	cfg := settings(t, srv.RepositoryURL, "trusted_publishing: never", "concurrency: 8",
		"retry: {attempts: 5, delay: 10ms, max_delay: 200ms}")
	res := runCLI(t, cliOpts{
		args:    append([]string{"upload", "--config", cfg, "--json"}, fx.paths()...),
		env:     []string{"PYPI_API_TOKEN=" + apiToken},
		timeout: 10 * time.Minute,
	})
	if res.code != 0 {
		t.Fatalf("soak of %d files: %s", files, res)
	}
	rep := oneReport(t, res.stdout)
	if got := checkLedger(t, srv, fx, rep); got != len(fx.files) {
		t.Errorf("%d of %d files on the index", got, len(fx.files))
	}
	if rep.Summary.Uploaded != len(fx.files) {
		t.Errorf("summary %+v", rep.Summary)
	}
	total, per := srv.UploadAttempts()
	for name, n := range per {
		if n > 2 {
			t.Errorf("%s: %d attempts for one injected fault", name, n)
		}
	}
	if total > len(fx.files)+injected {
		t.Errorf("%d upload requests for %d files and %d faults", total, len(fx.files), injected)
	}
	scanSecrets(t, res.outputs(), srv, apiToken)
	return res.maxRSSKiB, res.took, injected
}

// TestSoak: 300 files with 10% faults all land exactly once, and the peak
// memory of the client does not grow with the number of files (compared
// with a 30-file run). RELIABILITY_LONG=1 runs 3000 files as well.
func TestSoak(t *testing.T) {
	cliBinary(t)
	small, smallTook, smallFaults := soak(t, 30, 1)
	big, bigTook, bigFaults := soak(t, 300, 2)
	figure(t, "soak", "30 files, %d faults: %v, peak RSS %d KiB", smallFaults, smallTook.Round(time.Millisecond), small)
	figure(t, "soak", "300 files, %d faults: %v, peak RSS %d KiB", bigFaults, bigTook.Round(time.Millisecond), big)
	if big > small+16<<10 {
		t.Errorf("peak RSS grows with the file count: %d KiB for 30 files, %d KiB for 300", small, big)
	}
	if os.Getenv("RELIABILITY_LONG") == "" {
		return
	}
	huge, hugeTook, hugeFaults := soak(t, 3000, 3)
	figure(t, "soak", "3000 files, %d faults: %v, peak RSS %d KiB", hugeFaults, hugeTook.Round(time.Millisecond), huge)
	if huge > small+32<<10 {
		t.Errorf("peak RSS grows with the file count: %d KiB for 30 files, %d KiB for 3000", small, huge)
	}
}
