package index_test

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/index"
)

const (
	tinyWheel  = "tinyutil-0.1.0-py3-none-any.whl"
	tinySdist  = "tinyutil-0.1.0.tar.gz"
	tinyRecord = "tinyutil-0.1.0.dist-info/RECORD"
)

func compareWith(t *testing.T, local *dist.Distribution, remote index.RemoteFile) index.Verdict {
	t.Helper()
	v, err := index.Compare(context.Background(), nil, local, remote, index.Options{})
	if err != nil {
		t.Fatalf("Compare: %v", err)
	}
	return v
}

// reencodedWheel is tinyutil's wheel written again with everything an
// installer ignores changed: entry order reversed, stored instead of
// deflated (or another level), other timestamps and extra fields, MS-DOS as
// the creator for members without an execute bit, RECORD's rows reversed
// with CRLF line endings.
func reencodedWheel(t *testing.T, edit func([]zipEntry) []zipEntry) []byte {
	es := zipEntries(t, filepath.Join(goodDir, tinyWheel))
	var out []zipEntry
	for i := len(es) - 1; i >= 0; i-- {
		e := es[i]
		e.Modified = time.Date(2031, 7, 1, 12, 0, 0, 0, time.UTC)
		e.Extra = []byte{0x55, 0x54, 5, 0, 1, 0, 0, 0, 0} // extended timestamp
		if i%2 == 0 {
			e.Stored = true
		} else {
			e.Level = 1
		}
		if e.Mode&0o111 == 0 {
			e.DOS, e.Mode = true, 0
		}
		if e.Name == tinyRecord {
			lines := strings.Split(strings.TrimSuffix(string(e.Data), "\n"), "\n")
			for a, b := 0, len(lines)-1; a < b; a, b = a+1, b-1 {
				lines[a], lines[b] = lines[b], lines[a]
			}
			e.Data = []byte(strings.Join(lines, "\r\n") + "\r\n")
		}
		out = append(out, e)
	}
	if edit != nil {
		out = edit(out)
	}
	return writeZip(t, out)
}

func TestWheelEncodingIsIgnored(t *testing.T) {
	local := goodFile(t, tinyWheel)
	srv := newFileServer(t)
	v := compareWith(t, local, srv.put("/w/"+tinyWheel, reencodedWheel(t, nil)))
	if !v.Same || v.Identical {
		t.Fatalf("re-encoded wheel: want Same, got %s", v)
	}
}

func TestWheelDifferences(t *testing.T) {
	local := goodFile(t, tinyWheel)
	srv := newFileServer(t)
	edit := func(name string, f func(*zipEntry)) func([]zipEntry) []zipEntry {
		return func(es []zipEntry) []zipEntry {
			for i := range es {
				if es[i].Name == name {
					f(&es[i])
				}
			}
			return es
		}
	}
	cases := []struct {
		name   string
		edit   func([]zipEntry) []zipEntry
		member string
		kind   index.DifferenceKind
		text   string
	}{
		{
			name:   "executable",
			edit:   edit("tinyutil/__init__.py", func(e *zipEntry) { e.DOS, e.Mode = false, 0o100755 }),
			member: "tinyutil/__init__.py", kind: index.ModeDiffers,
			text: "tinyutil/__init__.py: mode differs (not executable in the local file, executable on the index)",
		},
		{
			name:   "symlink instead of a file",
			edit:   edit("tinyutil/__init__.py", func(e *zipEntry) { e.DOS, e.Mode, e.Data = false, 0o120777, []byte("other.py") }),
			member: "tinyutil/__init__.py", kind: index.ModeDiffers,
			text: "tinyutil/__init__.py: mode differs (a regular file in the local file, a symlink on the index)",
		},
		{
			name: "executable member only on the index",
			edit: func(es []zipEntry) []zipEntry {
				return append(es, zipEntry{Name: "tinyutil/run", Data: []byte("#!/bin/sh\n"), Mode: 0o100755})
			},
			member: "tinyutil/run", kind: index.OnlyOnIndex,
			text: "tinyutil/run: only on the index (the index's file has an executable regular file, 10 bytes, sha256 ",
		},
		{
			name: "directory entry",
			edit: func(es []zipEntry) []zipEntry {
				return append(es, zipEntry{Name: "tinyutil/", Mode: 0o40755})
			},
			member: "tinyutil", kind: index.OnlyOnIndex,
			text: "tinyutil: only on the index (the index's file has a directory; the local file has no such member)",
		},
		{
			name: "member missing",
			edit: func(es []zipEntry) []zipEntry {
				var out []zipEntry
				for _, e := range es {
					if e.Name != "tinyutil-0.1.0.dist-info/top_level.txt" {
						out = append(out, e)
					}
				}
				return out
			},
			member: "tinyutil-0.1.0.dist-info/top_level.txt", kind: index.MissingOnIndex,
			text: "tinyutil-0.1.0.dist-info/top_level.txt: missing on the index (the local file has a regular file, 9 bytes, sha256 ",
		},
		{
			// RECORD is derived: with the same members it can only differ
			// by rows that list nothing, and it is named only then.
			name: "RECORD row added",
			edit: edit(tinyRecord, func(e *zipEntry) {
				e.Data = append(e.Data, []byte("tinyutil/ghost.py,sha256=AAAA,1\r\n")...)
			}),
			member: tinyRecord, kind: index.ContentDiffers,
			text: `RECORD row "tinyutil/ghost.py,sha256=AAAA,1" is only on the index`,
		},
		{
			// A member and RECORD both differ: the member is named.
			name: "content and RECORD",
			edit: func(es []zipEntry) []zipEntry {
				es = edit("tinyutil/__init__.py", func(e *zipEntry) { e.Data = append(e.Data, '\n') })(es)
				return edit(tinyRecord, func(e *zipEntry) { e.Data = []byte(strings.Replace(string(e.Data), ",156", ",157", 1)) })(es)
			},
			member: "tinyutil/__init__.py", kind: index.ContentDiffers,
			text: "tinyutil/__init__.py: content differs (local 156 bytes, sha256 ",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := compareWith(t, local, srv.put("/w/"+strings.ReplaceAll(c.name, " ", "-")+"/"+tinyWheel, reencodedWheel(t, c.edit)))
			d := v.Difference
			if v.Same || d == nil || d.Member != c.member || d.Kind != c.kind {
				t.Fatalf("want %s in %s, got %s", c.kind, c.member, v)
			}
			if !strings.Contains(d.String(), c.text) {
				t.Errorf("got %q, want it to contain %q", d.String(), c.text)
			}
		})
	}
}

// reencodedSdist is tinyutil's sdist written again with other mtimes,
// ownership, tar format, gzip level and header, and entry order.
func reencodedSdist(t *testing.T, format tar.Format, edit func([]tarEntry) []tarEntry) []byte {
	es := tarEntries(t, filepath.Join(goodDir, tinySdist))
	var out []tarEntry
	for i := len(es) - 1; i >= 0; i-- {
		e := es[i]
		e.Header.ModTime = time.Date(2031, 7, 1, 12, 0, 0, 0, time.UTC)
		e.Header.Uid, e.Header.Gid, e.Header.Uname, e.Header.Gname = 1001, 1001, "builder", "builders"
		e.Header.PAXRecords = nil
		e.Header.Mode |= 0o020 // group write: not an execute bit
		out = append(out, e)
	}
	if edit != nil {
		out = edit(out)
	}
	return writeTarGz(t, out, gzip.BestSpeed, format)
}

// Options.MaxMembers bounds what is listed, on either side.
func TestMaxMembers(t *testing.T) {
	srv := newFileServer(t)
	for _, name := range []string{tinyWheel, tinySdist} {
		local := goodFile(t, name)
		data := reencodedWheel(t, nil)
		if name == tinySdist {
			data = reencodedSdist(t, tar.FormatPAX, nil)
		}
		_, err := index.Compare(context.Background(), nil, local, srv.put("/m/"+name, data), index.Options{MaxMembers: 3})
		t.Log(err)
		var ae *dist.ArchiveError
		if !errors.As(err, &ae) || !strings.Contains(err.Error(), "more than 3 members") || !strings.Contains(err.Error(), local.Path+" cannot be compared") {
			t.Errorf("%s: got %v", name, err)
		}
	}
}

func TestSdistEncodingIsIgnored(t *testing.T) {
	local := goodFile(t, tinySdist)
	srv := newFileServer(t)
	for _, format := range []tar.Format{tar.FormatUSTAR, tar.FormatPAX, tar.FormatGNU} {
		v := compareWith(t, local, srv.put("/s/"+format.String()+"/"+tinySdist, reencodedSdist(t, format, nil)))
		if !v.Same || v.Identical {
			t.Errorf("re-encoded sdist (%s): want Same, got %s", format, v)
		}
	}
}

func TestSdistDifferences(t *testing.T) {
	srv := newFileServer(t)
	link := func(target string) func([]tarEntry) []tarEntry {
		return func(es []tarEntry) []tarEntry {
			return append(es, tarEntry{Header: tar.Header{Name: "tinyutil-0.1.0/src/alias.py", Typeflag: tar.TypeSymlink, Linkname: target, Mode: 0o777}})
		}
	}
	// The local sdist has a symlink too, so it is written like the remote ones.
	localPath := filepath.Join(t.TempDir(), tinySdist)
	if err := os.WriteFile(localPath, reencodedSdist(t, tar.FormatPAX, link("tinyutil/__init__.py")), 0o644); err != nil {
		t.Fatal(err)
	}
	local, problems, err := dist.Inspect(localPath, dist.Options{})
	if err != nil || len(problems) > 0 {
		t.Fatal(err, problems)
	}
	pkgInfo := func(es []tarEntry) []tarEntry {
		for i := range es {
			if es[i].Header.Name == "tinyutil-0.1.0/PKG-INFO" {
				es[i].Data = append(es[i].Data, ' ')
			}
		}
		return link("tinyutil/__init__.py")(es)
	}
	v := compareWith(t, local, srv.put("/s/same/"+tinySdist, reencodedSdist(t, tar.FormatGNU, link("tinyutil/__init__.py"))))
	if !v.Same {
		t.Fatalf("want Same, got %s", v)
	}
	v = compareWith(t, local, srv.put("/s/link/"+tinySdist, reencodedSdist(t, tar.FormatGNU, link("tinyutil/other.py"))))
	if d := v.Difference; d == nil || d.Kind != index.LinkTargetDiffers ||
		d.String() != `tinyutil-0.1.0/src/alias.py: link target differs ("tinyutil/__init__.py" in the local file, "tinyutil/other.py" on the index)` {
		t.Errorf("want the link target difference, got %s", v)
	}
	v = compareWith(t, local, srv.put("/s/pkginfo/"+tinySdist, reencodedSdist(t, tar.FormatGNU, pkgInfo)))
	if d := v.Difference; d == nil || d.Kind != index.ContentDiffers || d.Member != "tinyutil-0.1.0/PKG-INFO" {
		t.Errorf("PKG-INFO is data: want its content difference, got %s", v)
	}
}
