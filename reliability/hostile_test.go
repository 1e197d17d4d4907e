package reliability

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Limits on checking one hostile file: it must be refused promptly and in
// bounded memory, whatever it claims or decompresses to.
const (
	hostileTimeBudget = 20 * time.Second
	hostileRSSKiB     = 144 << 10 // the binary starts at ~23 MiB resident, 12 of them sigstore-go's package init
)

// TestHostileDistributions runs `goreleaser-pypi check` on every committed
// broken distribution (testdata/bad) and on the generated hostile ones
// (bombs, huge metadata, NUL bytes, bad encodings, truncations, wrong
// extensions, deep paths, 200k entries, tar links and devices, a FIFO, a
// link to /dev/zero...): each is refused (exit 1) with a message naming the
// file, without a panic, within the time and memory budgets.
func TestHostileDistributions(t *testing.T) {
	cliBinary(t)
	var cases []hostile
	var bad []struct {
		File, Rule string
		Client     string // "warning": the index refuses it, check only warns (see testdata/bad/make.py)
	}
	b, err := os.ReadFile(filepath.Join(repoRoot, "testdata", "bad", "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &bad); err != nil {
		t.Fatal(err)
	}
	for _, c := range bad {
		if c.Client == "warning" {
			continue
		}
		p, _ := filepath.Abs(filepath.Join(repoRoot, "testdata", "bad", c.File))
		cases = append(cases, hostile{name: "testdata/bad " + c.File + " (" + c.Rule + ")", path: p})
	}
	committed := len(cases)
	cases = append(cases, generateHostile(t, t.TempDir())...)
	if len(cases)-committed < 30 {
		t.Fatalf("only %d generated hostile inputs", len(cases)-committed)
	}
	// The checks run four at a time (they are separate processes); the
	// subtests then judge each result.
	results := make([]cliResult, len(cases))
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i, c := range cases {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[i] = runCLI(t, cliOpts{args: []string{"check", c.path}, timeout: 2 * hostileTimeBudget})
		}()
	}
	wg.Wait()
	var worstRSS int64
	var worstTime time.Duration
	var worstRSSName, worstTimeName string
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := results[i]
			if strings.Contains(res.stderr, "panic:") || strings.Contains(res.stderr, "goroutine ") {
				t.Fatalf("check panicked\n%s", res)
			}
			if res.code != 1 {
				t.Errorf("exit %d, want 1 (refused)\n%s", res.code, res)
			}
			mentions := lines(res.stdout, c.path+":")
			if len(mentions) == 0 {
				t.Errorf("no message names the file\n%s", res)
			}
			if c.want != "" && !strings.Contains(strings.Join(mentions, "\n"), c.want) {
				t.Errorf("the message does not say %q\n%s", c.want, res)
			}
			for _, l := range mentions {
				if strings.HasSuffix(strings.TrimSpace(l), ": ok") || strings.Contains(l, ": ok (") {
					t.Errorf("reported ok: %s", l)
				}
			}
			if res.took > hostileTimeBudget {
				t.Errorf("took %v", res.took)
			}
			if res.maxRSSKiB > hostileRSSKiB {
				t.Errorf("peak RSS %d KiB, budget %d KiB", res.maxRSSKiB, hostileRSSKiB)
			}
			if res.maxRSSKiB > worstRSS {
				worstRSS, worstRSSName = res.maxRSSKiB, c.name
			}
			if res.took > worstTime {
				worstTime, worstTimeName = res.took, c.name
			}
		})
	}
	figure(t, "hostile", "%d inputs refused (%d committed, %d generated); worst peak RSS %d KiB (%s); slowest %v (%s)",
		len(cases), committed, len(cases)-committed, worstRSS, worstRSSName, worstTime.Round(time.Millisecond), worstTimeName)
}
