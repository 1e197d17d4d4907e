//go:build benchprofile

// This file exists only in the benchmark harness's profiling build
// (`go build -tags benchprofile`, made by `go run ./bench -profile DIR`);
// release builds never contain it. With GORELEASER_PYPI_BENCH_CPUPROFILE set
// to a path, the whole command runs under Go's CPU profiler and the profile
// is written there when the command finishes, for `go tool pprof`.

package main

import (
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/spf13/cobra"
)

func init() {
	path := os.Getenv("GORELEASER_PYPI_BENCH_CPUPROFILE")
	if path == "" {
		return
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "benchprofile: %v\n", err)
		os.Exit(2)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintf(os.Stderr, "benchprofile: %v\n", err)
		os.Exit(2)
	}
	// cobra runs its finalizers when the command returns, before main
	// calls os.Exit.
	cobra.OnFinalize(func() {
		pprof.StopCPUProfile()
		f.Close()
	})
}
