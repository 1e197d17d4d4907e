package index

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/caarlos0/log"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/endpoint"
)

// ReasonRebuilt is how a skipped rebuild is reported, in every output.
const ReasonRebuilt = "already published (rebuilt, same contents)"

// Options bound what Compare may cost. The zero value is PyPI's limits.
type Options struct {
	// MaxFileSize is the largest index file downloaded; 0 means
	// dist.DefaultMaxFileSize (PyPI's 100 MiB). Pass the run's
	// --max-file-size, the limit the local file was verified against.
	MaxFileSize int64
	// MaxCompressionRatio is the decompression-bomb ceiling (dist's rule);
	// 0 means PyPI's 50. Pass the run's setting.
	MaxCompressionRatio float64
	// MaxMembers bounds the members listed per file; 0 means
	// dist.DefaultMaxMembers.
	MaxMembers int
	// Timeout bounds the download; 0 means DefaultTimeout.
	Timeout time.Duration
	// TempDir holds the downloaded copy while it is compared; "" means
	// the system's temporary directory.
	TempDir string
	// UserAgent is sent with the download; "" means "goreleaser-pypi".
	UserAgent string
	// Log receives the comparison's progress (log.Log when nil).
	Log log.Interface
}

func (o Options) memberOptions() dist.MemberOptions {
	return dist.MemberOptions{MaxCompressionRatio: o.MaxCompressionRatio, MaxMembers: o.MaxMembers}
}

// DifferenceKind is how a member differs.
type DifferenceKind int

// The ways two files can differ, member by member.
const (
	// MissingOnIndex: the local file has the member, the index's does not.
	MissingOnIndex DifferenceKind = iota + 1
	// OnlyOnIndex: the index's file has the member, the local one does not.
	OnlyOnIndex
	// ContentDiffers: the member's data differs (size or sha256).
	ContentDiffers
	// ModeDiffers: the execute bit differs, or the member's kind (a
	// regular file on one side, a symlink on the other).
	ModeDiffers
	// LinkTargetDiffers: a symlink or hard link points elsewhere.
	LinkTargetDiffers
)

func (k DifferenceKind) String() string {
	switch k {
	case MissingOnIndex:
		return "missing on the index"
	case OnlyOnIndex:
		return "only on the index"
	case ContentDiffers:
		return "content differs"
	case ModeDiffers:
		return "mode differs"
	case LinkTargetDiffers:
		return "link target differs"
	}
	return fmt.Sprintf("difference %d", int(k))
}

// MemberState is a member as one side has it.
type MemberState struct {
	Kind       dist.MemberKind
	Size       int64
	SHA256     string // hex, of the decompressed data
	Executable bool
	Linkname   string
}

func memberState(m dist.Member) *MemberState {
	return &MemberState{Kind: m.Kind, Size: m.Size, SHA256: hex.EncodeToString(m.SHA256[:]), Executable: m.Executable, Linkname: m.Linkname}
}

func (s *MemberState) String() string {
	switch s.Kind {
	case dist.RegularMember:
		x := ""
		if s.Executable {
			x = "executable "
		}
		return fmt.Sprintf("%sregular file, %d bytes, sha256 %s", x, s.Size, s.SHA256)
	case dist.SymlinkMember, dist.HardlinkMember:
		return fmt.Sprintf("%s to %q", s.Kind, s.Linkname)
	}
	return s.Kind.String()
}

// Difference is the first member, in byte order of paths, that differs.
type Difference struct {
	Member string // its path in the archive
	Kind   DifferenceKind
	// Local and Index are the member on each side; nil on the side that
	// lacks it.
	Local, Index *MemberState
	// Detail adds what the states do not show (for RECORD, the first row
	// that differs).
	Detail string
}

func (d Difference) String() string {
	var s string
	switch d.Kind {
	case MissingOnIndex:
		s = fmt.Sprintf("%s: missing on the index (the local file has %s)", d.Member, withArticle(d.Local.String()))
	case OnlyOnIndex:
		s = fmt.Sprintf("%s: only on the index (the index's file has %s; the local file has no such member)", d.Member, withArticle(d.Index.String()))
	case ContentDiffers:
		s = fmt.Sprintf("%s: content differs (local %d bytes, sha256 %s; index %d bytes, sha256 %s)", d.Member, d.Local.Size, d.Local.SHA256, d.Index.Size, d.Index.SHA256)
	case ModeDiffers:
		if d.Local.Kind != d.Index.Kind {
			s = fmt.Sprintf("%s: mode differs (%s in the local file, %s on the index)", d.Member, withArticle(d.Local.Kind.String()), withArticle(d.Index.Kind.String()))
		} else {
			s = fmt.Sprintf("%s: mode differs (%s in the local file, %s on the index)", d.Member, executable(d.Local.Executable), executable(d.Index.Executable))
		}
	case LinkTargetDiffers:
		s = fmt.Sprintf("%s: link target differs (%q in the local file, %q on the index)", d.Member, d.Local.Linkname, d.Index.Linkname)
	default:
		s = fmt.Sprintf("%s: %s", d.Member, d.Kind)
	}
	if d.Detail != "" {
		s += "; " + d.Detail
	}
	return s
}

func withArticle(s string) string {
	if strings.IndexByte("aeiou", s[0]) >= 0 {
		return "an " + s
	}
	return "a " + s
}

func executable(x bool) string {
	if x {
		return "executable"
	}
	return "not executable"
}

// Verdict is what Compare concluded.
type Verdict struct {
	// Same: the index holds this file, byte for byte (Identical) or
	// rebuilt with the same contents.
	Same bool
	// Identical: the index lists the local file's sha256; nothing was
	// downloaded.
	Identical bool
	// Difference is the first member that differs (nil when Same).
	Difference *Difference

	Path        string // the local file, as given
	Filename    string
	URL         string // where the index's copy was downloaded from (no query); "" when Identical
	LocalSHA256 string
	IndexSHA256 string
}

// String is the reason to report: ReasonRebuilt, "identical file already
// on the index", or the difference.
func (v Verdict) String() string {
	switch {
	case v.Identical:
		return "identical file already on the index"
	case v.Same:
		return ReasonRebuilt
	case v.Difference != nil:
		return "contents differ: " + v.Difference.String()
	}
	return "not compared"
}

// Err is nil when the index holds the same file, and a *ConflictError
// otherwise.
func (v Verdict) Err() error {
	if v.Same {
		return nil
	}
	return &ConflictError{Verdict: v}
}

// ConflictError is a file of the same name with other contents on the
// index: the release cannot be completed under this version.
type ConflictError struct {
	Verdict Verdict
}

func (e *ConflictError) Error() string {
	v := e.Verdict
	diff := "contents differ"
	if v.Difference != nil {
		diff = "first difference: " + v.Difference.String()
	}
	return fmt.Sprintf("%s: a different file named %s is already on the index (local sha256 %s, index sha256 %s, downloaded from %s); "+
		"it is not a rebuild of the same contents (%s). PyPI never allows re-using a file name, even after a deletion: bump the version and build again",
		v.Path, v.Filename, v.LocalSHA256, v.IndexSHA256, v.URL, diff)
}

// Compare decides whether remote, a file the index lists under local's
// name, is local or a rebuild of it with the same contents (see the
// package documentation for what that means).
//
// When the index lists local's sha256 the verdict is Identical and nothing
// is downloaded. Otherwise the index's copy is downloaded with client
// (without credentials; nil means a default client) and compared. The
// error is for comparisons that could not be made: a download that failed
// or is not what the index lists (*IntegrityError), a copy that is not a
// readable, safe archive (wrapping *dist.ArchiveError), a limit exceeded.
// A real difference is not an error: it is the Verdict's Difference (and
// Verdict.Err a *ConflictError).
func Compare(ctx context.Context, client *http.Client, local *dist.Distribution, remote RemoteFile, opts Options) (Verdict, error) {
	if local == nil {
		return Verdict{}, errors.New("no local file to compare")
	}
	v := Verdict{Path: local.Path, Filename: local.Filename, LocalSHA256: local.Digests.SHA256, IndexSHA256: strings.ToLower(remote.SHA256)}
	if len(v.IndexSHA256) != 64 || !isHex(v.IndexSHA256) {
		return v, fmt.Errorf("%s: the index lists %s without a valid sha256 (%q), so its copy cannot be checked", local.Path, local.Filename, remote.SHA256)
	}
	if strings.EqualFold(v.IndexSHA256, v.LocalSHA256) {
		v.Same, v.Identical = true, true
		return v, nil
	}
	read, err := memberReader(local)
	if err != nil {
		return v, err
	}
	u, err := remote.fileURL()
	if err != nil {
		return v, fmt.Errorf("%s: %w", local.Path, err)
	}
	v.URL = endpoint.Redacted(u)
	logger := opts.Log
	if logger == nil {
		logger = log.Log
	}
	logger.WithField("file", local.Filename).WithField("url", v.URL).Debug("a different file has this name on the index; comparing contents")

	mopts := opts.memberOptions()
	if local.Type == dist.Wheel {
		record, err := recordPath(local)
		if err != nil {
			return v, err
		}
		mopts.Capture = func(name string) bool { return name == record }
	}
	localMembers, err := readLocal(local, read, mopts)
	if err != nil {
		return v, err
	}
	f, err := download(ctx, client, u, remote, opts)
	if err != nil {
		return v, fmt.Errorf("%s: comparing with the index's %s: %w", local.Path, local.Filename, err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return v, err
	}
	indexMembers, err := read(f, fi.Size(), mopts)
	if err != nil {
		return v, fmt.Errorf("%s: the index's copy of %s (%s) cannot be compared: %w; "+
			"the index holds a file under this name all the same, and PyPI never allows re-using a file name: bump the version and build again",
			local.Path, local.Filename, v.URL, err)
	}
	v.Difference = firstDifference(localMembers, indexMembers, mopts.Capture)
	v.Same = v.Difference == nil
	logger.WithField("file", local.Filename).WithField("verdict", v.String()).Debug("compared with the index's copy")
	return v, nil
}

type readMembers func(io.ReaderAt, int64, dist.MemberOptions) ([]dist.Member, error)

func memberReader(local *dist.Distribution) (readMembers, error) {
	switch {
	case local.Type == dist.Wheel:
		return dist.ReadWheelMembers, nil
	case local.Type == dist.Sdist && strings.HasSuffix(local.Filename, ".tar.gz"):
		return dist.ReadSdistMembers, nil
	}
	return nil, fmt.Errorf("%s: only wheels and .tar.gz sdists can be compared with the index's copy", local.Path)
}

// recordPath is the wheel's {name}-{version}.dist-info/RECORD.
func recordPath(local *dist.Distribution) (string, error) {
	wn := local.Wheel
	if wn == nil {
		parsed, err := dist.ParseWheelFilename(local.Filename)
		if err != nil {
			return "", fmt.Errorf("%s: %w", local.Path, err)
		}
		wn = &parsed
	}
	return wn.DistInfo() + "/RECORD", nil
}

func readLocal(local *dist.Distribution, read readMembers, opts dist.MemberOptions) ([]dist.Member, error) {
	f, err := os.Open(local.Path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if local.Size > 0 && fi.Size() != local.Size {
		return nil, fmt.Errorf("%s changed since it was verified (%d bytes, then %d): build it again and re-run", local.Path, fi.Size(), local.Size)
	}
	ms, err := read(f, fi.Size(), opts)
	if err != nil {
		return nil, fmt.Errorf("%s cannot be compared with the index's copy: %w", local.Path, err)
	}
	return ms, nil
}

// firstDifference merges the two member lists in byte order of paths and
// returns the first difference. Members derived from the others (a
// wheel's RECORD, chosen by derived) are compared last, as sets of rows.
func firstDifference(local, index []dist.Member, derived func(string) bool) *Difference {
	sortMembers(local)
	sortMembers(index)
	var late []*Difference
	i, j := 0, 0
	for i < len(local) || j < len(index) {
		var d *Difference
		switch {
		case j == len(index) || (i < len(local) && local[i].Name < index[j].Name):
			d = &Difference{Member: local[i].Name, Kind: MissingOnIndex, Local: memberState(local[i])}
			i++
		case i == len(local) || index[j].Name < local[i].Name:
			d = &Difference{Member: index[j].Name, Kind: OnlyOnIndex, Index: memberState(index[j])}
			j++
		default:
			l, x := local[i], index[j]
			i++
			j++
			if derived != nil && derived(l.Name) && l.Kind == dist.RegularMember && x.Kind == dist.RegularMember {
				if d := compareRecord(l, x); d != nil {
					late = append(late, d)
				}
				continue
			}
			d = compareMember(l, x)
		}
		if d != nil {
			return d
		}
	}
	if len(late) > 0 {
		return late[0]
	}
	return nil
}

func sortMembers(ms []dist.Member) {
	sort.Slice(ms, func(a, b int) bool { return ms[a].Name < ms[b].Name })
}

func compareMember(l, x dist.Member) *Difference {
	d := &Difference{Member: l.Name, Local: memberState(l), Index: memberState(x)}
	switch {
	case l.Kind != x.Kind:
		d.Kind = ModeDiffers
	case l.Kind == dist.RegularMember && (l.Size != x.Size || l.SHA256 != x.SHA256):
		d.Kind = ContentDiffers
	case l.Executable != x.Executable:
		d.Kind = ModeDiffers
	case (l.Kind == dist.SymlinkMember || l.Kind == dist.HardlinkMember) && l.Linkname != x.Linkname:
		d.Kind = LinkTargetDiffers
	default:
		return nil
	}
	return d
}

// compareRecord compares two wheels' RECORDs as sets of rows. The same
// bytes are the same RECORD; otherwise each is read as CSV and its rows
// (path, hash, size) compared in sorted order.
func compareRecord(l, x dist.Member) *Difference {
	if l.SHA256 == x.SHA256 && l.Size == x.Size {
		return nil
	}
	d := &Difference{Member: l.Name, Kind: ContentDiffers, Local: memberState(l), Index: memberState(x)}
	lrows, lerr := recordRows(l.Data)
	xrows, xerr := recordRows(x.Data)
	switch {
	case lerr != nil:
		d.Detail = fmt.Sprintf("the local RECORD cannot be read as CSV (%v)", lerr)
		return d
	case xerr != nil:
		d.Detail = fmt.Sprintf("the index's RECORD cannot be read as CSV (%v)", xerr)
		return d
	}
	for k := 0; k < len(lrows) || k < len(xrows); k++ {
		switch {
		case k == len(xrows):
			d.Detail = fmt.Sprintf("RECORD row %q is missing on the index", lrows[k])
		case k == len(lrows):
			d.Detail = fmt.Sprintf("RECORD row %q is only on the index", xrows[k])
		case lrows[k] != xrows[k]:
			d.Detail = fmt.Sprintf("RECORD rows differ: %q in the local file, %q on the index", lrows[k], xrows[k])
		default:
			continue
		}
		return d
	}
	return nil // the same rows, in another order or another CSV spelling
}

// recordRows are RECORD's rows, each as "path,hash,size" (missing fields
// empty, fields beyond the third kept), sorted; blank lines are not rows.
func recordRows(data []byte) ([]string, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	var rows []string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		for len(rec) < 3 {
			rec = append(rec, "")
		}
		var b strings.Builder
		w := csv.NewWriter(&b)
		_ = w.Write(rec) // into a strings.Builder: cannot fail
		w.Flush()
		rows = append(rows, strings.TrimSuffix(b.String(), "\n"))
	}
	sort.Strings(rows)
	return rows, nil
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}
