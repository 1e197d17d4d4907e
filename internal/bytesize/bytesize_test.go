package bytesize

import "testing"

func TestParse(t *testing.T) {
	for in, want := range map[string]int64{
		"100MiB": 100 << 20, "100 MB": 100e6, "1.5GiB": 3 << 29, "4096": 4096, "10kb": 10000,
		"2KiB": 2048, "100k": 100000, "100K": 100000, "1m": 1e6, "7b": 7, " 42 ": 42, "0": 0,
	} {
		if got, err := Parse(in); err != nil || got != want {
			t.Errorf("Parse(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	// "100x" was once read as 100 bytes by a scanf that stopped at the first
	// letter; every one of these must be an error.
	for _, bad := range []string{"", "MiB", "10 parsecs", "-1", "x10", "100x", "100kx", "1e400", "1..5MiB", "NaN", "5 5"} {
		if n, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) = %d, want an error", bad, n)
		}
	}
}

func TestFormat(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 12: "12 B", 1536: "1.5 KiB", 2048: "2 KiB", 100 << 20: "100 MiB", 3 << 29: "1.5 GiB"} {
		if got := Format(n); got != want {
			t.Errorf("Format(%d) = %q, want %q", n, got, want)
		}
	}
}
