// Package bytesize is the one home of byte sizes as people write and read
// them: the --max-file-size flags, the max_file_size setting and every size a
// message or a log line shows go through Parse and Format.
package bytesize

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// units are the suffixes Parse accepts, lower-cased. Decimal units are
// powers of 1000, binary ones powers of 1024; a bare "k", "m" or "g" is
// decimal, as in "100k" (PyPI's "100 MB" limit is in fact 100 MiB: say MiB).
var units = map[string]float64{
	"": 1, "b": 1,
	"k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30,
}

// Parse reads a size such as "104857600", "100MiB", "100 MB", "1.5GiB" or
// "100k". The whole text must be a number and one known unit: "100x" and
// "10 parsecs" are errors, never a silent 100 or 10.
func Parse(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := len(t)
	for i > 0 && !(t[i-1] >= '0' && t[i-1] <= '9' || t[i-1] == '.') {
		i--
	}
	num, unit := strings.TrimSpace(t[:i]), strings.ToLower(strings.TrimSpace(t[i:]))
	mult, ok := units[unit]
	if !ok {
		return 0, fmt.Errorf("%q is not a size: unknown unit %q (write bytes, such as 104857600, or a size with B, kB, MB, GB, KiB, MiB or GiB, such as 100MiB)", s, t[i:])
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) || f*mult > float64(1<<62) {
		return 0, fmt.Errorf("%q is not a size: write bytes (104857600) or a size such as 100MiB or 1GB", s)
	}
	return int64(f * mult), nil
}

// Format renders a byte count in binary units the way PyPI states its
// limits: "512 B", "100 MiB", "1.5 KiB".
func Format(n int64) string {
	names := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	f := float64(n)
	i := 0
	for math.Abs(f) >= 1024 && i < len(names)-1 {
		f /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%d B", n)
	}
	if f == math.Trunc(f) {
		return fmt.Sprintf("%d %s", int64(f), names[i])
	}
	return fmt.Sprintf("%.1f %s", f, names[i])
}
