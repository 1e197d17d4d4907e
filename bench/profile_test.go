package main

// Profiling entry points for the "where the time goes" section of
// BENCHMARKS.md. They are Go benchmarks, so `go test` (CI) never runs them:
//
//	go test -run '^$' -bench DistCheck -cpuprofile /tmp/check.prof ./bench
//	go tool pprof -top bench.test /tmp/check.prof
//	go test -run '^$' -bench Digest ./bench

import (
	"crypto/md5"
	"crypto/sha256"
	"fmt"
	"hash"
	"hash/crc32"
	"testing"

	"golang.org/x/crypto/blake2b"

	"github.com/goreleaser-pypi/goreleaser-pypi/internal/wheelgen"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
)

// BenchmarkDistCheck is the verification phase of `goreleaser-pypi upload`
// on B1's wheels (8 of them here, 8 MiB each): what runs before the first
// byte is sent.
func BenchmarkDistCheck(b *testing.B) {
	dir := b.TempDir()
	var paths []string
	for i := range 8 {
		p, err := wheelgen.Write(dir, wheelgen.Spec{Name: fmt.Sprintf("prof-%d", i), Version: "1.0.0", Size: 8 * mib, Seed: int64(i)})
		if err != nil {
			b.Fatal(err)
		}
		paths = append(paths, p)
	}
	b.SetBytes(8 * 8 * mib)
	b.ResetTimer()
	for b.Loop() {
		if _, problems := dist.Check(paths, dist.Options{}); len(problems) > 0 {
			b.Fatal(problems)
		}
	}
}

// BenchmarkDigest is the single-core cost of each digest the upload form
// can carry, and of the zip CRC the verification checks.
func BenchmarkDigest(b *testing.B) {
	buf := make([]byte, 64*kib)
	for _, c := range []struct {
		name string
		new  func() hash.Hash
	}{
		{"sha256", sha256.New},
		{"blake2b-256", func() hash.Hash { h, _ := blake2b.New256(nil); return h }},
		{"md5", md5.New},
		{"crc32", func() hash.Hash { return crc32.NewIEEE() }},
	} {
		b.Run(c.name, func(b *testing.B) {
			h := c.new()
			b.SetBytes(int64(len(buf)))
			for b.Loop() {
				h.Write(buf)
			}
		})
	}
}
