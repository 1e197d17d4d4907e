package wheelgen

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strings"
	"time"
)

// Write writes the wheel described by spec into dir and returns its path
// (dir/{name}-{version}-{tag}.whl). The payload is streamed: memory use does
// not depend on spec.Size.
func Write(dir string, spec Spec) (string, error) {
	if err := spec.validate(true); err != nil {
		return "", err
	}
	return writeFile(dir, WheelFilename(spec), func(w io.Writer) error {
		return writeWheel(w, spec)
	})
}

// wheelWriter writes ZIP entries with CreateRaw only: CreateHeader always
// sets general-purpose flag bit 3 (sizes and CRC in a trailing data
// descriptor), and PyPI rejects wheels with data descriptors. With CreateRaw
// the CRC and sizes are in the local header, so they must be known before the
// data is written.
type wheelWriter struct {
	zw     *zip.Writer
	record strings.Builder
	buf    []byte
}

func writeWheel(out io.Writer, s Spec) error {
	bw := bufio.NewWriterSize(out, 1<<20)
	ww := &wheelWriter{zw: zip.NewWriter(bw), buf: make([]byte, chunkSize)}
	mod := fileName(s.Name)
	distInfo := fmt.Sprintf("%s-%s.dist-info", mod, s.Version)

	if err := ww.small(mod+"/__init__.py", s.initPy()); err != nil {
		return err
	}
	if err := ww.payload(mod+"/payload.bin", s.Seed, s.Size); err != nil {
		return err
	}
	if err := ww.small(distInfo+"/METADATA", s.metadata()); err != nil {
		return err
	}
	wheel := fmt.Sprintf("Wheel-Version: 1.0\nGenerator: goreleaser-pypi wheelgen\nRoot-Is-Purelib: %t\nTag: %s\n\n",
		strings.HasSuffix(s.tag(), "-none-any"), s.tag())
	if err := ww.small(distInfo+"/WHEEL", []byte(wheel)); err != nil {
		return err
	}
	// RECORD lists itself without hash or size (PEP 376).
	ww.record.WriteString(distInfo + "/RECORD,,\n")
	if err := ww.small(distInfo+"/RECORD", []byte(ww.record.String())); err != nil {
		return err
	}
	if err := ww.zw.Close(); err != nil {
		return err
	}
	return bw.Flush()
}

func fileHeader(name string, method uint16, crc uint32, compressed, size int64) *zip.FileHeader {
	date, clock := dosTime(modified)
	return &zip.FileHeader{
		Name:               name,
		Method:             method,
		CRC32:              crc,
		CompressedSize64:   uint64(compressed),
		UncompressedSize64: uint64(size),
		CreatorVersion:     3<<8 | 20, // Unix, ZIP 2.0
		ReaderVersion:      20,
		ExternalAttrs:      0o100644 << 16, // regular file, rw-r--r--
		//lint:ignore SA1019 CreateRaw writes these fields as given and does not derive them from Modified
		ModifiedDate: date,
		//lint:ignore SA1019 as above
		ModifiedTime: clock,
	}
}

// dosTime is t in MS-DOS date and time format (CreateRaw does not derive
// them from FileHeader.Modified).
func dosTime(t time.Time) (date, clock uint16) {
	date = uint16((t.Year()-1980)<<9 | int(t.Month())<<5 | t.Day())
	clock = uint16(t.Hour()<<11 | t.Minute()<<5 | t.Second()/2)
	return date, clock
}

// small writes a deflated in-memory file.
func (ww *wheelWriter) small(name string, data []byte) error {
	var comp bytes.Buffer
	fw, err := flate.NewWriter(&comp, flate.BestCompression)
	if err != nil {
		return err
	}
	if _, err := fw.Write(data); err != nil {
		return err
	}
	if err := fw.Close(); err != nil {
		return err
	}
	w, err := ww.zw.CreateRaw(fileHeader(name, zip.Deflate, crc32.ChecksumIEEE(data), int64(comp.Len()), int64(len(data))))
	if err != nil {
		return err
	}
	if _, err := w.Write(comp.Bytes()); err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	ww.addRecord(name, sum[:], int64(len(data)))
	return nil
}

// payload writes the stored pseudo-random file. The stream is cheap to
// regenerate (AES-CTR), so it is produced three times instead of being held:
// once for the CRC-32 that the local header needs before the data, once to
// write it, and once, on the other core, for RECORD's sha256, the slowest
// step, which then overlaps the writing.
func (ww *wheelWriter) payload(name string, seed, size int64) (err error) {
	digest := hashPayload(seed, size)
	defer func() {
		if err != nil {
			digest.abort()
		}
	}()
	crc := crc32.NewIEEE()
	if err := copyPayload(crc, seed, size, ww.buf); err != nil {
		return err
	}
	w, err := ww.zw.CreateRaw(fileHeader(name, zip.Store, crc.Sum32(), size, size))
	if err != nil {
		return err
	}
	cw := &countingWriter{w: w}
	if err := copyPayload(cw, seed, size, ww.buf); err != nil {
		return err
	}
	if cw.n != size {
		return fmt.Errorf("%s: wrote %d bytes, header says %d: %w", name, cw.n, size, errShortPayload)
	}
	sum, err := digest.wait()
	if err != nil {
		return err
	}
	ww.addRecord(name, sum, size)
	return nil
}

// asyncDigest is a sha256 of the payload computed by its own goroutine.
type asyncDigest struct {
	stop chan struct{}
	done chan struct{}
	sum  []byte
	err  error
}

func hashPayload(seed, size int64) *asyncDigest {
	d := &asyncDigest{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(d.done)
		h := sha256.New()
		p := newPayload(seed, size)
		buf := make([]byte, chunkSize)
		for {
			select {
			case <-d.stop:
				d.err = errors.New("aborted")
				return
			default:
			}
			n, err := p.Read(buf)
			h.Write(buf[:n])
			if errors.Is(err, io.EOF) {
				d.sum = h.Sum(nil)
				return
			}
		}
	}()
	return d
}

func (d *asyncDigest) wait() ([]byte, error) {
	<-d.done
	return d.sum, d.err
}

// abort stops the goroutine and waits for it, so none outlives Write.
func (d *asyncDigest) abort() {
	close(d.stop)
	<-d.done
}

func copyPayload(w io.Writer, seed, size int64, buf []byte) error {
	n, err := io.CopyBuffer(w, newPayload(seed, size), buf)
	if err != nil {
		return err
	}
	if n != size {
		return errShortPayload
	}
	return nil
}

func (ww *wheelWriter) addRecord(name string, sum []byte, size int64) {
	fmt.Fprintf(&ww.record, "%s,sha256=%s,%d\n", name, base64.RawURLEncoding.EncodeToString(sum), size)
}
