package dist

import (
	"fmt"
	"strings"
	"testing"

	"github.com/goreleaser-pypi/goreleaser-pypi/internal/wheelgen"
)

// genWheels writes n valid wheels of size bytes with internal/wheelgen.
func genWheels(tb testing.TB, n int, size int64) []string {
	tb.Helper()
	dir := tb.TempDir()
	paths := make([]string, n)
	for i := range paths {
		p, err := wheelgen.Write(dir, wheelgen.Spec{Name: fmt.Sprintf("bench-%03d", i), Version: "1.0.0", Size: size, Seed: int64(i),
			Metadata: []wheelgen.Header{{Name: "Requires-Python", Value: ">=3.9"}, {Name: "Classifier", Value: "Programming Language :: Python :: 3"}}})
		if err != nil {
			tb.Fatal(err)
		}
		paths[i] = p
	}
	return paths
}

// BenchmarkCheck100Wheels: the check `upload` runs before anything is
// uploaded, over a release of 100 wheels of 64 KiB.
func BenchmarkCheck100Wheels(b *testing.B) {
	paths := genWheels(b, 100, 64<<10)
	var total int64
	b.ResetTimer()
	for b.Loop() {
		dists, problems := Check(paths, Options{})
		if len(problems) != 0 {
			b.Fatal(problems)
		}
		total = 0
		for _, d := range dists {
			total += d.Size
		}
	}
	b.SetBytes(total)
}

func TestWheelgenWheelsPass(t *testing.T) {
	paths := genWheels(t, 3, 1<<10)
	dists, problems := Check(paths, Options{})
	if len(problems) != 0 {
		t.Fatal(problems)
	}
	for _, d := range dists {
		if len(d.Warnings) != 0 {
			t.Errorf("%s: %v", d.Path, d.Warnings)
		}
	}
}

// A wheel over PyPI's default limit (100 MiB): accepted by default (the
// limit is per project and can be raised; the index decides), refused only
// under an explicit MaxFileSize; read in constant memory.
func TestOversizeWheel(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 101 MiB wheel")
	}
	paths := genWheels(t, 1, 101<<20)
	if _, problems := Check(paths, Options{}); len(problems) != 0 {
		t.Fatalf("no limit set, yet: %v", problems)
	}
	_, problems := Check(paths, Options{MaxFileSize: DefaultMaxFileSize})
	if len(problems) != 1 || problems[0].Rule != RuleFileSize || !strings.Contains(problems[0].Message, "max_file_size") {
		t.Fatalf("with max_file_size 100MiB: want one %s problem, got %v", RuleFileSize, problems)
	}
	if _, problems := Check(paths, Options{MaxFileSize: 200 << 20}); len(problems) != 0 {
		t.Errorf("with --max-file-size 200MiB: %v", problems)
	}
}
