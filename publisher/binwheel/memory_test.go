package binwheel

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
)

// A 200 MiB binary is wrapped in constant memory: the live heap never grows
// by more than a few MiB (buffers and the deflate state), whatever the size.
func TestLargeBinaryConstantMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and deflates 200 MiB")
	}
	const size = 200 << 20
	// A real Go binary repeated: it deflates like one (the deflate window is
	// 32 KiB, so the repetition does not help), and its first copy carries
	// the build information the platform tag comes from.
	seed, err := os.ReadFile(goBuild(t, helloMain, "linux", "amd64"))
	if err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(t.TempDir(), "big")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriter(f)
	for n := 0; n < size; n += len(seed) {
		bw.Write(seed[:min(len(seed), size-n)])
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()

	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/allocs:bytes"}}
	read := func() (live, allocs uint64) {
		metrics.Read(samples)
		return samples[0].Value.Uint64(), samples[1].Value.Uint64()
	}
	runtime.GC()
	base, allocs0 := read()
	var peak uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			if live, _ := read(); live > peak {
				peak = live
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	start := time.Now()
	path, err := Build(ctx(), testSpec(), Binary{Path: big, Name: "big"}, t.TempDir())
	elapsed := time.Since(start)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	_, allocs1 := read()
	fi, _ := os.Stat(path)
	growth := int64(peak) - int64(base)
	t.Logf("200 MiB binary → %.1f MiB wheel in %v; live heap peak %.1f MiB above the baseline; %.1f MiB allocated in all",
		float64(fi.Size())/(1<<20), elapsed.Round(time.Millisecond), float64(growth)/(1<<20), float64(allocs1-allocs0)/(1<<20))
	if growth > 16<<20 {
		t.Errorf("the live heap grew by %d MiB while wrapping a 200 MiB binary; it must not depend on the binary's size", growth>>20)
	}
	if _, err := readStrict(path, fixedDate, fixedTime); err != nil {
		t.Error(err)
	}
	checkWheel(t, path, dist.Options{MaxFileSize: 1 << 30})
}
