package reliability

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// Generators of malformed and malicious distributions, built in the test
// (the committed testdata/bad holds the small, reviewed ones).

// hostile is one generated distribution and what its rejection must say.
type hostile struct {
	name string // what is wrong
	path string
	// want is a substring of the check output for the file ("" = any
	// problem naming the file).
	want string
}

// zipEntry is one member of a generated wheel.
type zipEntry struct {
	name string
	data []byte
	// deflate compresses the member (else stored).
	deflate bool
	// raw, when set, is written as the member's compressed data with the
	// given CRC and size (bombs whose content never exists in memory).
	raw      []byte
	rawCRC   uint32
	rawSize  uint64
	external uint32 // external attributes (symlinks)
}

const hostileName, hostileVersion = "hostile", "1.0"

var hostileDistInfo = hostileName + "-" + hostileVersion + ".dist-info/"

// baseWheelEntries are a valid wheel's members; RECORD is added by
// writeWheel.
func baseWheelEntries(metadata string) []zipEntry {
	if metadata == "" {
		metadata = "Metadata-Version: 2.1\nName: " + hostileName + "\nVersion: " + hostileVersion + "\nSummary: hostile input\n"
	}
	return []zipEntry{
		{name: hostileName + "/__init__.py", data: []byte("x = 1\n"), deflate: true},
		{name: hostileDistInfo + "METADATA", data: []byte(metadata), deflate: true},
		{name: hostileDistInfo + "WHEEL", data: []byte("Wheel-Version: 1.0\nGenerator: reliability\nRoot-Is-Purelib: true\nTag: py3-none-any\n")},
	}
}

// writeWheel writes entries (plus a correct RECORD unless noRecord) as a
// ZIP without data descriptors, the way PyPI wants wheels.
func writeWheel(t testing.TB, dir, filename string, entries []zipEntry, noRecord bool) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	var record strings.Builder
	put := func(e zipEntry) {
		h := &zip.FileHeader{Name: e.name, Method: zip.Store, ExternalAttrs: e.external}
		h.SetMode(0o644)
		if e.external != 0 {
			h.ExternalAttrs = e.external
			h.CreatorVersion = 3 << 8
		}
		var comp []byte
		switch {
		case e.raw != nil:
			h.Method = zip.Deflate
			comp, h.CRC32, h.UncompressedSize64 = e.raw, e.rawCRC, e.rawSize
		case e.deflate:
			h.Method = zip.Deflate
			var cb bytes.Buffer
			fw, _ := flate.NewWriter(&cb, flate.BestSpeed)
			_, _ = fw.Write(e.data)
			_ = fw.Close()
			comp = cb.Bytes()
			h.CRC32, h.UncompressedSize64 = crc32.ChecksumIEEE(e.data), uint64(len(e.data))
		default:
			comp = e.data
			h.CRC32, h.UncompressedSize64 = crc32.ChecksumIEEE(e.data), uint64(len(e.data))
		}
		h.CompressedSize64 = uint64(len(comp))
		w, err := zw.CreateRaw(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(comp); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range entries {
		put(e)
		if e.raw == nil {
			sum := sha256.Sum256(e.data)
			fmt.Fprintf(&record, "%s,sha256=%s,%d\n", e.name, base64.RawURLEncoding.EncodeToString(sum[:]), len(e.data))
		} else {
			fmt.Fprintf(&record, "%s,,\n", e.name)
		}
	}
	if !noRecord {
		record.WriteString(hostileDistInfo + "RECORD,,\n")
		put(zipEntry{name: hostileDistInfo + "RECORD", data: []byte(record.String())})
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, filename)
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func wheelName() string { return hostileName + "-" + hostileVersion + "-py3-none-any.whl" }

// repeatDeflated returns a deflate stream of prefix followed by count
// copies of block, with the CRC-32 and size of that content. Each piece is
// compressed on its own and flushed (byte-aligned, referring to nothing
// before it), so the stream is the pieces concatenated: gigabytes of
// content cost one block's compression, and never exist in memory.
func repeatDeflated(prefix, block []byte, count int) (stream []byte, crc uint32, size uint64) {
	piece := func(b []byte) []byte {
		var buf bytes.Buffer
		fw, _ := flate.NewWriter(&buf, flate.BestCompression)
		_, _ = fw.Write(b)
		_ = fw.Flush()
		return buf.Bytes()
	}
	var out bytes.Buffer
	if len(prefix) > 0 {
		out.Write(piece(prefix))
		crc = crc32.Update(crc, crc32.IEEETable, prefix)
		size += uint64(len(prefix))
	}
	one := piece(block)
	for range count {
		out.Write(one)
		crc = crc32.Update(crc, crc32.IEEETable, block)
		size += uint64(len(block))
	}
	out.Write([]byte{0x03, 0x00}) // a final, empty fixed-Huffman block
	return out.Bytes(), crc, size
}

// zerosDeflated is a deflate stream of n zero bytes (n a multiple of 1 MiB).
func zerosDeflated(n int64) (stream []byte, crc uint32) {
	stream, crc, _ = repeatDeflated(nil, make([]byte, 1<<20), int(n>>20))
	return stream, crc
}

// gzipRepeat wraps repeatDeflated in a gzip member.
func gzipRepeat(prefix, block []byte, count int) []byte {
	stream, crc, size := repeatDeflated(prefix, block, count)
	var out bytes.Buffer
	out.Write([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff})
	out.Write(stream)
	var tail [8]byte
	binary.LittleEndian.PutUint32(tail[:4], crc)
	binary.LittleEndian.PutUint32(tail[4:], uint32(size))
	out.Write(tail[:])
	return out.Bytes()
}

// tarEntry is one member of a generated sdist.
type tarEntry struct {
	hdr  tar.Header
	data []byte
}

// writeSdist writes entries as a gzip tar.
func writeSdist(t testing.TB, dir, filename string, entries []tarEntry) string {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		h := e.hdr
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e.data))
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if len(e.data) > 0 {
			_, _ = tw.Write(e.data)
		}
	}
	_ = tw.Close()
	_ = gz.Close()
	p := filepath.Join(dir, filename)
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func sdistName() string { return hostileName + "-" + hostileVersion + ".tar.gz" }

const sdistTop = hostileName + "-" + hostileVersion + "/"

func pkgInfo() []byte {
	return []byte("Metadata-Version: 2.1\nName: " + hostileName + "\nVersion: " + hostileVersion + "\nSummary: hostile input\n")
}

func baseSdist() []tarEntry {
	return []tarEntry{
		{hdr: tar.Header{Name: sdistTop + "PKG-INFO"}, data: pkgInfo()},
		{hdr: tar.Header{Name: sdistTop + "setup.py"}, data: []byte("from setuptools import setup\nsetup()\n")},
	}
}

// generateHostile writes every generated hostile distribution into its own
// directory under root (so each keeps its valid-looking name).
func generateHostile(t testing.TB, root string) []hostile {
	t.Helper()
	var out []hostile
	dir := func(n string) string {
		d := filepath.Join(root, n)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	add := func(name, path, want string) { out = append(out, hostile{name: name, path: path, want: want}) }

	// Decompression bombs.
	bomb, crc := zerosDeflated(1 << 30)
	add("zip bomb: 1 GiB of zeros in ~1 MiB (ratio ~1000)", writeWheel(t, dir("bomb-1g"), wheelName(),
		append(baseWheelEntries(""), zipEntry{name: hostileName + "/zeros.bin", raw: bomb, rawCRC: crc, rawSize: 1 << 30}), false), "compression")
	add("zip bomb: size field says 16 EiB", writeWheel(t, dir("bomb-lie"), wheelName(),
		append(baseWheelEntries(""), zipEntry{name: hostileName + "/zeros.bin", raw: bomb[:4096], rawCRC: crc, rawSize: 1 << 62}), false), "")
	add("zip bomb: overlapping entries (every central record points at one local file)", overlappingZip(t, dir("bomb-overlap")), "")

	// Metadata abuse.
	hugeHead := []byte("Metadata-Version: 2.1\nName: hostile\nVersion: 1.0\nSummary: hostile input\n\n")
	line := []byte(strings.Repeat("A very long description line.\n", (1<<20)/30+1)[:1<<20])
	meta, metaCRC, metaSize := repeatDeflated(hugeHead, line, 40)
	add("METADATA of 40 MiB (deflated to ~100 KiB)", writeWheel(t, dir("meta-huge"), wheelName(),
		append(baseWheelEntries("")[:1], zipEntry{name: hostileDistInfo + "METADATA", raw: meta, rawCRC: metaCRC, rawSize: metaSize}, baseWheelEntries("")[2]), false), "")
	add("METADATA with NUL bytes in a header", writeWheel(t, dir("meta-nul"), wheelName(),
		baseWheelEntries("Metadata-Version: 2.1\nName: hostile\nVersion: 1.0\nSummary: a\x00b\n"), false), "")
	add("METADATA not UTF-8", writeWheel(t, dir("meta-latin1"), wheelName(),
		baseWheelEntries("Metadata-Version: 2.1\nName: hostile\nVersion: 1.0\nSummary: caf\xe9\n"), false), "UTF-8")
	add("METADATA with 100k headers", writeWheel(t, dir("meta-headers"), wheelName(),
		baseWheelEntries("Metadata-Version: 2.1\nName: hostile\nVersion: 1.0\n"+strings.Repeat("Classifier: Private :: Not A Classifier\n", 100_000)), false), "")
	add("METADATA names another project", writeWheel(t, dir("meta-name"), wheelName(),
		baseWheelEntries("Metadata-Version: 2.1\nName: other-project\nVersion: 1.0\n"), false), "")
	add("METADATA version differs from the filename", writeWheel(t, dir("meta-version"), wheelName(),
		baseWheelEntries("Metadata-Version: 2.1\nName: hostile\nVersion: 2.0\n"), false), "")
	add("METADATA with an empty Name", writeWheel(t, dir("meta-noname"), wheelName(),
		baseWheelEntries("Metadata-Version: 2.1\nName:\nVersion: 1.0\n"), false), "")

	// Archive structure.
	good := writeWheel(t, dir("source"), wheelName(), baseWheelEntries(""), false)
	goodBytes, _ := os.ReadFile(good)
	for _, cut := range []int{22, len(goodBytes) / 2, 10} {
		d := dir(fmt.Sprintf("trunc-%d", cut))
		p := filepath.Join(d, wheelName())
		_ = os.WriteFile(p, goodBytes[:len(goodBytes)-cut], 0o644)
		add(fmt.Sprintf("wheel truncated by %d bytes", cut), p, "")
	}
	add("empty file named .whl", writeBytes(t, dir("empty-whl"), wheelName(), nil), "")
	add("empty file named .tar.gz", writeBytes(t, dir("empty-sdist"), sdistName(), nil), "")
	add("random bytes named .whl", writeBytes(t, dir("random-whl"), wheelName(), bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 4096)), "")
	add("an sdist (tar.gz) named .whl", writeSdist(t, dir("sdist-as-whl"), wheelName(), baseSdist()), "")
	add("a wheel (zip) named .tar.gz", writeBytes(t, dir("whl-as-sdist"), sdistName(), goodBytes), "")
	add("wrong extension .tgz", writeBytes(t, dir("tgz"), hostileName+"-"+hostileVersion+".tgz", goodBytes), "")
	add("wrong extension .exe", writeBytes(t, dir("exe"), hostileName+"-"+hostileVersion+".exe", goodBytes), "")
	add("wrong extension .tar.bz2", writeBytes(t, dir("bz2"), hostileName+"-"+hostileVersion+".tar.bz2", goodBytes), "")
	add("zip entry name with a NUL byte", writeWheel(t, dir("name-nul"), wheelName(),
		append(baseWheelEntries(""), zipEntry{name: hostileName + "/a\x00.py", data: []byte("x")}), false), "")
	add("zip entry name not UTF-8", writeWheel(t, dir("name-latin1"), wheelName(),
		append(baseWheelEntries(""), zipEntry{name: hostileName + "/caf\xe9.py", data: []byte("x")}), false), "")
	add("zip entry path 20,000 levels deep", writeWheel(t, dir("deep"), wheelName(),
		append(baseWheelEntries(""), zipEntry{name: strings.Repeat("d/", 20_000) + "x.py", data: []byte("x")}), false), "PATH_MAX")
	add("zip entry with a 300-byte file name", writeWheel(t, dir("long-name"), wheelName(),
		append(baseWheelEntries(""), zipEntry{name: hostileName + "/" + strings.Repeat("n", 300) + ".py", data: []byte("x")}), false), "NAME_MAX")
	add("zip with 200,000 tiny entries and a wrong RECORD", manyEntries(t, dir("many"), 200_000), "")
	add("zip entry: symlink to /etc/passwd", writeWheel(t, dir("zip-symlink"), wheelName(),
		append(baseWheelEntries(""), zipEntry{name: hostileName + "/passwd", data: []byte("/etc/passwd"), external: (0o120777 << 16)}), false), "")
	add("zip entry: ../ path traversal", writeWheel(t, dir("zip-traversal"), wheelName(),
		append(baseWheelEntries(""), zipEntry{name: hostileName + "/../../../evil.py", data: []byte("x")}), false), "")
	add("wheel without RECORD", writeWheel(t, dir("no-record"), wheelName(), baseWheelEntries(""), true), "RECORD")

	// Sdists.
	add("sdist: hard link to /etc/shadow", writeSdist(t, dir("tar-hardlink"), sdistName(),
		append(baseSdist(), tarEntry{hdr: tar.Header{Name: sdistTop + "shadow", Typeflag: tar.TypeLink, Linkname: "/etc/shadow"}})), "")
	add("sdist: hard link escaping the top directory", writeSdist(t, dir("tar-hardlink-up"), sdistName(),
		append(baseSdist(), tarEntry{hdr: tar.Header{Name: sdistTop + "up", Typeflag: tar.TypeLink, Linkname: "../../outside"}})), "")
	add("sdist: character device", writeSdist(t, dir("tar-chardev"), sdistName(),
		append(baseSdist(), tarEntry{hdr: tar.Header{Name: sdistTop + "null", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 3}})), "")
	add("sdist: block device", writeSdist(t, dir("tar-blockdev"), sdistName(),
		append(baseSdist(), tarEntry{hdr: tar.Header{Name: sdistTop + "sda", Typeflag: tar.TypeBlock, Devmajor: 8}})), "")
	add("sdist: FIFO", writeSdist(t, dir("tar-fifo"), sdistName(),
		append(baseSdist(), tarEntry{hdr: tar.Header{Name: sdistTop + "pipe", Typeflag: tar.TypeFifo}})), "")
	add("sdist: absolute symlink", writeSdist(t, dir("tar-symlink-abs"), sdistName(),
		append(baseSdist(), tarEntry{hdr: tar.Header{Name: sdistTop + "passwd", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}})), "")
	add("sdist: absolute member path", writeSdist(t, dir("tar-abs"), sdistName(),
		append(baseSdist(), tarEntry{hdr: tar.Header{Name: "/tmp/evil.py"}, data: []byte("x")})), "")
	add("sdist: PKG-INFO twice, different versions", writeSdist(t, dir("tar-dup"), sdistName(),
		append(baseSdist(), tarEntry{hdr: tar.Header{Name: sdistTop + "PKG-INFO"}, data: []byte("Metadata-Version: 2.1\nName: hostile\nVersion: 6.6.6\n")})), "")
	add("sdist: PKG-INFO names another version", writeSdist(t, dir("tar-version"), sdistName(),
		[]tarEntry{{hdr: tar.Header{Name: sdistTop + "PKG-INFO"}, data: []byte("Metadata-Version: 2.1\nName: hostile\nVersion: 1.1\n")}}), "")
	add("sdist: PKG-INFO of 40 MiB", hugeMemberSdist(t, dir("tar-huge-pkginfo"), "PKG-INFO", hugeHead, line, 40), "")
	add("sdist: gzip bomb (1 GiB of zeros after PKG-INFO)", gzipBombSdist(t, dir("gzip-bomb"), 1024), "")
	add("sdist: tar truncated inside a member", truncatedTar(t, dir("tar-trunc")), "")
	// Not regular files: a named pipe (opening it blocks until a writer
	// comes), and a link to an endless device.
	fifo := filepath.Join(dir("fifo"), wheelName())
	if err := syscall.Mkfifo(fifo, 0o644); err == nil {
		add("a named pipe called .whl", fifo, "named pipe")
	}
	zero := filepath.Join(dir("devzero"), wheelName())
	if err := os.Symlink("/dev/zero", zero); err == nil {
		add("a symlink to /dev/zero called .whl", zero, "device")
	}
	add("a directory called .whl", func() string {
		p := filepath.Join(dir("dir"), wheelName())
		_ = os.MkdirAll(p, 0o755)
		return p
	}(), "")
	add("a missing file", filepath.Join(dir("missing"), wheelName()), "")
	return out
}

func writeBytes(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// overlappingZip is a "non-recursive zip bomb" (Fifield 2019): many
// central directory records all point at the same local file.
func overlappingZip(t testing.TB, dir string) string {
	t.Helper()
	p := writeWheel(t, dir, wheelName(), baseWheelEntries(""), false)
	b, _ := os.ReadFile(p)
	eocd := bytes.LastIndex(b, []byte{0x50, 0x4b, 0x05, 0x06})
	cdOff := int(binary.LittleEndian.Uint32(b[eocd+16:]))
	cd := b[cdOff:eocd]
	// The first central record, repeated 1000 times under new names.
	n := 46 + int(binary.LittleEndian.Uint16(cd[28:])) + int(binary.LittleEndian.Uint16(cd[30:])) + int(binary.LittleEndian.Uint16(cd[32:]))
	first := cd[:n]
	var out bytes.Buffer
	out.Write(b[:cdOff])
	out.Write(cd)
	extra := 1000
	for i := range extra {
		rec := append([]byte(nil), first[:46]...)
		name := fmt.Sprintf("%s/copy%04d.py", hostileName, i)
		binary.LittleEndian.PutUint16(rec[28:], uint16(len(name)))
		binary.LittleEndian.PutUint16(rec[30:], 0)
		binary.LittleEndian.PutUint16(rec[32:], 0)
		out.Write(rec)
		out.WriteString(name)
	}
	end := append([]byte(nil), b[eocd:eocd+22]...)
	total := binary.LittleEndian.Uint16(end[10:]) + uint16(extra)
	binary.LittleEndian.PutUint16(end[8:], total)
	binary.LittleEndian.PutUint16(end[10:], total)
	binary.LittleEndian.PutUint32(end[12:], uint32(out.Len()-cdOff))
	out.Write(end)
	if err := os.WriteFile(p, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// manyEntries is a wheel with n one-byte members (RECORD lists only the
// base ones, so it is also wrong), its records written by hand: zip.Writer
// is slow under the race detector for 200k entries.
func manyEntries(t testing.TB, dir string, n int) string {
	t.Helper()
	var local, central bytes.Buffer
	count := 0
	add := func(name string, data []byte) {
		off := local.Len()
		crc := crc32.ChecksumIEEE(data)
		var h [30]byte
		binary.LittleEndian.PutUint32(h[0:], 0x04034b50)
		binary.LittleEndian.PutUint16(h[4:], 20)
		binary.LittleEndian.PutUint16(h[6:], 0x800) // UTF-8 names
		binary.LittleEndian.PutUint32(h[14:], crc)
		binary.LittleEndian.PutUint32(h[18:], uint32(len(data)))
		binary.LittleEndian.PutUint32(h[22:], uint32(len(data)))
		binary.LittleEndian.PutUint16(h[26:], uint16(len(name)))
		local.Write(h[:])
		local.WriteString(name)
		local.Write(data)
		var c [46]byte
		binary.LittleEndian.PutUint32(c[0:], 0x02014b50)
		binary.LittleEndian.PutUint16(c[4:], 20)
		binary.LittleEndian.PutUint16(c[6:], 20)
		binary.LittleEndian.PutUint16(c[8:], 0x800)
		binary.LittleEndian.PutUint32(c[16:], crc)
		binary.LittleEndian.PutUint32(c[20:], uint32(len(data)))
		binary.LittleEndian.PutUint32(c[24:], uint32(len(data)))
		binary.LittleEndian.PutUint16(c[28:], uint16(len(name)))
		binary.LittleEndian.PutUint32(c[38:], 0o644<<16)
		binary.LittleEndian.PutUint32(c[42:], uint32(off))
		central.Write(c[:])
		central.WriteString(name)
		count++
	}
	for _, e := range baseWheelEntries("") {
		add(e.name, e.data)
	}
	for i := range n {
		add(hostileName+"/m"+strconv.Itoa(i), []byte("x"))
	}
	add(hostileDistInfo+"RECORD", []byte(hostileDistInfo+"RECORD,,\n"))
	var out bytes.Buffer
	out.Write(local.Bytes())
	out.Write(central.Bytes())
	if count > 0xfffe {
		// More entries than the end record counts: ZIP64 end record and
		// locator, as zip.Writer writes them.
		var z [56]byte
		binary.LittleEndian.PutUint32(z[0:], 0x06064b50)
		binary.LittleEndian.PutUint64(z[4:], 44)
		binary.LittleEndian.PutUint16(z[12:], 45)
		binary.LittleEndian.PutUint16(z[14:], 45)
		binary.LittleEndian.PutUint64(z[24:], uint64(count))
		binary.LittleEndian.PutUint64(z[32:], uint64(count))
		binary.LittleEndian.PutUint64(z[40:], uint64(central.Len()))
		binary.LittleEndian.PutUint64(z[48:], uint64(local.Len()))
		var loc [20]byte
		binary.LittleEndian.PutUint32(loc[0:], 0x07064b50)
		binary.LittleEndian.PutUint64(loc[8:], uint64(local.Len()+central.Len()))
		binary.LittleEndian.PutUint32(loc[16:], 1)
		out.Write(z[:])
		out.Write(loc[:])
	}
	var end [22]byte
	binary.LittleEndian.PutUint32(end[0:], 0x06054b50)
	entries := uint16(min(count, 0xffff))
	binary.LittleEndian.PutUint16(end[8:], entries)
	binary.LittleEndian.PutUint16(end[10:], entries)
	binary.LittleEndian.PutUint32(end[12:], uint32(central.Len()))
	binary.LittleEndian.PutUint32(end[16:], uint32(local.Len()))
	out.Write(end[:])
	return writeBytes(t, dir, wheelName(), out.Bytes())
}

// tarHeader is the 512-byte tar header of a regular file.
func tarHeader(name string, size int64) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	_ = tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: size, Typeflag: tar.TypeReg})
	return buf.Bytes()[:512]
}

// gzipBombSdist is an sdist whose second member is mib MiB of zeros: about
// 1 KiB per MiB on disk, the whole size to a reader that walks the tar.
func gzipBombSdist(t testing.TB, dir string, mib int) string {
	t.Helper()
	info := pkgInfo()
	var prefix bytes.Buffer
	prefix.Write(tarHeader(sdistTop+"PKG-INFO", int64(len(info))))
	prefix.Write(info)
	prefix.Write(make([]byte, 512-len(info)%512))
	prefix.Write(tarHeader(sdistTop+"zeros.bin", int64(mib)<<20))
	// The member's zeros, then the two zero blocks ending the archive.
	zeros := make([]byte, 1<<20)
	gz := gzipRepeat(prefix.Bytes(), zeros, mib)
	return writeBytes(t, dir, sdistName(), appendGzipMember(gz, make([]byte, 1024)))
}

// hugeMemberSdist is an sdist whose only member, name, is head followed by
// count copies of block.
func hugeMemberSdist(t testing.TB, dir, name string, head, block []byte, count int) string {
	t.Helper()
	size := int64(len(head)) + int64(len(block))*int64(count)
	var prefix bytes.Buffer
	prefix.Write(tarHeader(sdistTop+name, size))
	prefix.Write(head)
	gz := gzipRepeat(prefix.Bytes(), block, count)
	pad := (512 - size%512) % 512
	return writeBytes(t, dir, sdistName(), appendGzipMember(gz, make([]byte, pad+1024)))
}

// appendGzipMember appends b as a second gzip member (readers of .tar.gz
// read concatenated members as one stream).
func appendGzipMember(gz, b []byte) []byte {
	var buf bytes.Buffer
	buf.Write(gz)
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}

// truncatedTar is a valid gzip stream of a tar cut inside a member.
func truncatedTar(t testing.TB, dir string) string {
	t.Helper()
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	_ = tw.WriteHeader(&tar.Header{Name: sdistTop + "PKG-INFO", Mode: 0o644, Size: int64(len(pkgInfo())), Typeflag: tar.TypeReg})
	_, _ = tw.Write(pkgInfo())
	_ = tw.WriteHeader(&tar.Header{Name: sdistTop + "big.py", Mode: 0o644, Size: 100_000, Typeflag: tar.TypeReg})
	_, _ = tw.Write(bytes.Repeat([]byte("#"), 1000))
	return writeBytes(t, dir, sdistName(), gzipBytes(tb.Bytes()))
}
