package dist

import (
	"bufio"
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"unicode/utf8"

	"github.com/goreleaser-pypi/goreleaser-pypi/internal/bytesize"
)

// A streaming ZIP reader for wheels. It reads the archive once, front to
// back, the way Warehouse's zip "lockdown" (warehouse/utils/zipfiles.py)
// walks it, so that one pass over the file computes the digests, checks the
// record framing (local headers, central directory, end records, nothing
// after them), verifies every member's CRC-32 and size, and captures the few
// members we read (METADATA, WHEEL, RECORD, entry_points.txt).
//
// Walking the local headers, not just the central directory as archive/zip
// does, is the point: a ZIP whose local headers and central directory
// disagree parses differently in different tools, and PyPI refuses it.

const (
	sigLocal     = 0x04034b50
	sigCentral   = 0x02014b50
	sigEOCD      = 0x06054b50
	sigEOCD64    = 0x06064b50
	sigEOCD64Loc = 0x07064b50

	flagEncrypted      = 0x1
	flagDataDescriptor = 0x8
	flagUTF8           = 0x800

	zip64Sentinel = 0xFFFFFFFF
)

// Warehouse's decompression-bomb rule: refuse an archive that decompresses to
// more than 50 times its size once the total passes 64 MiB.
const DefaultMaxCompressionRatio = 50

// compressionRatioMinSize is where the ratio ceiling starts to apply (a
// variable only so tests need not decompress 64 MiB).
var compressionRatioMinSize uint64 = 64 << 20

type zipMember struct {
	Name         string
	Flags        uint16
	Method       uint16
	CompSize     uint64
	Size         uint64
	CRC          uint32
	HeaderOffset int64
	DataOffset   int64

	// From the central directory.
	InCD      bool
	CDMethod  uint16
	CreatorOS byte
	ExtAttrs  uint32

	Data         []byte // captured content, when asked for
	DataTooLarge bool
	// SHA256 of the content, when it was verified (for RECORD's hashes).
	SHA256   [sha256.Size]byte
	Verified bool
}

func (m *zipMember) isDir() bool {
	return len(m.Name) > 0 && (m.Name[len(m.Name)-1] == '/' || m.Name[len(m.Name)-1] == '\\')
}

// isSymlink: Unix creator and S_IFLNK in the high 16 bits of the attributes.
func (m *zipMember) isSymlink() bool {
	return m.CreatorOS == 3 && (m.ExtAttrs>>16)&0o170000 == 0o120000
}

type finding struct {
	rule string
	msg  string
}

type zipWalk struct {
	fileSize     int64
	maxRatio     float64
	capture      func(name string) bool
	captureLimit int64

	members  []*zipMember
	byName   map[string]*zipMember
	cdSeen   map[string]bool
	records  int
	comment  int
	trailing int64
	findings []finding
	// structureOK is false once the framing was found invalid; later
	// findings would only be noise.
	structureOK bool
	declared    uint64 // sum of local headers' uncompressed sizes

	unsupported   []string // members with a compression method PyPI refuses
	unsupportedAt int      // their finding

	maxMembers int // 0: no limit (ReadWheelMembers sets one)
}

func newZipWalk(fileSize int64, maxRatio float64, captureLimit int64, capture func(string) bool) *zipWalk {
	if maxRatio <= 0 {
		maxRatio = DefaultMaxCompressionRatio
	}
	return &zipWalk{
		fileSize: fileSize, maxRatio: maxRatio, capture: capture, captureLimit: captureLimit,
		byName: map[string]*zipMember{}, cdSeen: map[string]bool{}, structureOK: true,
	}
}

// errZipFraming carries a framing error in Warehouse's words.
type errZipFraming struct{ msg string }

func (e *errZipFraming) Error() string { return e.msg }

func framing(format string, args ...any) error {
	return &errZipFraming{msg: fmt.Sprintf(format, args...)}
}

// offsetReader counts what it has read.
type offsetReader struct {
	r   *bufio.Reader
	off int64
}

func (o *offsetReader) Read(p []byte) (int, error) {
	n, err := o.r.Read(p)
	o.off += int64(n)
	return n, err
}

func (o *offsetReader) full(n int) ([]byte, error) {
	buf := make([]byte, n)
	if _, err := io.ReadFull(o, buf); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, framing("Malformed zip file (truncated at offset %d)", o.off)
		}
		return nil, err
	}
	return buf, nil
}

func (o *offsetReader) skip(n uint64) error {
	got, err := io.CopyN(io.Discard, o, int64(n))
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if uint64(got) != n {
		return framing("Malformed zip file (truncated at offset %d)", o.off)
	}
	return nil
}

// run walks the archive. It returns an error only for I/O failures; every
// problem with the archive is recorded in w.findings.
func (w *zipWalk) run(r *offsetReader) error {
	err := w.walk(r)
	var fe *errZipFraming
	if errors.As(err, &fe) {
		w.structureOK = false
		w.findings = append(w.findings, finding{"zip-structure", fe.msg})
		return nil
	}
	return err
}

func (w *zipWalk) walk(r *offsetReader) error {
	var (
		eocd64Expected, eocd64Actual int64 = -1, -1
		cdOffset                     int64 = -1
		cdSize                       uint64
		eocdRecords, eocdSize        uint64
		eocdOffset                   int64 = -1
		haveEOCD64                   bool
	)
	for {
		start := r.off
		sigb, err := r.full(4)
		if err != nil {
			if start == 0 {
				return framing("File is not a zipfile")
			}
			var fe *errZipFraming
			if errors.As(err, &fe) {
				return framing("Malformed zip file (no end of central directory record)")
			}
			return err
		}
		sig := binary.LittleEndian.Uint32(sigb)
		if sig == sigEOCD && eocd64Expected >= 0 && eocd64Actual < 0 {
			return framing("Malformed zip file (ZIP64 end record without its locator)")
		}
		switch sig {
		case sigLocal:
			if err := w.local(r, start); err != nil {
				return err
			}
		case sigCentral:
			if cdOffset < 0 {
				cdOffset = start
			}
			w.records++
			n, err := w.central(r)
			if err != nil {
				return err
			}
			cdSize += n
		case sigEOCD:
			if cdOffset < 0 {
				cdOffset = start
			}
			b, err := r.full(18)
			if err != nil {
				return err
			}
			onDisk, records := binary.LittleEndian.Uint16(b[4:]), binary.LittleEndian.Uint16(b[6:])
			size, offset := binary.LittleEndian.Uint32(b[8:]), binary.LittleEndian.Uint32(b[12:])
			comment := binary.LittleEndian.Uint16(b[16:])
			if onDisk != records {
				return framing("Malformed zip file (multi-disk archive)")
			}
			if !haveEOCD64 {
				eocdRecords, eocdSize, eocdOffset = uint64(records), uint64(size), int64(offset)
			}
			if eocdRecords != uint64(w.records) {
				return framing("Mismatched central directory records")
			}
			if eocdOffset != cdOffset {
				return framing("Mismatched central directory offset")
			}
			if eocdSize != cdSize {
				return framing("Mismatched central directory size")
			}
			if err := r.skip(uint64(comment)); err != nil {
				return err
			}
			w.comment = int(comment)
			for _, m := range w.members {
				if !m.InCD {
					return framing("Filename not in central directory: %q", m.Name)
				}
			}
			n, err := io.Copy(io.Discard, r)
			if err != nil {
				return err
			}
			if n > 0 {
				w.trailing = n
				return framing("Trailing data (%d bytes after the end of central directory record)", n)
			}
			return nil
		case sigEOCD64:
			eocd64Expected = start
			b, err := r.full(52)
			if err != nil {
				return err
			}
			size := binary.LittleEndian.Uint64(b[0:])
			onDisk, records := binary.LittleEndian.Uint64(b[20:]), binary.LittleEndian.Uint64(b[28:])
			if onDisk != records {
				return framing("Malformed zip file (multi-disk archive)")
			}
			if size != 44 {
				return framing("ZIP64 extensible data not allowed")
			}
			eocdRecords, eocdSize = records, binary.LittleEndian.Uint64(b[36:])
			eocdOffset = int64(binary.LittleEndian.Uint64(b[44:]))
			haveEOCD64 = true
		case sigEOCD64Loc:
			b, err := r.full(16)
			if err != nil {
				return err
			}
			eocd64Actual = int64(binary.LittleEndian.Uint64(b[4:]))
			if eocd64Actual != eocd64Expected {
				return framing("Malformed zip file (ZIP64 locator points to offset %d, not %d)", eocd64Actual, eocd64Expected)
			}
		default:
			if start == 0 {
				return framing("File is not a zipfile")
			}
			return framing("Unknown record signature 0x%08x at offset %d", sig, start)
		}
	}
}

func unprintable(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c == 0x7f {
			return true
		}
	}
	return false
}

func (w *zipWalk) local(r *offsetReader, start int64) error {
	b, err := r.full(26)
	if err != nil {
		return err
	}
	m := &zipMember{HeaderOffset: start}
	m.Flags = binary.LittleEndian.Uint16(b[2:])
	m.Method = binary.LittleEndian.Uint16(b[4:])
	m.CRC = binary.LittleEndian.Uint32(b[10:])
	compSize := uint64(binary.LittleEndian.Uint32(b[14:]))
	size := uint64(binary.LittleEndian.Uint32(b[18:]))
	nameLen, extraLen := binary.LittleEndian.Uint16(b[22:]), binary.LittleEndian.Uint16(b[24:])
	name, err := r.full(int(nameLen))
	if err != nil {
		return err
	}
	extra, err := r.full(int(extraLen))
	if err != nil {
		return err
	}
	if unprintable(name) {
		return framing("Invalid character in filename %q", name)
	}
	seen := map[uint16]bool{}
	for len(extra) > 0 {
		if len(extra) < 4 {
			return framing("Malformed zip file (extra field of %q)", name)
		}
		id, n := binary.LittleEndian.Uint16(extra), int(binary.LittleEndian.Uint16(extra[2:]))
		if n+4 > len(extra) {
			return framing("Malformed zip file (extra field of %q)", name)
		}
		if seen[id] && (id == 0x0001 || id == 0x7075) {
			return framing("Invalid duplicate extra in local file %q", name)
		}
		seen[id] = true
		data := extra[4 : 4+n]
		switch id {
		case 0x0001: // ZIP64
			switch n {
			case 0:
				if compSize == zip64Sentinel || size == zip64Sentinel {
					return framing("Malformed zip file (ZIP64 sizes of %q)", name)
				}
			case 8:
				if m.Method != 0 {
					return framing("Malformed zip file (ZIP64 sizes of %q)", name)
				}
				u := binary.LittleEndian.Uint64(data)
				compSize = u
				if size == zip64Sentinel {
					size = u
				}
			case 16, 24, 28:
				if size == zip64Sentinel {
					size = binary.LittleEndian.Uint64(data)
				}
				compSize = binary.LittleEndian.Uint64(data[8:])
			default:
				return framing("Malformed zip file (ZIP64 extra of %q)", name)
			}
		case 0x7075: // Info-ZIP Unicode Path
			if n >= 5 {
				u := data[5:]
				if unprintable(u) {
					return framing("Invalid character in filename %q", u)
				}
				if !utf8.Valid(u) {
					return framing("Filename not valid UTF-8 (%q)", u)
				}
			}
		}
		extra = extra[4+n:]
	}
	if m.Flags&flagDataDescriptor != 0 {
		return framing("ZIP contains a data descriptor (member %q)", name)
	}
	if !utf8.Valid(name) {
		return framing("Filename not unicode: %q", name)
	}
	m.Name = string(name)
	if w.byName[m.Name] != nil {
		return framing("Duplicate filename in local headers: %q", m.Name)
	}
	if w.maxMembers > 0 && len(w.members) >= w.maxMembers {
		return framing("the archive has more than %d members, the most that are listed", w.maxMembers)
	}
	m.CompSize, m.Size = compSize, size
	m.DataOffset = r.off
	w.members = append(w.members, m)
	w.byName[m.Name] = m
	return w.data(r, m)
}

// data consumes a member's compressed bytes, verifying its CRC-32 and size
// and capturing it when asked. Decompression is bounded: never more than the
// size the header declares, and not at all once the declared total passes
// the compression-ratio ceiling (that is reported from the central
// directory).
func (w *zipWalk) data(r *offsetReader, m *zipMember) error {
	lr := &io.LimitedReader{R: r, N: int64(m.CompSize)}
	w.declared += m.Size
	limit := uint64(w.maxRatio * float64(w.fileSize))
	if limit < compressionRatioMinSize {
		limit = compressionRatioMinSize
	}
	verify := (m.Method == 0 || m.Method == 8) && m.Flags&flagEncrypted == 0 && w.declared <= limit
	if verify {
		var src io.Reader = lr
		if m.Method == 8 {
			fr := flate.NewReader(lr)
			defer fr.Close()
			src = fr
		}
		h := crc32.NewIEEE()
		sum := sha256.New()
		var dst io.Writer = io.MultiWriter(h, sum)
		var buf *bytes.Buffer
		if w.capture != nil && w.capture(m.Name) {
			buf = &bytes.Buffer{}
			dst = io.MultiWriter(h, sum, &limitedBuffer{buf: buf, limit: w.captureLimit, over: &m.DataTooLarge})
		}
		n, err := io.Copy(dst, io.LimitReader(src, int64(m.Size)+1))
		switch {
		case err != nil:
			// A real read error of the file resurfaces below, when the
			// rest of the member is consumed.
			w.findings = append(w.findings, finding{"archive", fmt.Sprintf("member %q is corrupt: %v", m.Name, err)})
		case uint64(n) != m.Size:
			w.findings = append(w.findings, finding{"archive", fmt.Sprintf("member %q decompresses to %d bytes, not the %d its header records: the archive is corrupt", m.Name, n, m.Size)})
		case h.Sum32() != m.CRC:
			w.findings = append(w.findings, finding{"archive", fmt.Sprintf("member %q fails its CRC-32 check: the archive is corrupt", m.Name)})
		default:
			m.Verified = true
			copy(m.SHA256[:], sum.Sum(nil))
			if buf != nil {
				m.Data = buf.Bytes()
			}
		}
	}
	// Consume whatever the decompressor left of the compressed bytes.
	if _, err := io.Copy(io.Discard, lr); err != nil {
		return err
	}
	if lr.N > 0 {
		return framing("Malformed zip file (member %q is truncated)", m.Name)
	}
	return nil
}

type limitedBuffer struct {
	buf   *bytes.Buffer
	limit int64
	over  *bool
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.limit - int64(l.buf.Len()); int64(len(p)) > room {
		*l.over = true
		if room > 0 {
			l.buf.Write(p[:room])
		}
		return len(p), nil
	}
	return l.buf.Write(p)
}

func (w *zipWalk) central(r *offsetReader) (uint64, error) {
	b, err := r.full(42)
	if err != nil {
		return 0, err
	}
	verMade := binary.LittleEndian.Uint16(b[0:])
	flags := binary.LittleEndian.Uint16(b[4:])
	method := binary.LittleEndian.Uint16(b[6:])
	compSize := uint64(binary.LittleEndian.Uint32(b[16:]))
	size := uint64(binary.LittleEndian.Uint32(b[20:]))
	nameLen, extraLen, commentLen := binary.LittleEndian.Uint16(b[24:]), binary.LittleEndian.Uint16(b[26:]), binary.LittleEndian.Uint16(b[28:])
	extAttrs := binary.LittleEndian.Uint32(b[34:])
	offset := uint64(binary.LittleEndian.Uint32(b[38:]))
	if commentLen != 0 {
		return 0, framing("Comment in central directory")
	}
	name, err := r.full(int(nameLen))
	if err != nil {
		return 0, err
	}
	extra, err := r.full(int(extraLen))
	if err != nil {
		return 0, err
	}
	if unprintable(name) {
		return 0, framing("Invalid character in filename %q", name)
	}
	key := string(name)
	if w.cdSeen[key] {
		return 0, framing("Duplicate filename in central directory: %q", key)
	}
	m := w.byName[key]
	if m == nil {
		return 0, framing("Missing filename in local headers: %q", key)
	}
	// Python's zipfile, which PyPI and pip use, decodes names without the
	// UTF-8 flag as CP437: a non-ASCII name then no longer matches its
	// local header.
	if flags&flagUTF8 == 0 && !isASCII(name) {
		return 0, framing("Filename not in central directory: %q has non-ASCII characters but not the UTF-8 flag", key)
	}
	w.cdSeen[key] = true
	// ZIP64: the real values follow in the extra field, in this order, for
	// each one that is saturated.
	for e := extra; len(e) >= 4; {
		id, n := binary.LittleEndian.Uint16(e), int(binary.LittleEndian.Uint16(e[2:]))
		if n+4 > len(e) {
			break
		}
		if id == 0x0001 {
			d := e[4 : 4+n]
			next := func() (uint64, bool) {
				if len(d) < 8 {
					return 0, false
				}
				v := binary.LittleEndian.Uint64(d)
				d = d[8:]
				return v, true
			}
			if size == zip64Sentinel {
				if v, ok := next(); ok {
					size = v
				}
			}
			if compSize == zip64Sentinel {
				if v, ok := next(); ok {
					compSize = v
				}
			}
			if offset == zip64Sentinel {
				if v, ok := next(); ok {
					offset = v
				}
			}
		}
		e = e[4+n:]
	}
	if compSize != m.CompSize {
		return 0, framing("Mis-matched data size for %q (local header %d, central directory %d)", key, m.CompSize, compSize)
	}
	if size != m.Size {
		return 0, framing("Mis-matched file size for %q (local header %d, central directory %d)", key, m.Size, size)
	}
	if int64(offset) != m.HeaderOffset {
		return 0, framing("Mis-matched local header offset for %q", key)
	}
	m.InCD = true
	m.CDMethod = method
	m.CreatorOS = byte(verMade >> 8)
	m.ExtAttrs = extAttrs
	if flags&flagEncrypted != 0 || m.Flags&flagEncrypted != 0 {
		w.findings = append(w.findings, finding{"zip-compression", fmt.Sprintf("member %q is encrypted; installers cannot read it", key)})
	}
	if method != 0 && method != 8 {
		if len(w.unsupported) == 0 {
			w.findings = append(w.findings, finding{"zip-compression", ""})
			w.unsupportedAt = len(w.findings) - 1
		}
		w.unsupported = append(w.unsupported, fmt.Sprintf("%s (method %d)", key, method))
		w.findings[w.unsupportedAt].msg = "File does not use a supported compression type: " + shortList(w.unsupported) + "; PyPI accepts only stored and deflate members"
	}
	return 46 + uint64(len(name)) + uint64(len(extra)), nil
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// ratioFinding applies Warehouse's decompression-bomb rule to the central
// directory's sizes.
func (w *zipWalk) ratioFinding() *finding {
	var total uint64
	for _, m := range w.members {
		total += m.Size
	}
	if w.fileSize <= 0 || total <= compressionRatioMinSize {
		return nil
	}
	ratio := float64(total) / float64(w.fileSize)
	if ratio <= w.maxRatio {
		return nil
	}
	return &finding{"compression-ratio", fmt.Sprintf("File exceeds compression ratio of %g: it decompresses to %s, %.0f times its size (PyPI refuses more than %g× once past %s, as a decompression bomb)",
		w.maxRatio, bytesize.Format(int64(total)), ratio, w.maxRatio, bytesize.Format(int64(compressionRatioMinSize)))}
}

// readMember reads a member's uncompressed content again from the file (for
// symlink targets, which are rare), at most limit bytes.
func readMember(f io.ReaderAt, m *zipMember, limit int64) ([]byte, error) {
	var src io.Reader = io.NewSectionReader(f, m.DataOffset, int64(m.CompSize))
	if m.Method == 8 {
		fr := flate.NewReader(src)
		defer fr.Close()
		src = fr
	}
	return io.ReadAll(io.LimitReader(src, limit))
}
