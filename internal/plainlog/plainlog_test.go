package plainlog

import (
	"bytes"
	"strings"
	"testing"
)

func TestWriterStripsSplitSequences(t *testing.T) {
	var b bytes.Buffer
	w := Writer(&b)
	in := "\x1b[1;94m  •\x1b[m uploaded \x1b[1;94mfile\x1b[m=a.whl\n"
	for _, part := range []string{in[:3], in[3:20], in[20:]} {
		if n, err := w.Write([]byte(part)); err != nil || n != len(part) {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if got, want := b.String(), "  • uploaded file=a.whl\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestNewIsPlainUnderCI(t *testing.T) {
	t.Setenv("CI", "true") // caarlos0/log would force colours
	var b bytes.Buffer
	New(&b).WithField("file", "a.whl").Info("uploaded")
	if strings.Contains(b.String(), "\x1b") || !strings.Contains(b.String(), "file=a.whl") {
		t.Fatalf("got %q", b.String())
	}
}
