package main

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// wheelSpec describes one benchmark wheel.
type wheelSpec struct {
	Name    string // project name, e.g. "bench-b1-07"
	Version string
	Size    int64 // approximate size of the .whl file
	Seed    uint64
}

// filename is the wheel's PEP 427 filename.
func (s wheelSpec) filename() string {
	return fmt.Sprintf("%s-%s-py3-none-any.whl", distName(s.Name), s.Version)
}

func distName(name string) string {
	return strings.NewReplacer("-", "_", ".", "_").Replace(strings.ToLower(name))
}

// writeWheel writes a valid wheel: METADATA, WHEEL, RECORD and one payload
// file of incompressible bytes so that the wheel is about s.Size bytes.
// Entries are stored with CreateRaw and a precomputed CRC because
// zip.Writer.CreateHeader sets the data-descriptor flag, which PyPI rejects.
//
// This is the benchmark's own minimal generator, kept until
// internal/wheelgen lands.
func writeWheel(dir string, s wheelSpec) (string, error) {
	dn := distName(s.Name)
	info := dn + "-" + s.Version + ".dist-info"
	metadata := fmt.Sprintf("Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: benchmark payload of %d bytes\nLicense: MIT\nRequires-Python: >=3.8\nDescription-Content-Type: text/markdown\n\n# %s\n\nA generated wheel for goreleaser-pypi benchmarks.\n", s.Name, s.Version, s.Size, s.Name)
	wheel := "Wheel-Version: 1.0\nGenerator: goreleaser-pypi-bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
	payloadName := dn + "/payload.bin"
	payloadSize := max(s.Size-2048, 0)

	// First pass over the payload: CRC-32 for the zip header and sha256 for RECORD.
	crc := crc32.NewIEEE()
	sum := sha256.New()
	if _, err := io.Copy(io.MultiWriter(crc, sum), payload(s.Seed, payloadSize)); err != nil {
		return "", err
	}

	record := new(strings.Builder)
	recordLine := func(name string, h hash.Hash, size int64) {
		fmt.Fprintf(record, "%s,sha256=%s,%d\n", name, base64.RawURLEncoding.EncodeToString(h.Sum(nil)), size)
	}
	recordLine(payloadName, sum, payloadSize)
	for _, f := range []struct{ name, body string }{{info + "/METADATA", metadata}, {info + "/WHEEL", wheel}} {
		h := sha256.New()
		h.Write([]byte(f.body))
		recordLine(f.name, h, int64(len(f.body)))
	}
	fmt.Fprintf(record, "%s/RECORD,,\n", info)

	path := filepath.Join(dir, s.filename())
	out, err := os.Create(path)
	if err != nil {
		return "", err
	}
	defer out.Close()
	zw := zip.NewWriter(out)
	add := func(name string, r io.Reader, size int64, sum uint32) error {
		w, err := zw.CreateRaw(&zip.FileHeader{
			Name: name, Method: zip.Store, CRC32: sum,
			CompressedSize64: uint64(size), UncompressedSize64: uint64(size),
		})
		if err != nil {
			return err
		}
		_, err = io.Copy(w, r)
		return err
	}
	if err := add(payloadName, payload(s.Seed, payloadSize), payloadSize, crc.Sum32()); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	for _, f := range []struct{ name, body string }{{info + "/METADATA", metadata}, {info + "/WHEEL", wheel}, {info + "/RECORD", record.String()}} {
		if err := add(f.name, strings.NewReader(f.body), int64(len(f.body)), crc32.ChecksumIEEE([]byte(f.body))); err != nil {
			return "", fmt.Errorf("%s: %w", path, err)
		}
	}
	if err := zw.Close(); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return path, out.Close()
}

// payload returns n deterministic, incompressible bytes.
func payload(seed uint64, n int64) io.Reader {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	return io.LimitReader(rand.NewChaCha8(key), n)
}
