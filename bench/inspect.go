package main

import (
	"archive/zip"
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
)

// inspectWheel reads a wheel's METADATA and digests: the minimal inspection
// the harness needs to prebuild raw upload bodies, used until dist.Check lands.
func inspectWheel(path string) (*dist.Distribution, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	var md *dist.Metadata
	for _, f := range zr.File {
		if dir, name, ok := strings.Cut(f.Name, "/"); ok && name == "METADATA" && strings.HasSuffix(dir, ".dist-info") {
			rc, err := f.Open()
			if err != nil {
				return nil, err
			}
			md, err = parseMetadata(rc)
			rc.Close()
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
		}
	}
	if md == nil {
		return nil, fmt.Errorf("%s: no .dist-info/METADATA", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sha, b2 := sha256.New(), mustBlake2b()
	size, err := io.Copy(io.MultiWriter(sha, b2), f)
	if err != nil {
		return nil, err
	}
	name := filepath.Base(path)
	parts := strings.Split(strings.TrimSuffix(name, ".whl"), "-")
	if len(parts) < 5 {
		return nil, fmt.Errorf("%s: not a wheel filename", path)
	}
	return &dist.Distribution{
		Path: path, Filename: name, Type: dist.Wheel, Size: size,
		PyVersion: parts[len(parts)-3],
		Metadata:  md,
		Digests:   dist.Digests{SHA256: hex.EncodeToString(sha.Sum(nil)), BLAKE2b256: hex.EncodeToString(b2.Sum(nil))},
	}, nil
}

// parseMetadata reads RFC 822 style core metadata: headers, a blank line, the body.
func parseMetadata(r io.Reader) (*dist.Metadata, error) {
	md := &dist.Metadata{}
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadString('\n')
		trimmed := strings.TrimRight(line, "\r\n")
		if trimmed == "" {
			if err == nil {
				rest, err := io.ReadAll(br)
				md.Body = string(rest)
				return md, err
			}
			return md, nil
		}
		if (trimmed[0] == ' ' || trimmed[0] == '\t') && len(md.Headers) > 0 {
			md.Headers[len(md.Headers)-1].Value += "\n" + strings.TrimSpace(trimmed)
		} else if k, v, ok := strings.Cut(trimmed, ":"); ok {
			md.Headers = append(md.Headers, dist.Header{Name: k, Value: strings.TrimSpace(v)})
		}
		if err == io.EOF {
			return md, nil
		}
		if err != nil {
			return nil, err
		}
	}
}
