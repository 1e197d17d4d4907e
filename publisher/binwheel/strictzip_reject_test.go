package binwheel

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// rewrite copies a wheel member by member through archive/zip, letting edit
// change each header (and, with raw == false, the data through
// CreateHeader, the way that sets the data-descriptor flag).
type rewriteOpts struct {
	edit      func(fh *zip.FileHeader)
	data      func(name string, data []byte) []byte // recompress (CreateHeader)
	order     func(files []*zip.File)
	comment   string
	trailing  []byte
	duplicate string
	store     bool // stored (method 0), written raw: no data descriptor
}

func rewrite(t *testing.T, src string, o rewriteOpts) string {
	t.Helper()
	r, err := zip.OpenReader(src)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	files := slices.Clone(r.File)
	if o.order != nil {
		o.order(files)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	copyOne := func(f *zip.File) {
		fh := f.FileHeader
		if o.edit != nil {
			o.edit(&fh)
		}
		if o.store {
			rc, _ := f.Open()
			data, _ := io.ReadAll(rc)
			rc.Close()
			fh.Method, fh.CompressedSize64 = zip.Store, uint64(len(data))
			w, err := zw.CreateRaw(&fh)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(data)
			return
		}
		if o.data != nil {
			rc, _ := f.Open()
			data, _ := io.ReadAll(rc)
			rc.Close()
			w, err := zw.CreateHeader(&fh)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(o.data(f.Name, data))
			return
		}
		rc, err := f.OpenRaw()
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.CreateRaw(&fh)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(w, rc)
	}
	for _, f := range files {
		copyOne(f)
		if f.Name == o.duplicate {
			copyOne(f)
		}
	}
	if o.comment != "" {
		zw.SetComment(o.comment)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), filepath.Base(src))
	os.WriteFile(out, append(buf.Bytes(), o.trailing...), 0o644)
	return out
}

// The strict reader is what proves the zip rules: it must accept the
// writer's wheel copied verbatim and refuse each violation.
func TestStrictReaderRejects(t *testing.T) {
	bin := goBuild(t, helloMain, "linux", "amd64")
	spec := testSpec()
	spec.PythonModule = "hello_tool"
	good, err := Build(ctx(), spec, Binary{Path: bin}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := readStrict(rewrite(t, good, rewriteOpts{}), fixedDate, fixedTime); err != nil {
		t.Fatalf("a verbatim copy is refused: %v", err)
	}
	isScript := func(n string) bool { return strings.Contains(n, ".data/scripts/") }
	for _, tc := range []struct {
		name string
		o    rewriteOpts
		want string
	}{
		{"data descriptor (CreateHeader)", rewriteOpts{data: func(_ string, d []byte) []byte { return d }}, "data descriptor"},
		{"archive comment", rewriteOpts{comment: "hi"}, "archive comment"},
		{"trailing bytes", rewriteOpts{trailing: []byte("junk")}, "bytes after the end record"},
		{"duplicate member", rewriteOpts{duplicate: "hello_tool/__init__.py"}, "duplicate name"},
		{"stored, not deflated", rewriteOpts{store: true}, "method 0, want deflate"},
		{"unsorted", rewriteOpts{order: func(fs []*zip.File) { fs[0], fs[1] = fs[1], fs[0] }}, "not sorted"},
		{"dist-info not last", rewriteOpts{order: func(fs []*zip.File) {
			i := slices.IndexFunc(fs, func(f *zip.File) bool { return strings.HasSuffix(f.Name, "/METADATA") })
			f := fs[i]
			copy(fs[1:i+1], fs[:i])
			fs[0] = f
		}}, "comes after .dist-info"},
		{"RECORD not last", rewriteOpts{order: func(fs []*zip.File) { fs[len(fs)-1], fs[len(fs)-2] = fs[len(fs)-2], fs[len(fs)-1] }}, "not the .dist-info/RECORD"},
		{"script not executable", rewriteOpts{edit: func(fh *zip.FileHeader) {
			if isScript(fh.Name) {
				fh.ExternalAttrs = 0o100644 << 16
			}
		}}, "mode 100644, want 100755"},
		{"MS-DOS creator", rewriteOpts{edit: func(fh *zip.FileHeader) { fh.CreatorVersion = 20 }}, "made by"},
		//lint:ignore SA1019 the DOS date field is what the writer sets and the reader checks
		{"another timestamp", rewriteOpts{edit: func(fh *zip.FileHeader) { fh.ModifiedDate++ }}, "timestamp"},
	} {
		bad := rewrite(t, good, tc.o)
		_, err := readStrict(bad, fixedDate, fixedTime)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.want)
		}
	}

	// RECORD checks proper, on a well-framed archive: edit the parsed
	// wheel.
	w, err := readStrict(good, fixedDate, fixedTime)
	if err != nil {
		t.Fatal(err)
	}
	meta := w.byName["hello_tool-1.2.3rc1.dist-info/METADATA"]
	meta.data = append(meta.data, 'x')
	if err := checkOrderAndRecord(w); err == nil || !strings.Contains(err.Error(), "RECORD gives hello_tool-1.2.3rc1.dist-info/METADATA") {
		t.Errorf("changed METADATA: %v", err)
	}
	meta.data = meta.data[:len(meta.data)-1]
	w.members = slices.DeleteFunc(w.members, func(m strictMember) bool { return m.name == "hello_tool/__main__.py" })
	clear(w.byName)
	for i := range w.members {
		w.byName[w.members[i].name] = &w.members[i]
	}
	if err := checkOrderAndRecord(w); err == nil || !strings.Contains(err.Error(), "which the wheel lacks") {
		t.Errorf("missing member: %v", err)
	}
}
