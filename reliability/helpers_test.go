package reliability

import (
	"archive/zip"
	"io"
	"strings"
	"testing"
)

// repoRoot is the module root, relative to this package's directory.
const repoRoot = ".."

// wheelMember returns the first member of the wheel at path whose name ends
// with suffix, or nil.
func wheelMember(tb testing.TB, path, suffix string) []byte {
	tb.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, suffix) {
			rc, err := f.Open()
			if err != nil {
				tb.Fatal(err)
			}
			defer rc.Close()
			b, err := io.ReadAll(rc)
			if err != nil {
				tb.Fatal(err)
			}
			return b
		}
	}
	return nil
}

// figure logs a measurement in a greppable form ("FIGURE <topic>: ...")
// for RELIABILITY.md: go test -v ./reliability | grep FIGURE.
func figure(t testing.TB, topic, format string, args ...any) {
	t.Helper()
	t.Logf("FIGURE %s: "+format, append([]any{topic}, args...)...)
}
