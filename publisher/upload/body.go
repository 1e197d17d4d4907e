package upload

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"os"
	"sync"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
)

// form is the multipart/form-data body of one upload, laid out so that it
// can be streamed with a known Content-Length: every field, then the
// "content" part header, are rendered up front (prefix); the file is read
// from disk as it is sent; the closing boundary follows (suffix). Memory use
// is the size of the metadata, never the size of the file.
type form struct {
	contentType string
	prefix      []byte
	suffix      []byte
	path        string
	size        int64
}

// newForm renders the form for d: the fields of d.FormFields() in order, and
// the file last as the part "content" named after the distribution, with
// Content-Type application/octet-stream (the index rejects an empty or
// image/* type). attestations, when not empty, is the PEP 740
// `attestations` field (a JSON array), sent before the file.
func newForm(d *dist.Distribution, attestations string) (*form, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range d.FormFields() {
		if err := mw.WriteField(f.Name, f.Value); err != nil {
			return nil, err
		}
	}
	if attestations != "" {
		if err := mw.WriteField("attestations", attestations); err != nil {
			return nil, err
		}
	}
	// CreateFormFile sets Content-Type: application/octet-stream.
	if _, err := mw.CreateFormFile("content", d.Filename); err != nil {
		return nil, err
	}
	return &form{
		contentType: mw.FormDataContentType(),
		prefix:      buf.Bytes(),
		// What multipart.Writer.Close writes after the last part.
		suffix: []byte("\r\n--" + mw.Boundary() + "--\r\n"),
		path:   d.Path,
		size:   d.Size,
	}, nil
}

// Len is the exact length of the body, sent as Content-Length.
func (f *form) Len() int64 { return int64(len(f.prefix)) + f.size + int64(len(f.suffix)) }

// open returns a fresh body: one per attempt, so that a retry re-reads the
// file from its start. onRead, if not nil, is told how many bytes of the
// body were read (for progress and stall detection). hold, if not nil, is
// called before the file's last heldBack bytes are read, and may block
// (releaseGate); closed is closed when the transport closes the body. Its
// error ends the body.
func (f *form) open(onRead func(n int), hold func(closed <-chan struct{}) error) (io.ReadCloser, error) {
	file, err := os.Open(f.path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.path, err)
	}
	st, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, fmt.Errorf("%s: %w", f.path, err)
	}
	if st.Size() != f.size {
		file.Close()
		return nil, fmt.Errorf("%s: the file changed after it was verified (%d bytes then, %d now); run again on a stable file", f.path, f.size, st.Size())
	}
	b := &formBody{file: file, onRead: onRead, closed: make(chan struct{})}
	cut := f.size - min(f.size, heldBack)
	readers := []io.Reader{bytes.NewReader(f.prefix), io.NewSectionReader(file, 0, cut)}
	if hold != nil {
		readers = append(readers, holdReader(func() error { return hold(b.closed) }))
	}
	b.r = io.MultiReader(append(readers, io.NewSectionReader(file, cut, f.size-cut), bytes.NewReader(f.suffix))...)
	return b, nil
}

// holdReader is an empty reader that first calls its function: a point in
// a body where sending may have to wait. Its error ends the body.
type holdReader func() error

func (h holdReader) Read([]byte) (int, error) {
	if err := h(); err != nil {
		return 0, err
	}
	return 0, io.EOF
}

// formBody streams one attempt's body. The HTTP transport may call Close
// from another goroutine while a Read is in flight, so closing is guarded.
type formBody struct {
	r      io.Reader
	file   *os.File
	onRead func(n int)
	once   sync.Once
	closed chan struct{} // closed by Close: ends a hold
}

func (b *formBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if n > 0 && b.onRead != nil {
		b.onRead(n)
	}
	return n, err
}

func (b *formBody) Close() error {
	var err error
	b.once.Do(func() {
		close(b.closed)
		err = b.file.Close()
	})
	return err
}
