package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"mime/multipart"
	"os"
	"path/filepath"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
)

// newBoundary returns a random multipart boundary. One boundary serves every
// prebuilt body of a run, so one Content-Type header serves every transfer of
// a single curl process.
func newBoundary() string {
	b := make([]byte, 24)
	rand.Read(b)
	return "bench" + hex.EncodeToString(b)
}

// writeUploadBody writes the complete multipart/form-data upload request
// body for d into dir — the same fields goreleaser-pypi sends (dist's
// FormFields), then the file as the last part, named "content" — and returns
// its path. The raw-HTTP contender POSTs these files as they are, so its time
// is pure transfer: no hashing, no metadata parsing, no body assembly.
func writeUploadBody(dir string, d *dist.Distribution, boundary string) (string, error) {
	path := filepath.Join(dir, d.Filename+".body")
	out, err := os.Create(path)
	if err != nil {
		return "", err
	}
	defer out.Close()
	mw := multipart.NewWriter(out)
	if err := mw.SetBoundary(boundary); err != nil {
		return "", err
	}
	for _, f := range d.FormFields() {
		if err := mw.WriteField(f.Name, f.Value); err != nil {
			return "", fmt.Errorf("%s: %w", path, err)
		}
	}
	part, err := mw.CreateFormFile("content", d.Filename)
	if err != nil {
		return "", err
	}
	in, err := os.Open(d.Path)
	if err != nil {
		return "", err
	}
	defer in.Close()
	if _, err := io.Copy(part, in); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	if err := mw.Close(); err != nil {
		return "", err
	}
	return path, out.Close()
}
