package pypitest

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPyRepr(t *testing.T) {
	for in, want := range map[string]string{
		"abc":       `'abc'`,
		"it's":      `"it's"`,
		`say "hi"`:  `'say "hi"'`,
		`it's "x"`:  `'it\'s "x"'`,
		"a\nb\tc\\": `'a\nb\tc\\'`,
		"\x00\x7f":  `'\x00\x7f'`,
		"dög☃":      `'dög☃'`,
		"\u00a0":    `'\xa0'`,
	} {
		if got := pyRepr(in); got != want {
			t.Errorf("pyRepr(%q) = %s, want %s", in, got, want)
		}
	}
	if got := pyList([]string{"a", "b'"}); got != `['a', "b'"]` {
		t.Errorf("pyList: %s", got)
	}
}

func TestVersions(t *testing.T) {
	for in, want := range map[string]string{
		"1.0": "1.0", "v1.0": "1.0", " 1.0 ": "1.0", "2025.09.04": "2025.9.4", "1.0.0-0": "1.0.0.post0",
		"1.0-rc.1": "1.0rc1", "1.0alpha": "1.0a0", "1.0.PREVIEW2": "1.0rc2", "1.0c1": "1.0rc1",
		"1.0-r4": "1.0.post4", "1.0rev": "1.0.post0", "1.0.dev": "1.0.dev0", "1!2.0": "1!2.0", "0!1.0": "1.0",
		"1.0+Ubuntu-001": "1.0+ubuntu.1", "1.0_post_1": "1.0.post1",
	} {
		v, ok := parseVersion(in)
		if !ok || v.String() != want {
			t.Errorf("parseVersion(%q) = %v, %v; want %s", in, v, ok, want)
		}
	}
	for _, bad := range []string{"dog", "", "1.0.", "1..0", "1.0+", "1.0-", "1.0 2", "1.0+a..b", "١.٠"} {
		if validVersion(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
	ordered := []string{"1.0.dev0", "1.0a1.dev1", "1.0a1", "1.0b1", "1.0rc1", "1.0", "1.0+abc", "1.0+1", "1.0.post1.dev0", "1.0.post1", "1.1", "10.0", "1!0.1"}
	for i := 0; i+1 < len(ordered); i++ {
		a, _ := parseVersion(ordered[i])
		b, _ := parseVersion(ordered[i+1])
		if compareVersions(a, b) >= 0 || compareVersions(b, a) <= 0 {
			t.Errorf("%s should sort before %s", ordered[i], ordered[i+1])
		}
	}
	a, _ := parseVersion("1.0.0")
	b, _ := parseVersion("1")
	if compareVersions(a, b) != 0 || a.canonical() != "1" || b.canonical() != "1" {
		t.Error("1.0.0 and 1 are the same version")
	}
}

func TestRequirements(t *testing.T) {
	for in, want := range map[string]string{
		"foo":                               "foo",
		"Foo [b, a] (>=1.0,<2)":             "Foo[a,b]<2,>=1.0",
		"foo>=1.0; python_version < '3.10'": `foo>=1.0; python_version < "3.10"`,
		"foo @ https://x.example/f.whl":     "foo@ https://x.example/f.whl",
		"foo; os.name == 'nt' and (extra == 'a' or extra == \"b\")": `foo; os_name == "nt" and (extra == "a" or extra == "b")`,
		"foo ; sys_platform not  in 'win32'":                        `foo; sys_platform not in "win32"`,
		"foo===weird-1":                                             "foo===weird-1",
		"foo==1.0.*":                                                "foo==1.0.*",
		"foo~=1.4.5":                                                "foo~=1.4.5",
	} {
		r, err := parseRequirement(in)
		if err != nil || r.String() != want {
			t.Errorf("parseRequirement(%q) = %v, %v; want %s", in, r, err, want)
		}
	}
	for _, bad := range []string{"", "-foo", "foo bar", "foo (>=1", "foo[", "foo >= dog", "foo~=1", "foo==1.0.*.dev1",
		"foo>=1.0+local", "foo; bogus == '1'", "foo; python_version", "foo @ ", "foo,bar"} {
		if _, err := parseRequirement(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	for _, ok := range []string{">=3.8", ">= 3.8, <4", "==3.*", "", ">=3.8,", "~=3.10"} {
		if parseSpecifierSet(ok) != nil {
			t.Errorf("specifier set %q refused", ok)
		}
	}
	for _, bad := range []string{"=>3", ">=3.8 <4", "3.8", ">=3.*", "~=3"} {
		if parseSpecifierSet(bad) == nil {
			t.Errorf("specifier set %q accepted", bad)
		}
	}
}

func TestNegotiate(t *testing.T) {
	offers := []string{"text/html", "application/json"}
	for accept, want := range map[string]string{
		"":                               "text/html",
		"*/*":                            "text/html",
		"application/json":               "application/json",
		"application/json, text/html":    "text/html",
		"application/*;q=0.9, */*;q=0.1": "application/json",
		"text/plain":                     "",
		"text/html;q=0, */*":             "application/json",
	} {
		if got := negotiate(accept, offers...); got != want {
			t.Errorf("negotiate(%q) = %q, want %q", accept, got, want)
		}
	}
}

func TestSizeProblem(t *testing.T) {
	if msg := sizeProblem(100, 100, 0, 1000, "p"); msg != "" {
		t.Errorf("at the limit: %s", msg)
	}
	if msg := sizeProblem(101, 100, 0, 1000, "p"); !strings.HasPrefix(msg, "File too large.") {
		t.Errorf("file: %s", msg)
	}
	// The project limit trips many chunks before the file limit would.
	if msg := sizeProblem(1<<20, 100<<10, 1000, 1100, "p"); !strings.HasPrefix(msg, "Project size too large.") {
		t.Errorf("project first: %s", msg)
	}
	// Both in the first chunk: the file limit is checked first.
	if msg := sizeProblem(5000, 10, 0, 20, "p"); !strings.HasPrefix(msg, "File too large.") {
		t.Errorf("same chunk: %s", msg)
	}
}

// rawZip builds a ZIP archive by hand, so that broken framings can be made.
type rawZip struct {
	buf     bytes.Buffer
	central bytes.Buffer
	n       int
}

func (z *rawZip) add(name string, data []byte, flags uint16) {
	crc := crc32.ChecksumIEEE(data)
	off := z.buf.Len()
	le := binary.LittleEndian
	h := make([]byte, 30)
	le.PutUint32(h, 0x04034b50)
	le.PutUint16(h[4:], 20)
	le.PutUint16(h[6:], flags)
	le.PutUint32(h[14:], crc)
	le.PutUint32(h[18:], uint32(len(data)))
	le.PutUint32(h[22:], uint32(len(data)))
	le.PutUint16(h[26:], uint16(len(name)))
	z.buf.Write(h)
	z.buf.WriteString(name)
	z.buf.Write(data)
	c := make([]byte, 46)
	le.PutUint32(c, 0x02014b50)
	le.PutUint16(c[4:], 20)
	le.PutUint16(c[6:], 20)
	le.PutUint16(c[8:], flags)
	le.PutUint32(c[16:], crc)
	le.PutUint32(c[20:], uint32(len(data)))
	le.PutUint32(c[24:], uint32(len(data)))
	le.PutUint16(c[28:], uint16(len(name)))
	le.PutUint32(c[42:], uint32(off))
	z.central.Write(c)
	z.central.WriteString(name)
	z.n++
}

func (z *rawZip) bytes() []byte {
	out := bytes.Buffer{}
	out.Write(z.buf.Bytes())
	cdOff := out.Len()
	out.Write(z.central.Bytes())
	e := make([]byte, 22)
	le := binary.LittleEndian
	le.PutUint32(e, 0x06054b50)
	le.PutUint16(e[8:], uint16(z.n))
	le.PutUint16(e[10:], uint16(z.n))
	le.PutUint32(e[12:], uint32(z.central.Len()))
	le.PutUint32(e[16:], uint32(cdOff))
	out.Write(e)
	return out.Bytes()
}

func TestZipFraming(t *testing.T) {
	check := func(name string, data []byte, want string) {
		t.Helper()
		path := filepath.Join(t.TempDir(), "x-1.0-py3-none-any.whl")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		zr, err := zip.OpenReader(path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		defer zr.Close()
		got, ok := validateZipFraming(path, &zr.Reader)
		if ok != (want == "") || got != want {
			t.Errorf("%s: got %q (ok %v), want %q", name, got, ok, want)
		}
	}
	good := &rawZip{}
	good.add("a.py", []byte("print(1)\n"), 0)
	good.add("b.py", []byte("print(2)\n"), 0)
	check("valid", good.bytes(), "")

	dup := &rawZip{}
	dup.add("a.py", []byte("same size 1\n"), 0)
	dup.add("a.py", []byte("same size 2\n"), 0)
	check("duplicate names of the same size", dup.bytes(), "Duplicate filename in local headers")

	desc := &rawZip{}
	desc.add("a.py", []byte("x"), 0x08)
	check("data descriptor flag", desc.bytes(), "ZIP contains a data descriptor")

	ctrl := &rawZip{}
	ctrl.add("a\x01.py", []byte("x"), 0)
	check("control character", ctrl.bytes(), "Invalid character in filename")

	check("trailing data", append(good.bytes(), "junk"...), "Trailing data")
	check("leading data", append([]byte("MZ"), good.bytes()...), "Unknown record signature")

	// Go's own writer with Create (data descriptors) is refused.
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("a.py")
	_, _ = w.Write([]byte("x"))
	zw.Close()
	check("zip.Writer.Create", buf.Bytes(), "ZIP contains a data descriptor")

	// An archive comment is skipped by Warehouse's walk.
	buf.Reset()
	zw = zip.NewWriter(&buf)
	w, _ = zw.CreateRaw(&zip.FileHeader{Name: "a.py", Method: zip.Store, CRC32: crc32.ChecksumIEEE([]byte("x")), CompressedSize64: 1, UncompressedSize64: 1})
	_, _ = w.Write([]byte("x"))
	_ = zw.SetComment("a comment")
	zw.Close()
	check("archive comment", buf.Bytes(), "")
}

func TestPlatformTags(t *testing.T) {
	for _, ok := range []string{"any", "win_amd64", "manylinux_2_28_aarch64", "musllinux_1_2_riscv64", "macosx_10_9_universal2",
		"macosx_14_0_arm64", "ios_13_0_arm64_iphoneos", "android_21_arm64_v8a", "manylinux2014_ppc64le", "linux_armv7l", "pyemscripten_2024_0_wasm32"} {
		if !validPlatformTag(ok) {
			t.Errorf("%s refused", ok)
		}
	}
	for _, bad := range []string{"linux_x86_64", "macosx_14_2_arm64", "macosx_9_0_x86_64", "musllinux_1_2_ppc64", "win_arm", "plan9_amd64", "android_21_mips"} {
		if validPlatformTag(bad) {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestSdistPostReleaseWithDashes(t *testing.T) {
	// packaging splits on the last dash, so "foo-1.0-1.tar.gz" (version
	// 1.0-1 = 1.0.post1) names a project "foo-1.0"; Warehouse retries the
	// split one dash earlier for post-releases. PEP 625 still refuses it.
	srv := NewServer(t, WithToken(testToken))
	path, data := tinyutil(t, true)
	r := uploadRequest{url: srv.RepositoryURL, token: testToken, fields: setField(formFor(t, path), "version", "0.1.0-1"), filename: "tinyutil-0.1.0-1.tar.gz", content: data}
	wantReply(t, r.send(t), 400, "Filename 'tinyutil-0.1.0-1.tar.gz' is invalid, should be 'tinyutil-0.1.0.post1.tar.gz'.")
}
