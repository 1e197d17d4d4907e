package dist

import (
	"archive/tar"
	"bytes"
	"crypto/md5" //nolint:gosec // the digest PyPI optionally takes
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/blake2b"
)

// One case per rule, on small archives built in the test.

const okMeta = "Metadata-Version: 2.1\nName: demo-py\nVersion: 0.1.0\nSummary: demo\n"

func okWheel(t testing.TB, metadata string, mod ...func(*wheelSpec)) []byte {
	s := wheelSpec{name: "demo_py", version: "0.1.0", metadata: metadata,
		extra: []member{{name: "demo_py/__init__.py", data: "x = 1\n"}}}
	for _, m := range mod {
		m(&s)
	}
	return buildWheel(t, s)
}

func inspectBytes(t *testing.T, name string, data []byte) (*Distribution, []Problem) {
	t.Helper()
	p := writeFile(t, t.TempDir(), name, data)
	d, problems, err := Inspect(p, Options{})
	if err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	for _, pr := range problems {
		if pr.File != p {
			t.Errorf("problem names %q, not %q", pr.File, p)
		}
	}
	return d, problems
}

func TestValidWheelAndSdist(t *testing.T) {
	d, problems := inspectBytes(t, "demo_py-0.1.0-py3-none-any.whl", okWheel(t, okMeta))
	if len(problems) != 0 || len(d.Warnings) != 0 {
		t.Fatalf("valid wheel: %v %v", problems, d.Warnings)
	}
	if d.Type != Wheel || d.PyVersion != "py3" || d.Name() != "demo-py" || d.Version() != "0.1.0" || d.Wheel == nil {
		t.Errorf("%+v", d)
	}
	d, problems = inspectBytes(t, "demo_py-0.1.0.tar.gz", buildTarGz(t, sdistEntries("demo_py-0.1.0", okMeta)))
	if len(problems) != 0 || d.Type != Sdist || d.PyVersion != "source" {
		t.Fatalf("valid sdist: %v %+v", problems, d)
	}
}

func TestDigests(t *testing.T) {
	// Large enough to cross several of the async hasher's buffers, with an
	// odd size so the last one is partial.
	data := okWheel(t, okMeta, func(s *wheelSpec) {
		s.extra = append(s.extra, member{name: "demo_py/blob.bin", data: strings.Repeat("0123456789abcdef", 50_001)})
	})
	want := Digests{
		SHA256:     fmt.Sprintf("%x", sha256.Sum256(data)),
		BLAKE2b256: fmt.Sprintf("%x", blake2b.Sum256(data)),
	}
	d, _ := inspectBytes(t, "demo_py-0.1.0-py3-none-any.whl", data)
	if d.Digests != want || d.Size != int64(len(data)) {
		t.Errorf("digests %+v, want %+v (md5 only when asked for)", d.Digests, want)
	}
	p := writeFile(t, t.TempDir(), "demo_py-0.1.0-py3-none-any.whl", data)
	d, _, err := Inspect(p, Options{MD5: true})
	if err != nil {
		t.Fatal(err)
	}
	want.MD5 = fmt.Sprintf("%x", md5.Sum(data))
	if d.Digests != want {
		t.Errorf("with MD5: digests %+v, want %+v", d.Digests, want)
	}
	p = writeFile(t, t.TempDir(), "empty.whl", nil)
	d, _, err = Inspect(p, Options{MD5: true})
	if err != nil {
		t.Fatal(err)
	}
	if d.Digests.SHA256 != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" ||
		d.Digests.MD5 != "d41d8cd98f00b204e9800998ecf8427e" ||
		d.Digests.BLAKE2b256 != "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8" {
		t.Errorf("empty file digests: %+v", d.Digests)
	}
}

func TestRules(t *testing.T) {
	meta := func(extra ...string) string { return metadataText("2.1", "demo-py", "0.1.0", extra...) }
	meta24 := func(extra ...string) string { return metadataText("2.4", "demo-py", "0.1.0", extra...) }
	whl := "demo_py-0.1.0-py3-none-any.whl"
	zipWith := func(edit func([]byte) []byte) []byte { return edit(okWheel(t, okMeta)) }
	cases := []struct {
		name     string
		filename string
		data     func() []byte
		rule     string
		contains string
	}{
		{"egg", "demo_py-0.1.0-py3.11.egg", func() []byte { return []byte("x") }, RuleFileType, "neither a wheel"},
		{"zip sdist", "demo_py-0.1.0.zip", func() []byte { return []byte("x") }, RuleSdistFilename, ".tar.gz"},
		{"control character", "demo_py-0.1.0-py3-none-any\x01.whl", func() []byte { return okWheel(t, okMeta) }, RuleFilenameChars, "control"},
		{"backslash", `demo_py-0.1.0-py3-none-any\x.whl`, func() []byte { return okWheel(t, okMeta) }, RuleFilenameChars, "backslash"},
		{"wheel grammar", "demo_py-0.1.0-py3-none.whl", func() []byte { return okWheel(t, okMeta) }, RuleFilename, "dashes"},
		{"name not normalized", "Demo_Py-0.1.0-py3-none-any.whl", func() []byte {
			return okWheel(t, okMeta, func(s *wheelSpec) { s.name = "Demo_Py" })
		}, RuleFilenameName, `"demo_py"`},
		{"other project", "other-0.1.0-py3-none-any.whl", func() []byte {
			return okWheel(t, okMeta, func(s *wheelSpec) { s.name = "other" })
		}, RuleFilenameName, "does not match METADATA Name"},
		{"version mismatch", "demo_py-1.0-py3-none-any.whl", func() []byte {
			return okWheel(t, meta("Version: 1.0.1"), func(s *wheelSpec) { s.version = "1.0"; s.metadata = metadataText("2.1", "demo-py", "1.0.1") })
		}, RuleFilenameVersion, "version in filename (1.0) does not match METADATA Version (1.0.1)"},
		{"platform", "demo_py-0.1.0-cp312-cp312-linux_x86_64.whl", func() []byte { return okWheel(t, okMeta) }, RulePlatformTag, "manylinux"},
		{"not a zip", whl, func() []byte { return []byte("hello, I am not a zip file\n") }, RuleZipStructure, "not a ZIP archive"},
		{"trailing data", whl, func() []byte { return zipWith(func(b []byte) []byte { return append(b, "junk"...) }) }, RuleZipStructure, "Trailing data"},
		{"archive comment", whl, func() []byte {
			return writeZip(t, []member{{name: "demo_py-0.1.0.dist-info/METADATA", data: okMeta}}, "a comment")
		}, RuleZipComment, "comment"},
		{"member comment", whl, func() []byte {
			return writeZip(t, []member{{name: "demo_py-0.1.0.dist-info/METADATA", data: okMeta, comment: "c"}}, "")
		}, RuleZipStructure, "Comment in central directory"},
		{"data descriptor", whl, func() []byte {
			// Set bit 3 in the first local header: the framing no longer parses the same.
			return zipWith(func(b []byte) []byte { b[6] |= 0x08; return b })
		}, RuleZipStructure, "data descriptor"},
		{"duplicate name", whl, func() []byte {
			return writeZip(t, []member{{name: "a.py", data: "1"}, {name: "a.py", data: "2"}}, "")
		}, RuleZipStructure, "Duplicate filename"},
		{"sizes disagree", whl, func() []byte {
			return zipWith(func(b []byte) []byte {
				// Bump the first central directory record's uncompressed size.
				i := bytes.Index(b, []byte("PK\x01\x02"))
				binary.LittleEndian.PutUint32(b[i+24:], binary.LittleEndian.Uint32(b[i+24:])+1)
				return b
			})
		}, RuleZipStructure, "Mis-matched file size"},
		{"corrupt member", whl, func() []byte {
			return zipWith(func(b []byte) []byte {
				// Flip a CRC in the first local header and its central record.
				b[14] ^= 0xff
				i := bytes.Index(b, []byte("PK\x01\x02"))
				b[i+16] ^= 0xff
				return b
			})
		}, RuleArchive, "CRC-32"},
		{"compression method", whl, func() []byte {
			return writeZip(t, []member{{name: "a.py", data: "1", method: 12}}, "")
		}, RuleZipCompression, "method 12"},
		{"absolute member", whl, func() []byte {
			return okWheel(t, okMeta, func(s *wheelSpec) { s.extra = append(s.extra, member{name: "/etc/x", data: "x"}) })
		}, RuleArchivePath, "absolute"},
		{"dotdot member", whl, func() []byte {
			return okWheel(t, okMeta, func(s *wheelSpec) { s.extra = append(s.extra, member{name: "demo_py/../../x", data: "x"}) })
		}, RuleArchivePath, ".."},
		{"escaping symlink", whl, func() []byte {
			return okWheel(t, okMeta, func(s *wheelSpec) {
				s.extra = append(s.extra, member{name: "demo_py/link", data: "../../../etc/passwd", mode: os.ModeSymlink | 0o777})
			})
		}, RuleArchivePath, "symlink"},
		{"no METADATA", whl, func() []byte {
			return okWheel(t, okMeta, func(s *wheelSpec) { s.omit = map[string]bool{"METADATA": true} })
		}, RuleWheelContents, "METADATA"},
		{"no WHEEL", whl, func() []byte {
			return okWheel(t, okMeta, func(s *wheelSpec) { s.omit = map[string]bool{"WHEEL": true} })
		}, RuleWheelContents, "WHEEL not found"},
		{"no RECORD", whl, func() []byte {
			return okWheel(t, okMeta, func(s *wheelSpec) { s.omit = map[string]bool{"RECORD": true} })
		}, RuleWheelContents, "RECORD"},
		{"renamed wheel", "demo_py-0.1.0-py3-none-any.whl", func() []byte {
			return okWheel(t, okMeta, func(s *wheelSpec) { s.distInfo = "demo_py-0.0.9.dist-info" })
		}, RuleWheelContents, "demo_py-0.0.9.dist-info/ instead"},
		{"two dist-info", whl, func() []byte {
			return okWheel(t, okMeta, func(s *wheelSpec) {
				s.extra = append(s.extra, member{name: "other-1.0.dist-info/METADATA", data: "x"})
			})
		}, RuleWheelContents, "2 .dist-info"},
		{"RECORD hash", whl, func() []byte {
			return okWheel(t, okMeta, func(s *wheelSpec) {
				s.recordEdit = func(r string) string {
					return strings.Replace(r, "demo_py/__init__.py,sha256=", "demo_py/__init__.py,sha256=AAAA", 1)
				}
			})
		}, RuleRecordMismatch, "does not match the hash"},
		{"RECORD incomplete", whl, func() []byte {
			return okWheel(t, okMeta, func(s *wheelSpec) {
				s.recordEdit = func(r string) string { return strings.Join(strings.Split(r, "\n")[1:], "\n") }
			})
		}, RuleRecordMismatch, "does not list demo_py/__init__.py"},
		{"entry points", whl, func() []byte {
			return okWheel(t, okMeta, func(s *wheelSpec) {
				s.extra = append(s.extra, member{name: "demo_py-0.1.0.dist-info/entry_points.txt", data: "[console_scripts]\n../evil = x:y\n"})
			})
		}, RuleEntryPoints, "invalid entry point name"},
		{"metadata syntax", whl, func() []byte { return okWheel(t, okMeta+"not a header\n") }, RuleMetadataFile, "line 5"},
		{"metadata NUL", whl, func() []byte { return okWheel(t, meta("Author: a\x00b")) }, RuleMetadataFile, "NUL"},
		{"metadata too large", whl, func() []byte { return okWheel(t, okMeta+"\n"+strings.Repeat("x", DefaultMaxMetadataSize)) }, RuleMetadataFile, "larger than"},
		{"metadata version", whl, func() []byte { return okWheel(t, metadataText("2.0", "demo-py", "0.1.0")) }, RuleMetadataVersion, `"2.0" is not accepted`},
		{"no metadata version", whl, func() []byte { return okWheel(t, metadataText("", "demo-py", "0.1.0")) }, RuleMetadataVersion, "no Metadata-Version"},
		{"no name", whl, func() []byte { return okWheel(t, metadataText("2.1", "", "0.1.0")) }, RuleName, "no Name"},
		{"bad name", "demo_py_-0.1.0-py3-none-any.whl", func() []byte {
			return okWheel(t, metadataText("2.1", "demo_py_", "0.1.0"), func(s *wheelSpec) { s.name = "demo_py_" })
		}, RuleName, "is invalid"},
		{"no version", whl, func() []byte { return okWheel(t, metadataText("2.1", "demo-py", "")) }, RuleVersion, "no Version"},
		{"local version", "demo_py-0.1.0+abc-py3-none-any.whl", func() []byte {
			return okWheel(t, metadataText("2.1", "demo-py", "0.1.0+abc"), func(s *wheelSpec) { s.version = "0.1.0+abc" })
		}, RuleLocalVersion, "local version"},
		{"duplicate field", whl, func() []byte { return okWheel(t, meta("Summary: a", "Summary: b")) }, RuleDuplicateField, "Summary appears 2 times"},
		{"field too new", whl, func() []byte { return okWheel(t, meta("Dynamic: Summary")) }, RuleFieldVersion, "Dynamic was introduced in metadata version 2.2"},
		{"folded summary", whl, func() []byte { return okWheel(t, meta("Summary: a\n b")) }, RuleSummary, "single line"},
		{"long summary", whl, func() []byte { return okWheel(t, meta("Summary: "+strings.Repeat("é", 513))) }, RuleSummary, "513 characters"},
		{"home page", whl, func() []byte { return okWheel(t, meta("Home-page: example.org")) }, RuleURL, "Home-page"},
		{"project url", whl, func() []byte { return okWheel(t, meta("Project-URL: Docs, ftp://x")) }, RuleProjectURL, "ftp://x"},
		{"project url label", whl, func() []byte { return okWheel(t, meta("Project-URL: "+strings.Repeat("L", 33)+", https://x")) }, RuleProjectURL, "32"},
		{"project url twice", whl, func() []byte { return okWheel(t, meta("Project-URL: A, https://x", "Project-URL: A, https://y")) }, RuleProjectURL, "twice"},
		{"email", whl, func() []byte { return okWheel(t, meta("Author-email: jane@localhost")) }, RuleEmail, "jane@localhost"},
		{"private classifier", whl, func() []byte { return okWheel(t, meta("Classifier: Private :: Do Not Upload")) }, RuleClassifier, "always refuses"},
		{"deprecated classifier", whl, func() []byte { return okWheel(t, meta("Classifier: Natural Language :: Ukranian")) }, RuleClassifier, "Natural Language :: Ukrainian"},
		{"requires-dist", whl, func() []byte { return okWheel(t, meta("Requires-Dist: foo >= 1.0.*")) }, RuleRequiresDist, "foo >= 1.0.*"},
		{"direct reference", whl, func() []byte { return okWheel(t, meta("Requires-Dist: foo @ https://x/foo.whl")) }, RuleDirectReference, "direct reference"},
		{"requires-python", whl, func() []byte { return okWheel(t, meta("Requires-Python: 3.8")) }, RuleRequiresPython, "operator"},
		{"provides-extra", whl, func() []byte { return okWheel(t, meta("Provides-Extra: bad extra")) }, RuleProvidesExtra, "bad extra"},
		{"dynamic name", whl, func() []byte { return okWheel(t, metadataText("2.2", "demo-py", "0.1.0", "Dynamic: Name")) }, RuleDynamic, "not allowed"},
		{"dynamic unknown", whl, func() []byte { return okWheel(t, metadataText("2.2", "demo-py", "0.1.0", "Dynamic: Colour")) }, RuleDynamic, "not a core metadata field"},
		{"content type", whl, func() []byte { return okWheel(t, meta("Description-Content-Type: text/html")) }, RuleContentType, "text/html"},
		{"license expression", whl, func() []byte { return okWheel(t, meta24("License-Expression: MIT OR")) }, RuleLicenseExpression, "MIT OR"},
		{"license conflict", whl, func() []byte { return okWheel(t, meta24("License-Expression: MIT", "License: MIT")) }, RuleLicenseConflict, "License-Expression"},
		{"license file path", whl, func() []byte { return okWheel(t, meta24("License-File: ../LICENSE")) }, RuleLicenseFile, "parent directory"},
		{"license file missing", whl, func() []byte { return okWheel(t, meta24("License-File: LICENSE")) }, RuleLicenseFile, "demo_py-0.1.0.dist-info/licenses/LICENSE"},
		// sdists
		{"sdist not gzip", "demo_py-0.1.0.tar.gz", func() []byte { return []byte("plain") }, RuleArchive, "gzip"},
		{"sdist truncated", "demo_py-0.1.0.tar.gz", func() []byte {
			b := buildTarGz(t, sdistEntries("demo_py-0.1.0", okMeta))
			return b[:len(b)/2]
		}, RuleArchive, "EOF"},
		{"sdist name", "demo-py-0.1.0.tar.gz", func() []byte { return buildTarGz(t, sdistEntries("demo-py-0.1.0", okMeta)) }, RuleSdistFilename, "should be demo_py-0.1.0.tar.gz"},
		{"sdist version form", "demo_py-0.01.0.tar.gz", func() []byte {
			return buildTarGz(t, sdistEntries("demo_py-0.01.0", metadataText("2.1", "demo-py", "0.01.0")))
		}, RuleSdistFilename, "should be demo_py-0.1.0.tar.gz"},
		{"sdist other project", "other-0.1.0.tar.gz", func() []byte { return buildTarGz(t, sdistEntries("other-0.1.0", okMeta)) }, RuleFilenameName, "PKG-INFO Name"},
		{"sdist version", "demo_py-0.2.0.tar.gz", func() []byte { return buildTarGz(t, sdistEntries("demo_py-0.2.0", okMeta)) }, RuleFilenameVersion, "(0.2.0) does not match PKG-INFO Version (0.1.0)"},
		{"sdist bad filename", "demo_py.tar.gz", func() []byte { return buildTarGz(t, sdistEntries("demo_py", okMeta)) }, RuleFilename, "invalid sdist filename"},
		{"sdist two tops", "demo_py-0.1.0.tar.gz", func() []byte {
			return buildTarGz(t, sdistEntries("demo_py-0.1.0", okMeta, tarEntry{name: "other/x", data: "x"}))
		}, RuleSdistLayout, "top-level directories"},
		{"sdist no PKG-INFO", "demo_py-0.1.0.tar.gz", func() []byte {
			return buildTarGz(t, []tarEntry{{name: "demo_py-0.1.0/setup.py", data: "x"}})
		}, RuleSdistLayout, "PKG-INFO not found at demo_py-0.1.0/PKG-INFO"},
		{"sdist empty", "demo_py-0.1.0.tar.gz", func() []byte { return buildTarGz(t, nil) }, RuleSdistLayout, "empty"},
		{"sdist traversal", "demo_py-0.1.0.tar.gz", func() []byte {
			return buildTarGz(t, sdistEntries("demo_py-0.1.0", okMeta, tarEntry{name: "demo_py-0.1.0/../../x", data: "x"}))
		}, RuleArchivePath, ".."},
		{"sdist symlink", "demo_py-0.1.0.tar.gz", func() []byte {
			return buildTarGz(t, sdistEntries("demo_py-0.1.0", okMeta, tarEntry{name: "demo_py-0.1.0/l", typeflag: tar.TypeSymlink, linkname: "/etc/passwd"}))
		}, RuleArchivePath, "symlink"},
		{"sdist hard link", "demo_py-0.1.0.tar.gz", func() []byte {
			return buildTarGz(t, sdistEntries("demo_py-0.1.0", okMeta, tarEntry{name: "demo_py-0.1.0/h", typeflag: tar.TypeLink, linkname: "etc/passwd"}))
		}, RuleArchivePath, "hard link"},
		{"sdist device", "demo_py-0.1.0.tar.gz", func() []byte {
			return buildTarGz(t, sdistEntries("demo_py-0.1.0", okMeta, tarEntry{name: "demo_py-0.1.0/dev", typeflag: tar.TypeChar}))
		}, RuleArchivePath, "device"},
		{"sdist license file", "demo_py-0.1.0.tar.gz", func() []byte {
			return buildTarGz(t, sdistEntries("demo_py-0.1.0", meta24("License-File: COPYING")))
		}, RuleLicenseFile, "demo_py-0.1.0/COPYING"},
		{"sdist PKG-INFO syntax", "demo_py-0.1.0.tar.gz", func() []byte {
			return buildTarGz(t, sdistEntries("demo_py-0.1.0", "Metadata-Version 2.1\n"))
		}, RuleMetadataFile, "PKG-INFO: line 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, problems := inspectBytes(t, c.filename, c.data())
			for _, p := range problems {
				if p.Rule == c.rule && strings.Contains(p.Message, c.contains) {
					return
				}
			}
			t.Errorf("want a %s problem mentioning %q, got:\n%v", c.rule, c.contains, problems)
		})
	}
}

// A renamed wheel has one cause: it gets one problem, not one per missing
// .dist-info file.
func TestRenamedWheelOneProblem(t *testing.T) {
	_, problems := inspectBytes(t, "demo_py-0.1.0-py3-none-any.whl", okWheel(t, okMeta, func(s *wheelSpec) { s.distInfo = "demo_py-0.0.9.dist-info" }))
	if len(problems) != 1 {
		t.Fatalf("want one problem, got %d:\n%v", len(problems), problems)
	}
	for _, want := range []string{"WHEEL not found at demo_py-0.1.0.dist-info/WHEEL", "demo_py-0.0.9.dist-info/ instead", "renamed"} {
		if !strings.Contains(problems[0].Message, want) {
			t.Errorf("message %q does not say %q", problems[0].Message, want)
		}
	}
}

func TestWarnings(t *testing.T) {
	cases := []struct {
		name, filename string
		data           func() []byte
		rule           string
	}{
		{"version not normalized", "demo_py-0.01.0-py3-none-any.whl", func() []byte {
			return okWheel(t, metadataText("2.1", "demo-py", "0.1.0"), func(s *wheelSpec) { s.version = "0.01.0" })
		}, RuleFilenameNotNormal},
		{"WHEEL tags", "demo_py-0.1.0-py3-none-any.whl", func() []byte {
			return okWheel(t, okMeta, func(s *wheelSpec) { s.wheelFile = "Wheel-Version: 1.0\nTag: cp312-cp312-win_amd64\n" })
		}, RuleWheelTags},
		{"description twice", "demo_py-0.1.0-py3-none-any.whl", func() []byte {
			return okWheel(t, okMeta+"Description: header\n\nbody\n")
		}, RuleDescriptionSource},
		{"unknown classifier", "demo_py-0.1.0-py3-none-any.whl", func() []byte {
			return okWheel(t, okMeta+"Classifier: Framework :: Nope\n")
		}, RuleClassifier},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, problems := inspectBytes(t, c.filename, c.data())
			if len(problems) != 0 {
				t.Errorf("warnings must not block: %v", problems)
			}
			if !hasRule(d.Warnings, c.rule) {
				t.Errorf("want warning %s, got %v", c.rule, d.Warnings)
			}
		})
	}
}

// lowerRatioFloor makes the 64 MiB floor of the ratio rule 1 MiB for a test.
func lowerRatioFloor(t *testing.T) {
	old := compressionRatioMinSize
	compressionRatioMinSize = 1 << 20
	t.Cleanup(func() { compressionRatioMinSize = old })
}

func TestCompressionRatio(t *testing.T) {
	lowerRatioFloor(t)
	zeros := strings.Repeat("\x00", 2<<20)
	data := okWheel(t, okMeta, func(s *wheelSpec) { s.extra = append(s.extra, member{name: "demo_py/zeros.bin", data: zeros}) })
	_, problems := inspectBytes(t, "demo_py-0.1.0-py3-none-any.whl", data)
	if !hasRule(problems, RuleCompressionRatio) {
		t.Errorf("65 MiB of zeros in %d bytes: %v", len(data), problems)
	}
	// A highly compressed member under the floor is fine.
	data = okWheel(t, okMeta, func(s *wheelSpec) { s.extra = append(s.extra, member{name: "demo_py/zeros.bin", data: zeros[:1<<19]}) })
	if _, problems := inspectBytes(t, "demo_py-0.1.0-py3-none-any.whl", data); len(problems) != 0 {
		t.Errorf("512 KiB of zeros: %v", problems)
	}
}

func TestSdistCompressionBomb(t *testing.T) {
	lowerRatioFloor(t)
	zeros := strings.Repeat("\x00", 2<<20)
	data := buildTarGz(t, sdistEntries("demo_py-0.1.0", okMeta, tarEntry{name: "demo_py-0.1.0/zeros", data: zeros}))
	_, problems := inspectBytes(t, "demo_py-0.1.0.tar.gz", data)
	if !hasRule(problems, RuleCompressionRatio) {
		t.Errorf("bomb sdist: %v", problems)
	}
}

func TestFileSize(t *testing.T) {
	p := writeFile(t, t.TempDir(), "demo_py-0.1.0-py3-none-any.whl", okWheel(t, okMeta))
	_, problems, err := Inspect(p, Options{MaxFileSize: 100})
	if err != nil || !hasRule(problems, RuleFileSize) {
		t.Fatalf("%v %v", problems, err)
	}
	if !strings.Contains(problems[0].Message, "100 B") {
		t.Errorf("message: %s", problems[0].Message)
	}
	if _, problems, _ := Inspect(p, Options{}); len(problems) != 0 {
		t.Errorf("no limit set: %v", problems)
	}
}

func TestCheckSetRules(t *testing.T) {
	dir := t.TempDir()
	a := writeFile(t, dir, "demo_py-0.1.0-py3-none-any.whl", okWheel(t, okMeta))
	os.MkdirAll(filepath.Join(dir, "other"), 0o755)
	b := writeFile(t, filepath.Join(dir, "other"), "demo_py-0.1.0-py3-none-any.whl", okWheel(t, okMeta+"Author: someone else\n"))
	c := writeFile(t, filepath.Join(dir, "other"), "demo_py-0.1.0.tar.gz", buildTarGz(t, sdistEntries("demo_py-0.1.0", okMeta)))
	os.MkdirAll(filepath.Join(dir, "third"), 0o755)
	e := writeFile(t, filepath.Join(dir, "third"), "demo_py-0.1.0.tar.gz", buildTarGz(t, sdistEntries("demo_py-0.1.0", okMeta+"Author: x\n")))

	// The same file twice: a warning, uploaded once.
	dists, problems := Check([]string{a, a, c}, Options{})
	if len(problems) != 0 || !hasRule(dists[1].Warnings, RuleDuplicateFile) {
		t.Errorf("same file twice: %v %v", problems, dists[1].Warnings)
	}
	// Two different files under one name.
	_, problems = Check([]string{a, b}, Options{})
	if len(problems) != 1 || problems[0].Rule != RuleDuplicateFilename || problems[0].File != b || !strings.Contains(problems[0].Message, a) {
		t.Errorf("two files, one name: %v", problems)
	}
	// Two sdists of one release (different names, same project and version).
	f := writeFile(t, filepath.Join(dir, "third"), "demo_py-0.1.0.post0.tar.gz", buildTarGz(t, sdistEntries("demo_py-0.1.0.post0", metadataText("2.1", "demo-py", "0.1.0.post0"))))
	_, problems = Check([]string{c, f}, Options{})
	if len(problems) != 0 {
		t.Errorf("different versions are different releases: %v", problems)
	}
	_, problems = Check([]string{c, e}, Options{})
	if !hasRule(problems, RuleDuplicateFilename) {
		t.Errorf("same sdist name, different content: %v", problems)
	}
	g := writeFile(t, filepath.Join(dir, "third"), "demo_py-0.1.tar.gz", buildTarGz(t, sdistEntries("demo_py-0.1", metadataText("2.1", "demo-py", "0.1.0"))))
	_, problems = Check([]string{c, g}, Options{})
	if !hasRule(problems, RuleDuplicateSdist) {
		t.Errorf("two sdists of demo-py 0.1.0: %v", problems)
	}
	// Missing and unreadable files, in order, never a nil Distribution.
	dists, problems = Check([]string{filepath.Join(dir, "nope.whl"), filepath.Join(dir, "missing", "x.whl"), dir}, Options{})
	if len(dists) != 3 || dists[0] == nil || dists[0].Filename != "nope.whl" || len(problems) != 3 {
		t.Fatalf("%v %v", dists, problems)
	}
	if problems[0].Rule != RuleFileMissing || problems[0].Message != "does not exist" || problems[0].Error() != filepath.Join(dir, "nope.whl")+": does not exist" {
		t.Errorf("missing file: %+v", problems[0])
	}
	if !strings.Contains(problems[1].Message, "nor does its directory") || problems[2].Rule != RuleFileUnreadable {
		t.Errorf("%v", problems[1:])
	}
	if len(dists[0].FormFields()) == 0 {
		t.Error("placeholder distribution has no form fields")
	}
}

func TestMissingWheelWithSibling(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "Demo_Py-0.1.0-py3-none-any.whl", okWheel(t, okMeta))
	_, problems := Check([]string{filepath.Join(dir, "demo_py-0.1.0-py3-none-any.whl")}, Options{})
	if len(problems) != 1 || problems[0].Rule != RuleFileMissing || !strings.Contains(problems[0].Message, "Demo_Py-0.1.0-py3-none-any.whl") {
		t.Errorf("%v", problems)
	}
	writeFile(t, dir, "demo-py-0.2.0.zip", []byte("x"))
	_, problems = Check([]string{filepath.Join(dir, "demo_py-0.2.0.tar.gz")}, Options{})
	if len(problems) != 1 || problems[0].Rule != RuleSdistPrePEP625 || !strings.Contains(problems[0].Message, ".zip sdist") {
		t.Errorf("%v", problems)
	}
}
