package binwheel

import (
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/csv"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
)

// A strict wheel reader, written for these tests independently of the
// writer and of dist's reader: it walks the file front to back and refuses
// everything PyPI's ZIP rules and our promises exclude. It reads the whole
// wheel into memory: tests only.

type strictMember struct {
	name     string
	mode     uint32 // permission bits and type, from the external attributes
	data     []byte
	date, tm uint16
}

type strictWheel struct {
	members []strictMember
	byName  map[string]*strictMember
}

func (w *strictWheel) file(name string) []byte {
	if m := w.byName[name]; m != nil {
		return m.data
	}
	return nil
}

// readStrict checks, and fails with the first violation:
//   - local headers: no data descriptor (flag bit 3), no flag but UTF-8,
//     deflate only, version needed 2.0, no extra fields, the given
//     timestamp; the data inflates to exactly the size and CRC announced;
//   - central directory: one entry per local header in the same order, the
//     same fields, Unix creator (3) with version 2.0, mode 0755 for
//     .data/scripts/ members and 0644 for the rest, no comments;
//   - end record: the right counts, sizes and offset, no archive comment,
//     no bytes after it; no ZIP64;
//   - names: unique, no directories, sorted with .dist-info members last
//     and RECORD last;
//   - RECORD lists exactly the members, each with its sha256 and size, and
//     itself with neither.
func readStrict(path string, wantDate, wantTime uint16) (*strictWheel, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	w := &strictWheel{byName: map[string]*strictMember{}}
	type local struct {
		offset          uint32
		crc, csize, siz uint32
		name            string
	}
	var locals []local
	off := 0
	need := func(n int) error {
		if off+n > len(raw) {
			return fmt.Errorf("truncated at %d", off)
		}
		return nil
	}
	for {
		if err := need(4); err != nil {
			return nil, err
		}
		if le.Uint32(raw[off:]) != 0x04034b50 {
			break
		}
		if err := need(30); err != nil {
			return nil, err
		}
		h := raw[off : off+30]
		version, flags, method := le.Uint16(h[4:]), le.Uint16(h[6:]), le.Uint16(h[8:])
		tm, date := le.Uint16(h[10:]), le.Uint16(h[12:])
		crc, csize, size := le.Uint32(h[14:]), le.Uint32(h[18:]), le.Uint32(h[22:])
		nlen, xlen := int(le.Uint16(h[26:])), int(le.Uint16(h[28:]))
		if err := need(30 + nlen + xlen); err != nil {
			return nil, err
		}
		name := string(raw[off+30 : off+30+nlen])
		switch {
		case flags&0x8 != 0:
			return nil, fmt.Errorf("%s: data descriptor flag set (flags %#x)", name, flags)
		case flags&^0x800 != 0:
			return nil, fmt.Errorf("%s: unexpected flags %#x", name, flags)
		case method != 8:
			return nil, fmt.Errorf("%s: method %d, want deflate (8)", name, method)
		case version != 20:
			return nil, fmt.Errorf("%s: version needed %d, want 20", name, version)
		case xlen != 0:
			return nil, fmt.Errorf("%s: %d bytes of extra fields (timestamps or ZIP64 would make builds differ)", name, xlen)
		case date != wantDate || tm != wantTime:
			return nil, fmt.Errorf("%s: timestamp %#x %#x, want %#x %#x", name, date, tm, wantDate, wantTime)
		case strings.HasSuffix(name, "/"):
			return nil, fmt.Errorf("%s: directory entry", name)
		case w.byName[name] != nil:
			return nil, fmt.Errorf("%s: duplicate name", name)
		}
		start := off + 30 + nlen + xlen
		if err := need(30 + nlen + xlen + int(csize)); err != nil {
			return nil, err
		}
		data, err := io.ReadAll(flate.NewReader(bytes.NewReader(raw[start : start+int(csize)])))
		if err != nil {
			return nil, fmt.Errorf("%s: inflating: %v", name, err)
		}
		if uint32(len(data)) != size || crc32.ChecksumIEEE(data) != crc {
			return nil, fmt.Errorf("%s: %d bytes with CRC %#x, header says %d and %#x", name, len(data), crc32.ChecksumIEEE(data), size, crc)
		}
		locals = append(locals, local{uint32(off), crc, csize, size, name})
		w.members = append(w.members, strictMember{name: name, data: data, date: date, tm: tm})
		w.byName[name] = &w.members[len(w.members)-1]
		off = start + int(csize)
	}
	for i := range w.members { // the slice grew: re-point the map
		w.byName[w.members[i].name] = &w.members[i]
	}
	cdStart := off
	for i, l := range locals {
		if err := need(46); err != nil {
			return nil, err
		}
		h := raw[off : off+46]
		if le.Uint32(h) != 0x02014b50 {
			return nil, fmt.Errorf("central directory entry %d: bad signature", i)
		}
		made, version, flags, method := le.Uint16(h[4:]), le.Uint16(h[6:]), le.Uint16(h[8:]), le.Uint16(h[10:])
		crc, csize, size := le.Uint32(h[16:]), le.Uint32(h[20:]), le.Uint32(h[24:])
		nlen, xlen, clen := int(le.Uint16(h[28:])), int(le.Uint16(h[30:])), int(le.Uint16(h[32:]))
		ext, loff := le.Uint32(h[38:]), le.Uint32(h[42:])
		if err := need(46 + nlen + xlen + clen); err != nil {
			return nil, err
		}
		name := string(raw[off+46 : off+46+nlen])
		mode := ext >> 16
		wantMode := uint32(0o100644)
		if strings.Contains(name, ".data/scripts/") {
			wantMode = 0o100755
		}
		switch {
		case name != l.name || loff != l.offset:
			return nil, fmt.Errorf("central directory entry %d is %q at %d, local header %d is %q at %d", i, name, loff, i, l.name, l.offset)
		case crc != l.crc || csize != l.csize || size != l.siz:
			return nil, fmt.Errorf("%s: central directory and local header disagree", name)
		case made != 3<<8|20 || version != 20:
			return nil, fmt.Errorf("%s: made by %#x needs %d, want Unix (0x314) and 20", name, made, version)
		case flags&^0x800 != 0 || method != 8:
			return nil, fmt.Errorf("%s: central flags %#x method %d", name, flags, method)
		case xlen != 0 || clen != 0:
			return nil, fmt.Errorf("%s: extra fields or comment in the central directory", name)
		case mode != wantMode:
			return nil, fmt.Errorf("%s: mode %o, want %o", name, mode, wantMode)
		}
		w.byName[name].mode = mode
		off += 46 + nlen + xlen + clen
	}
	if err := need(22); err != nil {
		return nil, err
	}
	e := raw[off : off+22]
	switch {
	case le.Uint32(e) != 0x06054b50:
		return nil, fmt.Errorf("no end of central directory record at %d (ZIP64 or junk)", off)
	case int(le.Uint16(e[8:])) != len(locals) || int(le.Uint16(e[10:])) != len(locals):
		return nil, fmt.Errorf("end record counts %d/%d entries, the archive has %d", le.Uint16(e[8:]), le.Uint16(e[10:]), len(locals))
	case int(le.Uint32(e[12:])) != off-cdStart || int(le.Uint32(e[16:])) != cdStart:
		return nil, fmt.Errorf("end record gives the central directory at %d size %d, it is at %d size %d", le.Uint32(e[16:]), le.Uint32(e[12:]), cdStart, off-cdStart)
	case le.Uint16(e[20:]) != 0:
		return nil, fmt.Errorf("archive comment of %d bytes", le.Uint16(e[20:]))
	case off+22 != len(raw):
		return nil, fmt.Errorf("%d bytes after the end record", len(raw)-off-22)
	}
	return w, checkOrderAndRecord(w)
}

func checkOrderAndRecord(w *strictWheel) error {
	var names []string
	for _, m := range w.members {
		names = append(names, m.name)
	}
	if len(names) == 0 {
		return fmt.Errorf("empty archive")
	}
	record := names[len(names)-1]
	if !strings.HasSuffix(record, ".dist-info/RECORD") || strings.Count(record, "/") != 1 {
		return fmt.Errorf("last member is %s, not the .dist-info/RECORD", record)
	}
	distInfo := strings.TrimSuffix(record, "RECORD")
	var body, info []string
	for _, n := range names[:len(names)-1] {
		if strings.HasPrefix(n, distInfo) {
			info = append(info, n)
		} else {
			if len(info) > 0 {
				return fmt.Errorf("%s comes after .dist-info members", n)
			}
			body = append(body, n)
		}
	}
	if !sort.StringsAreSorted(body) || !sort.StringsAreSorted(info) {
		return fmt.Errorf("members are not sorted: %v", names)
	}
	rows, err := csv.NewReader(bytes.NewReader(w.file(record))).ReadAll()
	if err != nil {
		return fmt.Errorf("RECORD: %v", err)
	}
	listed := map[string]bool{}
	for _, r := range rows {
		if len(r) != 3 {
			return fmt.Errorf("RECORD row %q has %d fields", r, len(r))
		}
		if listed[r[0]] {
			return fmt.Errorf("RECORD lists %s twice", r[0])
		}
		listed[r[0]] = true
		m := w.byName[r[0]]
		if m == nil {
			return fmt.Errorf("RECORD lists %s, which the wheel lacks", r[0])
		}
		if r[0] == record {
			if r[1] != "" || r[2] != "" {
				return fmt.Errorf("RECORD lists itself with a hash or size: %q", r)
			}
			continue
		}
		sum := sha256.Sum256(m.data)
		if want := "sha256=" + base64.RawURLEncoding.EncodeToString(sum[:]); r[1] != want || r[2] != strconv.Itoa(len(m.data)) {
			return fmt.Errorf("RECORD gives %s as %s,%s; it is %s,%d", r[0], r[1], r[2], want, len(m.data))
		}
	}
	for _, n := range names {
		if !listed[n] {
			return fmt.Errorf("RECORD does not list %s", n)
		}
	}
	return nil
}
