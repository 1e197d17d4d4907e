package wheelgen

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

func TestWheelFilename(t *testing.T) {
	for _, tc := range []struct {
		spec Spec
		want string
	}{
		{Spec{Name: "demo", Version: "1.0"}, "demo-1.0-py3-none-any.whl"},
		{Spec{Name: "Big.Demo__Py", Version: "0.1.0rc1"}, "big_demo_py-0.1.0rc1-py3-none-any.whl"},
		{Spec{Name: "x", Version: "2", Tag: "cp312-cp312-manylinux_2_17_x86_64"}, "x-2-cp312-cp312-manylinux_2_17_x86_64.whl"},
	} {
		if got := WheelFilename(tc.spec); got != tc.want {
			t.Errorf("WheelFilename(%+v) = %q, want %q", tc.spec, got, tc.want)
		}
	}
	if got, want := SdistFilename(Spec{Name: "Big.Demo-py", Version: "1.0.post1"}), "big_demo_py-1.0.post1.tar.gz"; got != want {
		t.Errorf("SdistFilename = %q, want %q", got, want)
	}
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	for _, spec := range []Spec{
		{Name: "", Version: "1.0"},
		{Name: "-demo", Version: "1.0"},
		{Name: "de mo", Version: "1.0"},
		{Name: "demo", Version: "dog"},
		{Name: "demo", Version: "1.0-1"},
		{Name: "demo", Version: "01.0"},
		{Name: "demo", Version: "1.0", Size: -1},
		{Name: "demo", Version: "1.0", Size: 5 << 30},
		{Name: "demo", Version: "1.0", Tag: "py3"},
		{Name: "demo", Version: "1.0", Summary: "two\nlines"},
		{Name: "demo", Version: "1.0", Metadata: []Header{{"Bad Name", "x"}}},
		{Name: "demo", Version: "1.0", Metadata: []Header{{"Classifier", "a\nb"}}},
	} {
		if _, err := Write(dir, spec); err == nil {
			t.Errorf("Write(%+v) succeeded, want an error", spec)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("invalid specs left files behind: %v", entries)
	}
	// 5 GiB is fine for an sdist (tar has no 4 GiB limit); only check validation.
	if err := (Spec{Name: "demo", Version: "1.0", Size: 5 << 30}).validate(false); err != nil {
		t.Errorf("sdist of 5 GiB: %v", err)
	}
}

func TestWriteWheel(t *testing.T) {
	spec := Spec{
		Name:        "Gen.Demo-py",
		Version:     "1.2.3",
		Size:        300<<10 + 7,
		Seed:        42,
		Summary:     "A generated wheel",
		Metadata:    []Header{{"Requires-Python", ">=3.8"}, {"Classifier", "Programming Language :: Python :: 3"}, {"Project-URL", "Source, https://example.org/src"}},
		Description: "# Generated\n\nLong description.",
	}
	path, err := Write(t.TempDir(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := filepath.Base(path), "gen_demo_py-1.2.3-py3-none-any.whl"; got != want {
		t.Fatalf("file name %q, want %q", got, want)
	}
	files := checkWheel(t, path)

	meta := string(files["gen_demo_py-1.2.3.dist-info/METADATA"])
	wantMeta := "Metadata-Version: 2.1\nName: Gen.Demo-py\nVersion: 1.2.3\nSummary: A generated wheel\n" +
		"Requires-Python: >=3.8\nClassifier: Programming Language :: Python :: 3\nProject-URL: Source, https://example.org/src\n" +
		"\n# Generated\n\nLong description.\n"
	if meta != wantMeta {
		t.Errorf("METADATA:\n%s\nwant:\n%s", meta, wantMeta)
	}
	if got := int64(len(files["gen_demo_py/payload.bin"])); got != spec.Size {
		t.Errorf("payload.bin is %d bytes, want %d", got, spec.Size)
	}
	wheel := string(files["gen_demo_py-1.2.3.dist-info/WHEEL"])
	if !strings.Contains(wheel, "Tag: py3-none-any\n") || !strings.Contains(wheel, "Root-Is-Purelib: true\n") {
		t.Errorf("WHEEL:\n%s", wheel)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() < spec.Size || st.Size() > spec.Size+4096 {
		t.Errorf("wheel is %d bytes for a %d-byte payload", st.Size(), spec.Size)
	}
}

// checkWheel verifies what PyPI verifies and returns the wheel's files: every
// entry stored or deflated, no data descriptor, CRC and sizes in the local
// headers equal to the central directory's, no comment, no trailing bytes,
// METADATA/WHEEL/RECORD present, and RECORD listing exactly every file with
// its sha256 and size.
func checkWheel(t *testing.T, path string) map[string][]byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if zr.Comment != "" {
		t.Errorf("archive comment %q", zr.Comment)
	}
	files := map[string][]byte{}
	central := map[string]*zip.File{}
	for _, f := range zr.File {
		if f.Flags&0x8 != 0 {
			t.Errorf("%s: general-purpose flag bit 3 (data descriptor) set", f.Name)
		}
		if f.Method != zip.Store && f.Method != zip.Deflate {
			t.Errorf("%s: compression method %d", f.Name, f.Method)
		}
		if f.Comment != "" {
			t.Errorf("%s: entry comment", f.Name)
		}
		if _, dup := central[f.Name]; dup {
			t.Errorf("%s: duplicate entry", f.Name)
		}
		central[f.Name] = f
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc) // archive/zip checks the CRC at EOF
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		_ = rc.Close()
		files[f.Name] = data
	}

	// Walk the local headers the way a streaming reader (and Warehouse's
	// zipfiles.validate_zipfile) does.
	off := 0
	seen := 0
	for binary.LittleEndian.Uint32(raw[off:]) == 0x04034b50 {
		h := raw[off : off+30]
		flags := binary.LittleEndian.Uint16(h[6:])
		crc := binary.LittleEndian.Uint32(h[14:])
		csize := binary.LittleEndian.Uint32(h[18:])
		usize := binary.LittleEndian.Uint32(h[22:])
		nlen := int(binary.LittleEndian.Uint16(h[26:]))
		xlen := int(binary.LittleEndian.Uint16(h[28:]))
		name := string(raw[off+30 : off+30+nlen])
		f, ok := central[name]
		switch {
		case !ok:
			t.Fatalf("local header %q not in the central directory", name)
		case flags&0x8 != 0:
			t.Errorf("%s: local header has the data descriptor flag", name)
		case crc != f.CRC32 || uint64(csize) != f.CompressedSize64 || uint64(usize) != f.UncompressedSize64:
			t.Errorf("%s: local header crc/csize/usize %x/%d/%d, central %x/%d/%d",
				name, crc, csize, usize, f.CRC32, f.CompressedSize64, f.UncompressedSize64)
		}
		off += 30 + nlen + xlen + int(csize)
		seen++
	}
	if seen != len(zr.File) {
		t.Errorf("%d local headers, %d central entries", seen, len(zr.File))
	}
	if sig := binary.LittleEndian.Uint32(raw[off:]); sig != 0x02014b50 {
		t.Errorf("after the last entry: signature %x, want the central directory (no data descriptors, no gaps)", sig)
	}
	eocd := bytes.LastIndex(raw, []byte{0x50, 0x4b, 0x05, 0x06})
	if eocd < 0 || eocd+22 != len(raw) {
		t.Errorf("end of central directory at %d of %d bytes: comment or trailing data", eocd, len(raw))
	}

	// dist-info and RECORD.
	base := strings.TrimSuffix(filepath.Base(path), ".whl")
	parts := strings.Split(base, "-")
	distInfo := parts[0] + "-" + parts[1] + ".dist-info/"
	for _, n := range []string{"METADATA", "WHEEL", "RECORD"} {
		if _, ok := files[distInfo+n]; !ok {
			t.Fatalf("missing %s%s", distInfo, n)
		}
	}
	listed := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(files[distInfo+"RECORD"]))
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ",")
		if len(fields) != 3 {
			t.Fatalf("RECORD line %q", sc.Text())
		}
		name, hash, size := fields[0], fields[1], fields[2]
		listed[name] = true
		data, ok := files[name]
		if !ok {
			t.Errorf("RECORD lists %s, not in the wheel", name)
			continue
		}
		if name == distInfo+"RECORD" {
			if hash != "" || size != "" {
				t.Errorf("RECORD's own line %q, want no hash or size", sc.Text())
			}
			continue
		}
		sum := sha256.Sum256(data)
		if want := "sha256=" + base64.RawURLEncoding.EncodeToString(sum[:]); hash != want {
			t.Errorf("RECORD %s: %s, computed %s", name, hash, want)
		}
		if size != strconv.Itoa(len(data)) {
			t.Errorf("RECORD %s: size %s, actual %d", name, size, len(data))
		}
	}
	for name := range files {
		if !listed[name] {
			t.Errorf("%s is not listed in RECORD", name)
		}
	}
	return files
}

func TestDeterministicAndSeeded(t *testing.T) {
	dir1, dir2, dir3 := t.TempDir(), t.TempDir(), t.TempDir()
	spec := Spec{Name: "same", Version: "1.0", Size: 100 << 10, Seed: 7}
	p1, err := Write(dir1, spec)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := Write(dir2, spec)
	if err != nil {
		t.Fatal(err)
	}
	spec.Seed = 8
	p3, err := Write(dir3, spec)
	if err != nil {
		t.Fatal(err)
	}
	h1, h2, h3 := fileSHA(t, p1), fileSHA(t, p2), fileSHA(t, p3)
	if h1 != h2 {
		t.Errorf("same spec, different files: %s vs %s", h1, h2)
	}
	if h1 == h3 {
		t.Errorf("different seeds, same file %s", h1)
	}
}

func fileSHA(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", sha256.Sum256(data))
}

func TestPayloadIsIncompressible(t *testing.T) {
	data, err := io.ReadAll(newPayload(1, 1<<20))
	if err != nil {
		t.Fatal(err)
	}
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestCompression)
	_, _ = fw.Write(data)
	_ = fw.Close()
	if comp.Len() < len(data) {
		t.Errorf("1 MiB of payload deflates to %d bytes; it should not shrink", comp.Len())
	}
}

func TestEmptyPayload(t *testing.T) {
	path, err := Write(t.TempDir(), Spec{Name: "empty", Version: "0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	files := checkWheel(t, path)
	if n := len(files["empty/payload.bin"]); n != 0 {
		t.Errorf("payload.bin has %d bytes", n)
	}
}

// TestWriteStreams writes a 64 MiB wheel and sdist and checks that the
// allocations during the call stay far below the file size.
func TestWriteStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 128 MiB")
	}
	dir := t.TempDir()
	const size = 64 << 20
	for _, write := range []func(string, Spec) (string, error){Write, WriteSdist} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		path, err := write(dir, Spec{Name: "big", Version: "1.0", Size: size, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
			t.Errorf("%s: allocated %d bytes for a %d-byte payload; it must stream", filepath.Base(path), alloc, size)
		}
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() < size {
			t.Errorf("%s: %d bytes, payload alone is %d", path, st.Size(), size)
		}
	}
}

func TestWriteSdist(t *testing.T) {
	spec := Spec{Name: "Gen.Demo-py", Version: "2.0.0", Size: 50<<10 + 3, Seed: 3, Metadata: []Header{{"Requires-Python", ">=3.9"}}}
	path, err := WriteSdist(t.TempDir(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := filepath.Base(path), "gen_demo_py-2.0.0.tar.gz"; got != want {
		t.Fatalf("file name %q, want %q", got, want)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	files := map[string][]byte{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if top, _, _ := strings.Cut(h.Name, "/"); top != "gen_demo_py-2.0.0" {
			t.Errorf("member %s outside the top directory gen_demo_py-2.0.0/", h.Name)
		}
		if h.Typeflag != tar.TypeReg && h.Typeflag != tar.TypeDir {
			t.Errorf("member %s has type %c", h.Name, h.Typeflag)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name] = data
	}
	want := "Metadata-Version: 2.1\nName: Gen.Demo-py\nVersion: 2.0.0\nSummary: A distribution generated by wheelgen\nRequires-Python: >=3.9\n"
	if got := string(files["gen_demo_py-2.0.0/PKG-INFO"]); got != want {
		t.Errorf("PKG-INFO:\n%s\nwant:\n%s", got, want)
	}
	payload := files["gen_demo_py-2.0.0/gen_demo_py/payload.bin"]
	if int64(len(payload)) != spec.Size {
		t.Errorf("payload.bin is %d bytes, want %d", len(payload), spec.Size)
	}
	// The sdist carries the same payload bytes as the wheel of the same spec.
	wheel, err := Write(t.TempDir(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if wf := checkWheel(t, wheel); !bytes.Equal(wf["gen_demo_py/payload.bin"], payload) {
		t.Error("wheel and sdist payloads differ for the same spec")
	}
}

func TestCRCMatchesPayload(t *testing.T) {
	// The local header's CRC comes from a separate pass over a regenerated
	// stream; both passes must see the same bytes whatever the chunking.
	a, _ := io.ReadAll(newPayload(9, 1<<20+13))
	p := newPayload(9, 1<<20+13)
	var b []byte
	buf := make([]byte, 4093)
	for {
		n, err := p.Read(buf)
		b = append(b, buf[:n]...)
		if err != nil {
			break
		}
	}
	if crc32.ChecksumIEEE(a) != crc32.ChecksumIEEE(b) || !bytes.Equal(a, b) {
		t.Error("payload depends on read sizes")
	}
}

// TestPython checks the wheel with the real tools: Python's zipfile test,
// pip install into a scratch directory, and an import of the module.
func TestPython(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not on PATH")
	}
	if err := exec.Command(python, "-m", "pip", "--version").Run(); err != nil {
		t.Skipf("%s has no pip: %v", python, err)
	}
	dir := t.TempDir()
	spec := Spec{Name: "wheelgen-pip-check", Version: "0.3.0", Size: 20 << 10, Seed: 5, Metadata: []Header{{"Requires-Python", ">=3.8"}}}
	path, err := Write(dir, spec)
	if err != nil {
		t.Fatal(err)
	}
	run := func(env []string, args ...string) string {
		t.Helper()
		cmd := exec.Command(python, args...)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("python3 %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run(nil, "-m", "zipfile", "-t", path)
	target := filepath.Join(dir, "site")
	run([]string{"PIP_DISABLE_PIP_VERSION_CHECK=1"}, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
		"--root-user-action=ignore", "--target", target, path)
	out := run([]string{"PYTHONPATH=" + target}, "-c",
		"import wheelgen_pip_check as m, os; print(m.__version__, m.payload_size(), os.path.getsize(os.path.join(os.path.dirname(m.__file__), 'payload.bin')))")
	if got, want := strings.TrimSpace(out), "0.3.0 20480 20480"; got != want {
		t.Errorf("import: %q, want %q", got, want)
	}
	// pip verified nothing about RECORD hashes; do what installer/uv do.
	verify := `
import base64, csv, hashlib, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
rows = list(csv.reader(z.read([n for n in z.namelist() if n.endswith(".dist-info/RECORD")][0]).decode().splitlines()))
assert sorted(r[0] for r in rows) == sorted(z.namelist()), "RECORD does not list exactly the archive"
for name, h, size in rows:
    if not h:
        continue
    data = z.read(name)
    assert h == "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode(), name
    assert int(size) == len(data), name
assert all(i.flag_bits & 8 == 0 for i in z.infolist()), "data descriptor"
print("ok")
`
	if got := strings.TrimSpace(run(nil, "-c", verify, path)); got != "ok" {
		t.Errorf("RECORD check: %s", got)
	}

	sdist, err := WriteSdist(dir, spec)
	if err != nil {
		t.Fatal(err)
	}
	out = run(nil, "-c", `
import sys, tarfile
with tarfile.open(sys.argv[1], "r:gz") as t:
    names = t.getnames()
    tops = {n.split("/")[0] for n in names}
    print(sorted(tops), t.extractfile("wheelgen_pip_check-0.3.0/PKG-INFO").read().decode().splitlines()[1])
`, sdist)
	if got, want := strings.TrimSpace(out), "['wheelgen_pip_check-0.3.0'] Name: wheelgen-pip-check"; got != want {
		t.Errorf("sdist: %q, want %q", got, want)
	}
}

func BenchmarkWrite(b *testing.B) {
	dir := b.TempDir()
	const size = 64 << 20
	b.SetBytes(size)
	for i := 0; b.Loop(); i++ {
		if _, err := Write(dir, Spec{Name: "bench", Version: "1.0", Size: size, Seed: int64(i)}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteSdist(b *testing.B) {
	dir := b.TempDir()
	const size = 64 << 20
	b.SetBytes(size)
	for i := 0; b.Loop(); i++ {
		if _, err := WriteSdist(dir, Spec{Name: "bench", Version: "1.0", Size: size, Seed: int64(i)}); err != nil {
			b.Fatal(err)
		}
	}
}
