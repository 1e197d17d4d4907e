package main

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// summary is the distribution of one quantity over the runs.
type summary struct {
	N                        int
	Min, Q1, Median, Q3, Max float64
}

// summarize computes min, quartiles (linear interpolation between closest
// ranks, like numpy's default), median and max. N = 0 when xs is empty.
func summarize(xs []float64) summary {
	if len(xs) == 0 {
		return summary{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return summary{N: len(s), Min: s[0], Q1: quantile(s, 0.25), Median: quantile(s, 0.5), Q3: quantile(s, 0.75), Max: s[len(s)-1]}
}

// quantile of sorted xs, q in [0,1].
func quantile(sorted []float64, q float64) float64 {
	pos := q * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	return sorted[lo] + (sorted[hi]-sorted[lo])*(pos-float64(lo))
}

// perRun collects one figure from each run.
func (c *contenderResult) perRun(f func(r runResult) float64) []float64 {
	var xs []float64
	for _, r := range c.Runs {
		xs = append(xs, f(r))
	}
	return xs
}

func (c *contenderResult) walls() []float64 {
	return c.perRun(func(r runResult) float64 { return r.Wall.Seconds() })
}

func (c *contenderResult) rss() []float64 {
	return c.perRun(func(r runResult) float64 { return float64(r.MaxRSS) })
}

func (c *contenderResult) cpu() []float64 {
	return c.perRun(func(r runResult) float64 { return r.CPU.Seconds() })
}

func (c *contenderResult) indexCPU() []float64 {
	return c.perRun(func(r runResult) float64 { return r.IndexCPU.Seconds() })
}

// throughputs is MiB/s per run for a payload of bytes.
func (c *contenderResult) throughputs(bytes int64) []float64 {
	var xs []float64
	for _, r := range c.Runs {
		xs = append(xs, mibPerSec(bytes, r.Wall))
	}
	return xs
}

// pairedRatios divides a's wall time by b's, repetition by repetition: the
// two ran back to back in the same repetition, so each ratio compares them
// under the same conditions, and the spread of the ratios is the honest
// uncertainty of the comparison.
func pairedRatios(a, b *contenderResult) []float64 {
	byRep := map[int]time.Duration{}
	for _, r := range b.Runs {
		byRep[r.Rep] = r.Wall
	}
	var xs []float64
	for _, r := range a.Runs {
		if w, ok := byRep[r.Rep]; ok && w > 0 {
			xs = append(xs, r.Wall.Seconds()/w.Seconds())
		}
	}
	return xs
}

func mibPerSec(bytes int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(bytes) / mib / d.Seconds()
}

// humanBytes prints sizes the way the report names them: 8 MiB, 1 GiB, 4.1 KiB.
func humanBytes(n int64) string {
	switch {
	case n >= gib && n%gib == 0:
		return fmt.Sprintf("%d GiB", n/gib)
	case n >= gib:
		return fmt.Sprintf("%.2f GiB", float64(n)/gib)
	case n >= mib && n%mib == 0:
		return fmt.Sprintf("%d MiB", n/mib)
	case n >= mib:
		return fmt.Sprintf("%.1f MiB", float64(n)/mib)
	case n >= kib && n%kib == 0:
		return fmt.Sprintf("%d KiB", n/kib)
	case n >= kib:
		return fmt.Sprintf("%.1f KiB", float64(n)/kib)
	}
	return fmt.Sprintf("%d B", n)
}
