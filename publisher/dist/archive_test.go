package dist

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Test archive builders. Wheels are written with zip.Writer.CreateRaw and a
// precomputed CRC: CreateHeader would set the data-descriptor flag, which
// PyPI refuses.

type member struct {
	name    string
	data    string
	method  uint16 // zip.Store or zip.Deflate (default)
	mode    os.FileMode
	comment string
}

// writeZip builds a zip with CreateRaw; files appear in the given order.
func writeZip(t testing.TB, members []member, comment string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range members {
		method := m.method
		if method == 0 && !strings.HasSuffix(m.name, "/") {
			method = zip.Deflate
		}
		if method == 99 {
			method = zip.Store
		}
		data := []byte(m.data)
		var comp []byte
		switch method {
		case zip.Deflate:
			var c bytes.Buffer
			fw, _ := flate.NewWriter(&c, flate.BestCompression)
			fw.Write(data)
			fw.Close()
			comp = c.Bytes()
		default:
			comp = data
		}
		h := &zip.FileHeader{
			Name:               m.name,
			Method:             method,
			CRC32:              crc32.ChecksumIEEE(data),
			CompressedSize64:   uint64(len(comp)),
			UncompressedSize64: uint64(len(data)),
			Comment:            m.comment,
		}
		if m.mode != 0 {
			h.SetMode(m.mode)
		}
		w, err := zw.CreateRaw(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(comp)
	}
	if comment != "" {
		zw.SetComment(comment)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// wheelSpec describes a small wheel: metadata text plus extra members.
type wheelSpec struct {
	name, version string // for the .dist-info directory
	metadata      string
	wheelFile     string          // WHEEL content; default py3-none-any
	extra         []member        // more members, before the dist-info
	omit          map[string]bool // dist-info base names to leave out
	recordEdit    func(string) string
	distInfo      string // override the dist-info directory name
	_             struct{}
}

func recordLine(name, data string) string {
	sum := sha256.Sum256([]byte(data))
	return fmt.Sprintf("%s,sha256=%s,%d\n", name, base64.RawURLEncoding.EncodeToString(sum[:]), len(data))
}

func buildWheel(t testing.TB, s wheelSpec) []byte {
	t.Helper()
	di := s.distInfo
	if di == "" {
		di = s.name + "-" + s.version + ".dist-info"
	}
	wheelFile := s.wheelFile
	if wheelFile == "" {
		wheelFile = "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
	}
	members := append([]member{}, s.extra...)
	if !s.omit["METADATA"] {
		members = append(members, member{name: di + "/METADATA", data: s.metadata})
	}
	if !s.omit["WHEEL"] {
		members = append(members, member{name: di + "/WHEEL", data: wheelFile})
	}
	var record strings.Builder
	for _, m := range members {
		if !strings.HasSuffix(m.name, "/") {
			record.WriteString(recordLine(m.name, m.data))
		}
	}
	record.WriteString(di + "/RECORD,,\n")
	rec := record.String()
	if s.recordEdit != nil {
		rec = s.recordEdit(rec)
	}
	if !s.omit["RECORD"] {
		members = append(members, member{name: di + "/RECORD", data: rec})
	}
	return writeZip(t, members, "")
}

// metadataText renders a METADATA/PKG-INFO file.
func metadataText(mv, name, version string, extra ...string) string {
	var b strings.Builder
	if mv != "" {
		b.WriteString("Metadata-Version: " + mv + "\n")
	}
	if name != "" {
		b.WriteString("Name: " + name + "\n")
	}
	if version != "" {
		b.WriteString("Version: " + version + "\n")
	}
	body := ""
	for _, e := range extra {
		if strings.HasPrefix(e, "\n") {
			body = e
			continue
		}
		b.WriteString(e + "\n")
	}
	b.WriteString(body)
	return b.String()
}

type tarEntry struct {
	name     string
	data     string
	typeflag byte
	linkname string
}

func buildTarGz(t testing.TB, entries []tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		tf := e.typeflag
		if tf == 0 {
			tf = tar.TypeReg
			if strings.HasSuffix(e.name, "/") {
				tf = tar.TypeDir
			}
		}
		h := &tar.Header{Name: e.name, Typeflag: tf, Linkname: e.linkname, Mode: 0o644, Size: int64(len(e.data))}
		if tf != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if tf == tar.TypeReg {
			tw.Write([]byte(e.data))
		}
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

func sdistEntries(top, pkgInfo string, extra ...tarEntry) []tarEntry {
	es := []tarEntry{{name: top + "/"}, {name: top + "/PKG-INFO", data: pkgInfo}, {name: top + "/setup.py", data: "x"}}
	return append(es, extra...)
}

func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func hasRule(ps []Problem, rule string) bool {
	for _, p := range ps {
		if p.Rule == rule {
			return true
		}
	}
	return false
}

func rules(ps []Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Rule)
	}
	return out
}
