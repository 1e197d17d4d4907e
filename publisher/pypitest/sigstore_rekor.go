package pypitest

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"
)

// merkleLog is an RFC 6962 Merkle tree of the logged entries.
type merkleLog struct {
	leaves [][]byte         // leaf hashes, by index
	bodies [][]byte         // canonicalized bodies
	times  []int64          // integrated times
	byLeaf map[string]int64 // hex leaf hash → index
	sets   map[int64][]byte // signed entry timestamps
}

func leafHash(body []byte) []byte {
	h := sha256.Sum256(append([]byte{0}, body...))
	return h[:]
}

func nodeHash(l, r []byte) []byte {
	h := sha256.New()
	h.Write([]byte{1})
	h.Write(l)
	h.Write(r)
	return h.Sum(nil)
}

// split is the largest power of two smaller than n (n > 1).
func split(n int) int {
	k := 1
	for k<<1 < n {
		k <<= 1
	}
	return k
}

// merkleRoot is MTH(leaves).
func merkleRoot(leaves [][]byte) []byte {
	switch len(leaves) {
	case 0:
		h := sha256.Sum256(nil)
		return h[:]
	case 1:
		return leaves[0]
	}
	k := split(len(leaves))
	return nodeHash(merkleRoot(leaves[:k]), merkleRoot(leaves[k:]))
}

// path is the audit path of leaf m in leaves (RFC 6962 2.1.1).
func path(m int, leaves [][]byte) [][]byte {
	if len(leaves) <= 1 {
		return nil
	}
	k := split(len(leaves))
	if m < k {
		return append(path(m, leaves[:k]), merkleRoot(leaves[k:]))
	}
	return append(path(m-k, leaves[k:]), merkleRoot(leaves[:k]))
}

// dsseProposal is a proposed "dsse" entry.
type dsseProposal struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Spec       struct {
		ProposedContent *struct {
			Envelope  string   `json:"envelope"`
			Verifiers [][]byte `json:"verifiers"`
		} `json:"proposedContent"`
	} `json:"spec"`
}

// The canonicalized "dsse" 0.0.1 body, its keys in JCS order.
type dsseBody struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Spec       dsseSpec `json:"spec"`
}

type dsseSpec struct {
	EnvelopeHash hashValue       `json:"envelopeHash"`
	PayloadHash  hashValue       `json:"payloadHash"`
	Signatures   []dsseSignature `json:"signatures"`
}

type hashValue struct {
	Algorithm string `json:"algorithm"`
	Value     string `json:"value"`
}

type dsseSignature struct {
	Signature string `json:"signature"`
	Verifier  string `json:"verifier"`
}

// handleCreateEntry is Rekor v1's POST /api/v1/log/entries for kind dsse.
func (s *Sigstore) handleCreateEntry(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.stats.RekorRequests++
	s.countUserAgent(r)
	status := s.fault(&s.failR)
	s.mu.Unlock()
	if status != 0 {
		writeSigstoreError(w, status, http.StatusText(status))
		return
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, 32<<20))
	if err != nil {
		writeSigstoreError(w, http.StatusBadRequest, "reading the request: "+err.Error())
		return
	}
	body, err := canonicalDSSE(data)
	if err != nil {
		writeSigstoreError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l := &s.log
	if l.byLeaf == nil {
		l.byLeaf, l.sets = map[string]int64{}, map[int64][]byte{}
	}
	leaf := leafHash(body)
	if idx, dup := l.byLeaf[hex.EncodeToString(leaf)]; dup {
		uuid := s.entryUUID(idx)
		w.Header().Set("Location", "/api/v1/log/entries/"+uuid)
		writeSigstoreError(w, http.StatusConflict, "an equivalent entry already exists in the transparency log with UUID "+uuid)
		return
	}
	idx := int64(len(l.leaves))
	l.leaves = append(l.leaves, leaf)
	l.bodies = append(l.bodies, body)
	l.times = append(l.times, time.Now().Unix())
	l.byLeaf[hex.EncodeToString(leaf)] = idx
	entry, err := s.entry(idx)
	if err != nil {
		writeSigstoreError(w, http.StatusInternalServerError, err.Error())
		return
	}
	s.stats.EntriesLogged++
	uuid := s.entryUUID(idx)
	w.Header().Set("Location", "/api/v1/log/entries/"+uuid)
	w.Header().Set("ETag", uuid)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(map[string]any{uuid: entry})
}

// handleGetEntry is GET /api/v1/log/entries/{uuid}, with a proof against
// the current tree.
func (s *Sigstore) handleGetEntry(w http.ResponseWriter, r *http.Request) {
	uuid := r.PathValue("uuid")
	leafHex := uuid
	if len(uuid) == 80 {
		leafHex = uuid[16:]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	idx, ok := s.log.byLeaf[strings.ToLower(leafHex)]
	if !ok {
		writeSigstoreError(w, http.StatusNotFound, "entry not found")
		return
	}
	entry, err := s.entry(idx)
	if err != nil {
		writeSigstoreError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{s.entryUUID(idx): entry})
}

// entryUUID is Rekor's entry UUID: the tree ID (16 hex digits), then the
// leaf hash.
func (s *Sigstore) entryUUID(idx int64) string {
	return fmt.Sprintf("%016x", s.treeID) + hex.EncodeToString(s.log.leaves[idx])
}

// entry is the LogEntryAnon for index idx, its proof against the current
// tree (s.mu held).
func (s *Sigstore) entry(idx int64) (map[string]any, error) {
	l := &s.log
	body := base64.StdEncoding.EncodeToString(l.bodies[idx])
	logID := hex.EncodeToString(s.rekorLogID)
	set, ok := l.sets[idx]
	if !ok {
		// The signed entry timestamp: the log's signature over the JCS form
		// of {body, integratedTime, logID, logIndex} (keys sorted).
		payload, err := json.Marshal(struct {
			Body           string `json:"body"`
			IntegratedTime int64  `json:"integratedTime"`
			LogID          string `json:"logID"`
			LogIndex       int64  `json:"logIndex"`
		}{body, l.times[idx], logID, idx})
		if err != nil {
			return nil, err
		}
		if set, err = s.rekorSign(payload); err != nil {
			return nil, err
		}
		l.sets[idx] = set
	}
	size := len(l.leaves)
	rootHash := merkleRoot(l.leaves)
	hashes := []string{}
	for _, h := range path(int(idx), l.leaves) {
		hashes = append(hashes, hex.EncodeToString(h))
	}
	checkpoint, err := s.checkpoint(size, rootHash)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"body":           body,
		"integratedTime": l.times[idx],
		"logID":          logID,
		"logIndex":       idx,
		"verification": map[string]any{
			"inclusionProof": map[string]any{
				"checkpoint": checkpoint,
				"hashes":     hashes,
				"logIndex":   idx,
				"rootHash":   hex.EncodeToString(rootHash),
				"treeSize":   size,
			},
			"signedEntryTimestamp": base64.StdEncoding.EncodeToString(set),
		},
	}, nil
}

// checkpoint is the signed tree head as a signed note: origin, size, root
// hash, then "— <name> base64(key hint || signature)".
func (s *Sigstore) checkpoint(size int, rootHash []byte) (string, error) {
	name := strings.TrimPrefix(s.RekorURL, "http://")
	note := fmt.Sprintf("%s - %d\n%d\n%s\n", name, s.treeID, size, base64.StdEncoding.EncodeToString(rootHash))
	sig, err := s.rekorSign([]byte(note))
	if err != nil {
		return "", err
	}
	hint := binary.BigEndian.AppendUint32(nil, binary.BigEndian.Uint32(s.rekorLogID[:4]))
	return note + "\n\u2014 " + name + " " + base64.StdEncoding.EncodeToString(append(hint, sig...)) + "\n", nil
}

func (s *Sigstore) rekorSign(msg []byte) ([]byte, error) {
	d := sha256.Sum256(msg)
	return ecdsa.SignASN1(rand.Reader, s.rekorKey, d[:])
}

// canonicalDSSE checks a proposed dsse entry as Rekor does (every envelope
// signature verifies under one of the verifiers) and returns its
// canonicalized body.
func canonicalDSSE(data []byte) ([]byte, error) {
	var p dsseProposal
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("invalid entry: %v", err)
	}
	if p.Kind != "dsse" || p.APIVersion != "0.0.1" {
		return nil, fmt.Errorf("this fake Rekor logs dsse 0.0.1 entries only, not %s %s", p.Kind, p.APIVersion)
	}
	pc := p.Spec.ProposedContent
	if pc == nil || pc.Envelope == "" || len(pc.Verifiers) == 0 {
		return nil, fmt.Errorf("proposedContent must have an envelope and verifiers")
	}
	var env struct {
		PayloadType string `json:"payloadType"`
		Payload     string `json:"payload"`
		Signatures  []struct {
			Sig string `json:"sig"`
		} `json:"signatures"`
	}
	if err := json.Unmarshal([]byte(pc.Envelope), &env); err != nil {
		return nil, fmt.Errorf("the envelope is not a DSSE envelope: %v", err)
	}
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return nil, fmt.Errorf("the envelope's payload is not base64")
	}
	if len(env.Signatures) == 0 {
		return nil, fmt.Errorf("DSSE envelope must contain 1 or more signatures")
	}
	var certs []*x509.Certificate
	for _, v := range pc.Verifiers {
		block, _ := pem.Decode(v)
		if block == nil {
			return nil, fmt.Errorf("a verifier is not PEM")
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("a verifier is not a certificate: %v", err)
		}
		certs = append(certs, c)
	}
	pae := []byte(fmt.Sprintf("DSSEv1 %d %s %d ", len(env.PayloadType), env.PayloadType, len(payload)))
	digest := sha256.Sum256(append(pae, payload...))
	var sigs []dsseSignature
	for _, sg := range env.Signatures {
		raw, err := base64.StdEncoding.DecodeString(sg.Sig)
		if err != nil {
			return nil, fmt.Errorf("a signature is not base64")
		}
		var by *x509.Certificate
		for _, c := range certs {
			if pub, ok := c.PublicKey.(*ecdsa.PublicKey); ok && ecdsa.VerifyASN1(pub, digest[:], raw) {
				by = c
				break
			}
		}
		if by == nil {
			return nil, fmt.Errorf("could not verify envelope: no verifier matches signature")
		}
		pemCert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: by.Raw})
		sigs = append(sigs, dsseSignature{Signature: sg.Sig, Verifier: base64.StdEncoding.EncodeToString(pemCert)})
	}
	// Sorted by signature, as Rekor canonicalizes.
	sort.Slice(sigs, func(i, j int) bool { return sigs[i].Signature < sigs[j].Signature })
	ph := sha256.Sum256(payload)
	eh := sha256.Sum256([]byte(pc.Envelope))
	return json.Marshal(dsseBody{
		APIVersion: "0.0.1",
		Kind:       "dsse",
		Spec: dsseSpec{
			EnvelopeHash: hashValue{"sha256", hex.EncodeToString(eh[:])},
			PayloadHash:  hashValue{"sha256", hex.EncodeToString(ph[:])},
			Signatures:   sigs,
		},
	})
}
