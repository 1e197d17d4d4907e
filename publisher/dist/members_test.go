package dist

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"errors"
	"os"
	"strings"
	"testing"
)

func TestReadWheelMembers(t *testing.T) {
	data := writeZip(t, []member{
		{name: "pkg/", mode: os.ModeDir | 0o755},
		{name: "pkg/run.sh", data: "#!/bin/sh\n", mode: 0o755},
		{name: "pkg/mod.py", data: "x = 1\n", method: 99},
		{name: "pkg/link", data: "mod.py", mode: os.ModeSymlink | 0o777},
		{name: "pkg-1.0.dist-info/RECORD", data: "pkg/mod.py,,\n"},
	}, "")
	ms, err := ReadWheelMembers(bytes.NewReader(data), int64(len(data)), MemberOptions{Capture: func(n string) bool { return strings.HasSuffix(n, "/RECORD") }})
	if err != nil {
		t.Fatal(err)
	}
	want := []Member{
		{Name: "pkg", Kind: DirMember, SHA256: sha256.Sum256(nil)},
		{Name: "pkg/run.sh", Kind: RegularMember, Size: 10, SHA256: sha256.Sum256([]byte("#!/bin/sh\n")), Executable: true},
		{Name: "pkg/mod.py", Kind: RegularMember, Size: 6, SHA256: sha256.Sum256([]byte("x = 1\n"))},
		{Name: "pkg/link", Kind: SymlinkMember, Size: 6, SHA256: sha256.Sum256([]byte("mod.py")), Linkname: "mod.py"},
		{Name: "pkg-1.0.dist-info/RECORD", Kind: RegularMember, Size: 13, SHA256: sha256.Sum256([]byte("pkg/mod.py,,\n")), Data: []byte("pkg/mod.py,,\n")},
	}
	if len(ms) != len(want) {
		t.Fatalf("got %d members, want %d: %+v", len(ms), len(want), ms)
	}
	for i := range want {
		g, w := ms[i], want[i]
		if g.Name != w.Name || g.Kind != w.Kind || g.Size != w.Size || g.SHA256 != w.SHA256 || g.Executable != w.Executable || g.Linkname != w.Linkname || !bytes.Equal(g.Data, w.Data) {
			t.Errorf("member %d:\n got %+v\nwant %+v", i, g, w)
		}
	}

	// A captured member past the limit is refused, not truncated.
	_, err = ReadWheelMembers(bytes.NewReader(data), int64(len(data)), MemberOptions{CaptureLimit: 4, Capture: func(n string) bool { return strings.HasSuffix(n, "/RECORD") }})
	var ae *ArchiveError
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), "is larger than 4 B") {
		t.Errorf("capture limit: %v", err)
	}
}

func TestReadSdistMembers(t *testing.T) {
	data := buildTarGz(t, []tarEntry{
		{name: "./pkg-1.0/"},
		{name: "./pkg-1.0/PKG-INFO", data: "Metadata-Version: 2.1\n"},
		{name: "pkg-1.0/alias", typeflag: tar.TypeSymlink, linkname: "PKG-INFO"},
		{name: "pkg-1.0/hard", typeflag: tar.TypeLink, linkname: "./pkg-1.0/PKG-INFO"},
	})
	ms, err := ReadSdistMembers(bytes.NewReader(data), int64(len(data)), MemberOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := make([]string, 0, len(ms))
	for _, m := range ms {
		got = append(got, m.Kind.String()+" "+m.Name+" "+m.Linkname)
	}
	want := []string{"directory pkg-1.0 ", "regular file pkg-1.0/PKG-INFO ", "symlink pkg-1.0/alias PKG-INFO", "hard link pkg-1.0/hard pkg-1.0/PKG-INFO"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if ms[1].SHA256 != sha256.Sum256([]byte("Metadata-Version: 2.1\n")) || ms[1].Size != 22 {
		t.Errorf("PKG-INFO: %+v", ms[1])
	}

	dup := buildTarGz(t, []tarEntry{{name: "pkg-1.0/a", data: "1"}, {name: "./pkg-1.0/a", data: "2"}})
	_, err = ReadSdistMembers(bytes.NewReader(dup), int64(len(dup)), MemberOptions{})
	var ae *ArchiveError
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), "lists this path twice") {
		t.Errorf("duplicate path: %v", err)
	}
	dev := buildTarGz(t, []tarEntry{{name: "pkg-1.0/tty", typeflag: tar.TypeChar}})
	if _, err = ReadSdistMembers(bytes.NewReader(dev), int64(len(dev)), MemberOptions{}); !errors.As(err, &ae) || ae.Problems[0].Rule != RuleArchivePath {
		t.Errorf("device: %v", err)
	}
}
