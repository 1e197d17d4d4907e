package main

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/crypto/blake2b"
)

// standinIndex is a minimal upload API used until publisher/pypitest's
// core lands: auth, streaming multipart, digest check, storage on disk, and
// the JSON API the harness reads back.
type standinIndex struct {
	token   string
	storage string
	mu      sync.Mutex
	files   map[string][]jsonURL // "name/version" -> files
	srv     *http.Server
}

type jsonURL struct {
	Filename string            `json:"filename"`
	Digests  map[string]string `json:"digests"`
	Size     int64             `json:"size"`
}

func startStandinIndex(token, storage string) (*index, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &standinIndex{token: token, storage: storage, files: map[string][]jsonURL{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /legacy/", s.upload)
	mux.HandleFunc("GET /pypi/{name}/{version}/json", s.json)
	s.srv = &http.Server{Handler: mux}
	go s.srv.Serve(ln)
	url := "http://" + ln.Addr().String()
	return &index{URL: url, RepositoryURL: url + "/legacy/", close: s.srv.Close}, nil
}

func (s *standinIndex) fail(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(code)
	io.WriteString(w, msg)
}

func (s *standinIndex) upload(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if !ok || user != "__token__" || subtle.ConstantTimeCompare([]byte(pass), []byte(s.token)) != 1 {
		s.fail(w, http.StatusForbidden, "Invalid or non-existent authentication information.")
		return
	}
	mr, err := r.MultipartReader()
	if err != nil {
		s.fail(w, http.StatusBadRequest, err.Error())
		return
	}
	form := map[string]string{}
	var got jsonURL
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			s.fail(w, http.StatusBadRequest, err.Error())
			return
		}
		if p.FormName() != "content" {
			b, err := io.ReadAll(io.LimitReader(p, 1<<20))
			if err != nil {
				s.fail(w, http.StatusBadRequest, err.Error())
				return
			}
			form[p.FormName()] = string(b)
			continue
		}
		got.Filename = filepath.Base(p.FileName())
		f, err := os.Create(filepath.Join(s.storage, got.Filename))
		if err != nil {
			s.fail(w, http.StatusInternalServerError, err.Error())
			return
		}
		sha, b2 := sha256.New(), mustBlake2b()
		got.Size, err = io.Copy(io.MultiWriter(f, sha, b2), p)
		f.Close()
		if err != nil {
			s.fail(w, http.StatusBadRequest, err.Error())
			return
		}
		got.Digests = map[string]string{"sha256": hex.EncodeToString(sha.Sum(nil)), "blake2b_256": hex.EncodeToString(b2.Sum(nil))}
	}
	if got.Filename == "" {
		s.fail(w, http.StatusBadRequest, "Upload payload does not have a file.")
		return
	}
	if form["sha256_digest"] != got.Digests["sha256"] || (form["blake2_256_digest"] != "" && form["blake2_256_digest"] != got.Digests["blake2b_256"]) {
		s.fail(w, http.StatusBadRequest, "The digest supplied does not match a digest calculated from the uploaded file.")
		return
	}
	key := normalize(form["name"]) + "/" + form["version"]
	s.mu.Lock()
	s.files[key] = append(s.files[key], got)
	s.mu.Unlock()
}

func (s *standinIndex) json(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	urls, ok := s.files[normalize(r.PathValue("name"))+"/"+r.PathValue("version")]
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"urls": urls})
}

func mustBlake2b() hash.Hash {
	h, err := blake2b.New256(nil)
	if err != nil {
		panic(fmt.Sprintf("blake2b: %v", err))
	}
	return h
}

// normalize is PEP 503 name normalization.
func normalize(name string) string {
	return strings.ToLower(strings.NewReplacer("_", "-", ".", "-").Replace(name))
}
