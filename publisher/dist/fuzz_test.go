package dist

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Fuzz targets: the metadata parser, the two archive readers and the wheel
// filename grammar must never panic, hang or read without bound, whatever
// the input. Seeds: cases written here and the files of testdata/.

func seedFiles(f *testing.F, suffix string) {
	for _, dir := range []string{"good", "bad"} {
		entries, _ := os.ReadDir(filepath.Join(testdataDir, dir))
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), suffix) {
				if b, err := os.ReadFile(filepath.Join(testdataDir, dir, e.Name())); err == nil && len(b) < 1<<20 {
					f.Add(b)
				}
			}
		}
	}
}

func FuzzParseMetadata(f *testing.F) {
	f.Add([]byte(okMeta))
	f.Add([]byte("Metadata-Version: 2.1\r\nName: x\r\nDescription: a\r\n        b\r\n\r\nbody"))
	f.Add([]byte(" continuation\n"))
	f.Add([]byte("\xef\xbb\xbfName: x\n"))
	f.Add([]byte("Name: x\rVersion: 1\r\rbody"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMetadata(bytes.NewReader(data))
		if err != nil {
			return
		}
		// Whatever parsed must validate and render without panicking.
		d := &Distribution{Type: Wheel, PyVersion: "py3", Metadata: m}
		validateMetadata(d, nil)
		d.FormFields()
		m.Keywords()
		m.ProjectURLs()
	})
}

func fuzzInspect(t *testing.T, name string, data []byte) {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	d, problems, err := Inspect(p, Options{MaxMetadataSize: 64 << 10})
	if err != nil {
		t.Fatalf("Inspect returned an error for a readable file: %v", err)
	}
	if d.Size != int64(len(data)) || len(d.Digests.SHA256) != 64 {
		t.Fatalf("bad distribution: %+v", d)
	}
	for _, p := range problems {
		if p.Rule == "" || p.Message == "" {
			t.Fatalf("empty problem: %+v", p)
		}
	}
	d.FormFields()
}

func FuzzInspectWheel(f *testing.F) {
	f.Add(okWheel(f, okMeta))
	f.Add(okWheel(f, okMeta, func(s *wheelSpec) {
		s.extra = append(s.extra, member{name: "demo_py-0.1.0.dist-info/entry_points.txt", data: "[console_scripts]\nx = y:z\n"},
			member{name: "demo_py/s", data: "t", mode: os.ModeSymlink | 0o777}, member{name: "demo_py/stored", data: "abc", method: 99})
	}))
	f.Add(writeZip(f, []member{{name: "a", data: "1"}}, "comment"))
	f.Add([]byte("PK\x05\x06" + strings.Repeat("\x00", 18)))
	seedFiles(f, ".whl")
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzInspect(t, "demo_py-0.1.0-py3-none-any.whl", data)
	})
}

func FuzzInspectSdist(f *testing.F) {
	f.Add(buildTarGz(f, sdistEntries("demo_py-0.1.0", okMeta)))
	f.Add(buildTarGz(f, sdistEntries("demo_py-0.1.0", metadataText("2.4", "demo-py", "0.1.0", "License-File: L"), tarEntry{name: "demo_py-0.1.0/L", data: "x"})))
	f.Add([]byte("\x1f\x8b\x08\x00\x00\x00\x00\x00"))
	seedFiles(f, ".tar.gz")
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzInspect(t, "demo_py-0.1.0.tar.gz", data)
	})
}

func FuzzParseWheelFilename(f *testing.F) {
	for _, s := range []string{"demo_py-0.1.0-py3-none-any.whl", "a-1-2b-cp312-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "x-1.0-py2.py3-none-macosx_11_0_arm64.whl", "-.whl", "a--b-c-d.whl"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		w, err := ParseWheelFilename(name)
		if err != nil {
			return
		}
		// A parsed name rebuilds to itself, and its parts are sound.
		if w.String() != name {
			t.Fatalf("%q rebuilt as %q", name, w.String())
		}
		if _, err := ParseVersion(w.Version); err != nil {
			t.Fatalf("accepted version %q does not parse", w.Version)
		}
		for _, pl := range strings.Split(w.Platform, ".") {
			ValidPlatformTag(pl)
		}
		if len(w.Tags()) == 0 {
			t.Fatal("no tags")
		}
	})
}
