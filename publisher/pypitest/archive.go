package pypitest

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"
)

// Archive checks on a received file, in Warehouse's order and words:
// _is_valid_dist_file (warehouse/forklift/legacy.py), the ZIP record-framing
// check (warehouse/utils/zipfiles.py) and the wheel RECORD check
// (warehouse/utils/wheel.py).

const (
	compressionRatioMinSize   = 64 << 20
	compressionRatioThreshold = 50
)

// invalidDistFile returns the reason a file is not a valid distribution
// (Warehouse's "Invalid distribution file. {reason}"), or ok. A reason of
// "None" is what Warehouse prints when the archive library itself gave up.
func invalidDistFile(path, filename string) (reason string, ok bool) {
	switch {
	case strings.HasSuffix(filename, ".zip") || strings.HasSuffix(filename, ".whl"):
		return invalidZipDist(path, filename)
	case strings.HasSuffix(filename, ".tar.gz"):
		return invalidTarDist(path)
	}
	return "", true
}

func invalidZipDist(path, filename string) (string, bool) {
	if !isZipfile(path) {
		return "File is not a zipfile", false
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		return "None", false
	}
	defer zr.Close()
	st, err := os.Stat(path)
	if err != nil {
		return "None", false
	}
	var decompressed uint64
	for _, f := range zr.File {
		decompressed += f.UncompressedSize64
	}
	compressed := uint64(st.Size())
	if decompressed > compressionRatioMinSize && compressed > 0 && float64(decompressed)/float64(compressed) > compressionRatioThreshold {
		return fmt.Sprintf("File exceeds compression ratio of %d", compressionRatioThreshold), false
	}
	for _, f := range zr.File {
		if f.Method != zip.Store && f.Method != zip.Deflate {
			return "File does not use a supported compression type", false
		}
	}
	names := zipNames(&zr.Reader)
	if strings.HasSuffix(filename, ".zip") {
		top := commonPrefix(names)
		if top == "." || top == "/" || top == "" {
			return "Incorrect number of top-level directories in sdist", false
		}
		target := pyJoin(top, "PKG-INFO")
		if !names[target] {
			return "PKG-INFO not found at " + target, false
		}
	}
	if strings.HasSuffix(filename, ".whl") {
		parts := strings.SplitN(filename, "-", 3)
		if len(parts) < 3 {
			return "Unable to parse name and version from wheel filename", false
		}
		target := parts[0] + "-" + parts[1] + ".dist-info/WHEEL"
		if !names[target] {
			return "WHEEL not found at " + target, false
		}
	}
	if reason, ok := validateZipFraming(path, &zr.Reader); !ok {
		return fmt.Sprintf("ZIP archive not accepted: %s. See https://docs.pypi.org/archives for more information", reason), false
	}
	return "", true
}

// zipNames is ZipFile.namelist() as a set.
func zipNames(zr *zip.Reader) map[string]bool {
	names := make(map[string]bool, len(zr.File))
	for _, f := range zr.File {
		names[f.Name] = true
	}
	return names
}

// isZipfile is zipfile.is_zipfile: an end of central directory record
// near the end of the file.
func isZipfile(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.Size() < 22 {
		return false
	}
	tail := int64(22 + 65535)
	if tail > st.Size() {
		tail = st.Size()
	}
	buf := make([]byte, tail)
	if _, err := f.ReadAt(buf, st.Size()-tail); err != nil {
		return false
	}
	return bytes.LastIndex(buf, []byte("PK\x05\x06")) >= 0
}

// commonPrefix is os.path.commonprefix: character-wise, not per component.
func commonPrefix(names map[string]bool) string {
	first := true
	prefix := ""
	for n := range names {
		if first {
			prefix, first = n, false
			continue
		}
		i := 0
		for i < len(prefix) && i < len(n) && prefix[i] == n[i] {
			i++
		}
		prefix = prefix[:i]
	}
	return prefix
}

// pyJoin is os.path.join for two relative POSIX parts.
func pyJoin(a, b string) string {
	if a == "" || strings.HasSuffix(a, "/") {
		return a + b
	}
	return a + "/" + b
}

func invalidTarDist(path string) (string, bool) {
	if !isTarfile(path) {
		return "File is not a tarfile", false
	}
	names, err := tarGzNames(path)
	if err != nil {
		return "None", false
	}
	top := commonPrefix(names)
	if top == "." || top == "/" || top == "" {
		return "Incorrect number of top-level directories in sdist", false
	}
	if target := pyJoin(top, "PKG-INFO"); !names[target] {
		return "PKG-INFO not found at " + target, false
	}
	return "", true
}

// isTarfile is tarfile.is_tarfile: the file opens as a (possibly gzip
// compressed) tar archive with a first member.
func isTarfile(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	br := bufio.NewReader(f)
	var r io.Reader = br
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return false
		}
		r = gz
	}
	_, err = tar.NewReader(r).Next()
	return err == nil
}

// tarGzNames is tarfile.open(mode="r:gz").getnames(), reading the whole
// archive (a truncated or corrupt one fails, as Python's does).
func tarGzNames(path string) (map[string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(gz)
	names := map[string]bool{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		name := h.Name
		if h.Typeflag == tar.TypeDir {
			name = strings.TrimRight(name, "/")
		}
		names[name] = true
	}
	if _, err := io.Copy(io.Discard, gz); err != nil {
		return nil, err
	}
	return names, nil
}

// errZipFraming carries the reason validateZipFraming rejects an archive.
type errZipFraming string

func (e errZipFraming) Error() string { return string(e) }

// validateZipFraming is warehouse.utils.zipfiles.validate_zipfile: walk
// the local file headers and the central directory record by record and
// refuse anything two ZIP readers could disagree on.
func validateZipFraming(path string, zr *zip.Reader) (string, bool) {
	sizes := make(map[string][2]uint64, len(zr.File))
	for _, f := range zr.File {
		sizes[f.Name] = [2]uint64{f.CompressedSize64, f.UncompressedSize64}
	}
	f, err := os.Open(path)
	if err != nil {
		return "Malformed zip file", false
	}
	defer f.Close()
	w := &zipWalker{r: bufio.NewReader(f), sizes: sizes}
	if err := w.walk(); err != nil {
		var e errZipFraming
		if errors.As(err, &e) {
			return string(e), false
		}
		return "Malformed zip file", false
	}
	st, err := f.Stat()
	if err != nil {
		return "Malformed zip file", false
	}
	if w.pos != st.Size() {
		return "Trailing data", false
	}
	return "", true
}

// zipWalker reads a ZIP archive front to back, tracking the offset.
type zipWalker struct {
	r     *bufio.Reader
	pos   int64
	sizes map[string][2]uint64
}

func (w *zipWalker) read(n int) ([]byte, error) {
	buf := make([]byte, n)
	if _, err := io.ReadFull(w.r, buf); err != nil {
		return nil, errZipFraming("Malformed zip file")
	}
	w.pos += int64(n)
	return buf, nil
}

func (w *zipWalker) skip(n uint64) error {
	// Python seeks, which may go past the end; the trailing-data and
	// signature checks then catch it. Discard as far as the file goes.
	got, _ := io.CopyN(io.Discard, w.r, int64(n))
	w.pos += got
	if uint64(got) < n {
		w.pos += int64(n) - got
	}
	return nil
}

func unprintable(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c == 0x7f {
			return true
		}
	}
	return false
}

var le = binary.LittleEndian

func (w *zipWalker) walk() error {
	local := map[string]bool{}
	central := map[string]bool{}
	var expectedEOCD64, actualEOCD64 bool
	var cdRecords, cdSize uint64
	cdOffset := int64(-1)
	var eocdRecords, eocdSize, eocdOffset uint64
	haveEOCDValues := false
	for {
		sig, err := w.read(4)
		if err != nil {
			return err
		}
		start := w.pos - 4
		switch string(sig) {
		case "PK\x05\x06": // end of central directory
			if expectedEOCD64 && !actualEOCD64 {
				return errZipFraming("Malformed zip file")
			}
			if cdOffset < 0 {
				cdOffset = start
			}
			d, err := w.read(18)
			if err != nil {
				return err
			}
			onDisk, records := le.Uint16(d[4:]), le.Uint16(d[6:])
			if onDisk != records {
				return errZipFraming("Malformed zip file")
			}
			if !(actualEOCD64 && haveEOCDValues) {
				eocdRecords, eocdSize, eocdOffset = uint64(records), uint64(le.Uint32(d[8:])), uint64(le.Uint32(d[12:]))
			}
			if err := w.skip(uint64(le.Uint16(d[16:]))); err != nil {
				return err
			}
			if eocdRecords != cdRecords {
				return errZipFraming("Mismatched central directory records")
			}
			if eocdOffset != uint64(cdOffset) {
				return errZipFraming("Mismatched central directory offset")
			}
			if eocdSize != cdSize {
				return errZipFraming("Mismatched central directory size")
			}
			if len(local) != len(central) {
				return errZipFraming("Mis-matched local headers and central directory")
			}
			return nil
		case "PK\x01\x02": // central directory file header
			if cdOffset < 0 {
				cdOffset = start
			}
			cdRecords++
			d, err := w.read(42)
			if err != nil {
				return err
			}
			nameLen, extraLen, commentLen := le.Uint16(d[24:]), le.Uint16(d[26:]), le.Uint16(d[28:])
			if commentLen != 0 {
				return errZipFraming("Comment in central directory")
			}
			name, err := w.read(int(nameLen))
			if err != nil {
				return err
			}
			extra, err := w.read(int(extraLen))
			if err != nil {
				return err
			}
			if unprintable(name) {
				return errZipFraming("Invalid character in filename")
			}
			cdSize += 46 + uint64(len(name)) + uint64(len(extra))
			if central[string(name)] {
				return errZipFraming("Duplicate filename in central directory")
			}
			if !local[string(name)] {
				return errZipFraming("Missing filename in local headers")
			}
			central[string(name)] = true
		case "PK\x03\x04": // local file header
			name, err := w.localFile()
			if err != nil {
				return err
			}
			if local[name] {
				return errZipFraming("Duplicate filename in local headers")
			}
			local[name] = true
		case "PK\x06\x06": // ZIP64 end of central directory
			expectedEOCD64 = true
			d, err := w.read(52)
			if err != nil {
				return err
			}
			size, onDisk, records := le.Uint64(d[0:]), le.Uint64(d[20:]), le.Uint64(d[28:])
			if onDisk != records {
				return errZipFraming("Malformed zip file")
			}
			if size != 44 {
				return errZipFraming("ZIP64 extensible data not allowed")
			}
			eocdRecords, eocdSize, eocdOffset = records, le.Uint64(d[36:]), le.Uint64(d[44:])
			haveEOCDValues = true
		case "PK\x06\x07": // ZIP64 end of central directory locator
			if _, err := w.read(16); err != nil {
				return err
			}
			actualEOCD64 = true
		default:
			return errZipFraming("Unknown record signature")
		}
	}
}

// localFile checks one local file header (after its signature) against the
// central directory and skips its data.
func (w *zipWalker) localFile() (string, error) {
	d, err := w.read(26)
	if err != nil {
		return "", err
	}
	flags, method := le.Uint16(d[2:]), le.Uint16(d[4:])
	compressed, size := uint64(le.Uint32(d[14:])), uint64(le.Uint32(d[18:]))
	nameLen, extraLen := le.Uint16(d[22:]), le.Uint16(d[24:])
	name, err := w.read(int(nameLen))
	if err != nil {
		return "", err
	}
	extra, err := w.read(int(extraLen))
	if err != nil {
		return "", err
	}
	if unprintable(name) {
		return "", errZipFraming("Invalid character in filename")
	}
	seen := map[uint16]bool{}
	for len(extra) > 0 {
		if len(extra) < 4 {
			return "", errZipFraming("Malformed zip file")
		}
		id, n := le.Uint16(extra), int(le.Uint16(extra[2:]))
		if n+4 > len(extra) {
			return "", errZipFraming("Malformed zip file")
		}
		if seen[id] && (id == 0x0001 || id == 0x7075) {
			return "", errZipFraming("Invalid duplicate extra in local file")
		}
		seen[id] = true
		switch id {
		case 0x0001: // ZIP64 extended information
			switch n {
			case 0:
				if compressed == 0xFFFFFFFF || size == 0xFFFFFFFF {
					return "", errZipFraming("Malformed zip file")
				}
			case 8:
				if method != 0 {
					return "", errZipFraming("Malformed zip file")
				}
				compressed = le.Uint64(extra[4:])
				if size == 0xFFFFFFFF {
					size = compressed
				}
			case 16, 24, 28:
				if size == 0xFFFFFFFF {
					size = le.Uint64(extra[4:])
				}
				compressed = le.Uint64(extra[12:])
			default:
				return "", errZipFraming("Malformed zip file")
			}
		case 0x7075: // Info-ZIP Unicode Path
			if n >= 5 {
				unicodeName := extra[9 : 4+n]
				if unprintable(unicodeName) {
					return "", errZipFraming("Invalid character in filename")
				}
				if !isUTF8(unicodeName) {
					return "", errZipFraming("Filename not valid UTF-8")
				}
			}
		}
		extra = extra[n+4:]
	}
	if flags&0x08 != 0 {
		return "", errZipFraming("ZIP contains a data descriptor")
	}
	if !isUTF8(name) {
		return "", errZipFraming("Filename not unicode")
	}
	want, ok := w.sizes[string(name)]
	if !ok {
		return "", errZipFraming("Filename not in central directory")
	}
	if want[0] != compressed {
		return "", errZipFraming("Mis-matched data size")
	}
	if want[1] != size {
		return "", errZipFraming("Mis-matched file size")
	}
	return string(name), w.skip(compressed)
}

func isUTF8(b []byte) bool { return strings.ToValidUTF8(string(b), "\uFFFD") == string(b) }

// readZipMember returns a member's content, or ok=false when the archive
// has no such member (Python's KeyError).
func readZipMember(zr *zip.Reader, name string, limit int64) ([]byte, bool, error) {
	for _, f := range zr.File {
		if f.Name != name {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, true, err
		}
		defer rc.Close()
		data, err := io.ReadAll(io.LimitReader(rc, limit))
		return data, true, err
	}
	return nil, false, nil
}

// recordMatches is warehouse.utils.wheel.validate_record's comparison: the
// RECORD lists exactly the archive's file names (directories and RECORD
// signatures aside; hashes are not compared). ok is false where Warehouse
// treats the RECORD as missing (not UTF-8 or not CSV).
func recordMatches(zr *zip.Reader, record []byte, distInfo string) (matches, ok bool) {
	if !utf8.Valid(record) {
		return false, false
	}
	rows, err := csv.NewReader(bytes.NewReader(record)).ReadAll()
	if err != nil {
		return false, false
	}
	exempt := map[string]bool{distInfo + "/RECORD.jws": true, distInfo + "/RECORD.p7s": true}
	listed := map[string]bool{}
	for _, row := range rows {
		if len(row) > 0 {
			listed[strings.ReplaceAll(row[0], `\`, "/")] = true
		}
	}
	files := map[string]bool{}
	for _, f := range zr.File {
		if !strings.HasSuffix(f.Name, "/") && !strings.HasSuffix(f.Name, `\`) && !exempt[f.Name] {
			files[f.Name] = true
		}
	}
	if len(files) != len(listed) {
		return false, true
	}
	for name := range files {
		if !listed[name] {
			return false, true
		}
	}
	return true, true
}

// tarTopLevel returns the sdist's names and its top-level prefix
// (commonprefix of the names), for the License-File check.
func tarTopLevel(path string) (map[string]bool, string, error) {
	names, err := tarGzNames(path)
	if err != nil {
		return nil, "", err
	}
	return names, commonPrefix(names), nil
}
