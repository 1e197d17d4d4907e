package attest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// rekor records DSSE envelopes in a Rekor v1 transparency log
// (POST /api/v1/log/entries, kind "dsse" 0.0.1).
type rekor struct {
	url string
	req *requester
}

// logEntry is Rekor v1's LogEntryAnon.
type logEntry struct {
	Body           string `json:"body"`
	IntegratedTime int64  `json:"integratedTime"`
	LogID          string `json:"logID"`
	LogIndex       int64  `json:"logIndex"`
	Verification   *struct {
		InclusionProof *struct {
			Checkpoint string   `json:"checkpoint"`
			Hashes     []string `json:"hashes"`
			LogIndex   int64    `json:"logIndex"`
			RootHash   string   `json:"rootHash"`
			TreeSize   int64    `json:"treeSize"`
		} `json:"inclusionProof"`
		SignedEntryTimestamp string `json:"signedEntryTimestamp"`
	} `json:"verification"`
}

// record logs the envelope (statement and signature) signed with the key
// of certDER and returns the entry as a TransparencyLogEntry in proto3
// JSON, with its inclusion proof, checkpoint and signed entry timestamp.
func (r *rekor) record(ctx context.Context, file string, stmt, sig, certDER []byte) (json.RawMessage, int64, error) {
	env, err := json.Marshal(map[string]any{
		"payloadType": PayloadType,
		"payload":     base64.StdEncoding.EncodeToString(stmt),
		"signatures":  []map[string]string{{"keyid": "", "sig": base64.StdEncoding.EncodeToString(sig)}},
	})
	if err != nil {
		return nil, 0, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certDER})
	body, err := json.Marshal(map[string]any{
		"apiVersion": "0.0.1",
		"kind":       "dsse",
		"spec": map[string]any{
			"proposedContent": map[string]any{
				"envelope":  string(env),
				"verifiers": []string{base64.StdEncoding.EncodeToString(certPEM)},
			},
		},
	})
	if err != nil {
		return nil, 0, err
	}
	target := r.url + "/api/v1/log/entries"
	a, attempts, err := r.req.do(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		return req, nil
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, 0, err
		}
		return nil, 0, errorf(ReasonRekor, file, err, fmt.Sprintf("cannot reach Rekor at %s after %s: %v; check the network and https://status.sigstore.dev",
			r.url, plural(attempts, "attempt"), err))
	}
	var uuid string
	var entry *logEntry
	switch a.status {
	case http.StatusCreated, http.StatusOK:
		uuid, entry, err = r.parse(a.body)
	case http.StatusConflict:
		// An earlier attempt was logged but its answer lost: fetch it.
		loc := a.header.Get("Location")
		if loc == "" {
			return nil, 0, errorf(ReasonRekor, file, nil, "Rekor answered 409 Conflict without the existing entry's Location")
		}
		uuid, entry, err = r.fetch(ctx, loc)
	default:
		msg := fmt.Sprintf("Rekor at %s refused the entry with %d %s: %s", r.url, a.status, http.StatusText(a.status), snippet(a.body))
		if a.status >= 500 || a.status == http.StatusTooManyRequests {
			msg += fmt.Sprintf(" after %s; see https://status.sigstore.dev", plural(attempts, "attempt"))
		}
		return nil, 0, errorf(ReasonRekor, file, nil, msg)
	}
	if err != nil {
		return nil, 0, errorf(ReasonRekor, file, err, err.Error())
	}
	// Rekor v1 answers with the inclusion proof once the entry is in the
	// tree; an answer without one is completed by reading the entry back.
	for i := 1; entry.Verification == nil || entry.Verification.InclusionProof == nil; i++ {
		if i > max(r.req.retry.Attempts, 1) {
			return nil, 0, errorf(ReasonRekor, file, nil, "Rekor logged the entry "+uuid+" but gave no inclusion proof for it")
		}
		if err := r.req.sleep(ctx, r.req.retry.Backoff(i)); err != nil {
			return nil, 0, err
		}
		if _, entry, err = r.fetch(ctx, "/api/v1/log/entries/"+url.PathEscape(uuid)); err != nil {
			return nil, 0, errorf(ReasonRekor, file, err, err.Error())
		}
	}
	tle, err := toTransparencyEntry(entry)
	if err != nil {
		return nil, 0, errorf(ReasonRekor, file, err, "Rekor's entry "+uuid+" is malformed: "+err.Error())
	}
	return tle, entry.LogIndex, nil
}

// parse reads an answer {"<uuid>": LogEntryAnon}.
func (r *rekor) parse(body []byte) (string, *logEntry, error) {
	var m map[string]*logEntry
	if err := json.Unmarshal(body, &m); err != nil || len(m) != 1 {
		return "", nil, fmt.Errorf("Rekor's answer is not one log entry: %s", snippet(body))
	}
	for uuid, e := range m {
		if e == nil {
			break
		}
		return uuid, e, nil
	}
	return "", nil, fmt.Errorf("Rekor's answer is not one log entry: %s", snippet(body))
}

// fetch reads one entry back (GET), from a Location path on the same log.
func (r *rekor) fetch(ctx context.Context, loc string) (string, *logEntry, error) {
	base, err := url.Parse(r.url + "/")
	if err != nil {
		return "", nil, err
	}
	ref, err := url.Parse(loc)
	if err != nil {
		return "", nil, fmt.Errorf("Rekor's entry location %q is not a URL", loc)
	}
	target := base.ResolveReference(ref)
	if target.Host != base.Host || target.Scheme != base.Scheme {
		return "", nil, fmt.Errorf("Rekor's entry location %q is on another host", loc)
	}
	a, attempts, err := r.req.do(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target.String(), nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "application/json")
		return req, nil
	})
	if err != nil {
		return "", nil, fmt.Errorf("reading the log entry back from %s failed after %s: %w", target, plural(attempts, "attempt"), err)
	}
	if a.status != http.StatusOK {
		return "", nil, fmt.Errorf("reading the log entry back from %s: %d %s: %s", target, a.status, http.StatusText(a.status), snippet(a.body))
	}
	return r.parse(a.body)
}

// toTransparencyEntry converts Rekor v1's answer to the Sigstore
// TransparencyLogEntry message in proto3 JSON, the form PEP 740 carries:
// hex log ID, root hash and proof hashes become bytes (base64), int64
// values strings, and kindVersion comes from the canonicalized body.
func toTransparencyEntry(e *logEntry) (json.RawMessage, error) {
	body, err := base64.StdEncoding.DecodeString(e.Body)
	if err != nil {
		return nil, fmt.Errorf("the body is not base64: %w", err)
	}
	var kv struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := json.Unmarshal(body, &kv); err != nil || kv.Kind == "" || kv.APIVersion == "" {
		return nil, fmt.Errorf("the body has no kind and apiVersion")
	}
	logID, err := hex.DecodeString(e.LogID)
	if err != nil || len(logID) == 0 {
		return nil, fmt.Errorf("the log ID %q is not hex", e.LogID)
	}
	set, err := base64.StdEncoding.DecodeString(e.Verification.SignedEntryTimestamp)
	if err != nil {
		return nil, fmt.Errorf("the signed entry timestamp is not base64: %w", err)
	}
	p := e.Verification.InclusionProof
	root, err := hex.DecodeString(p.RootHash)
	if err != nil {
		return nil, fmt.Errorf("the root hash %q is not hex", p.RootHash)
	}
	hashes := make([][]byte, 0, len(p.Hashes))
	for _, h := range p.Hashes {
		b, err := hex.DecodeString(h)
		if err != nil {
			return nil, fmt.Errorf("the proof hash %q is not hex", h)
		}
		hashes = append(hashes, b)
	}
	if strings.TrimSpace(p.Checkpoint) == "" {
		return nil, fmt.Errorf("the inclusion proof has no checkpoint")
	}
	t := tlogEntry{
		LogIndex:          strconv.FormatInt(e.LogIndex, 10),
		LogID:             tlogLogID{KeyID: logID},
		KindVersion:       tlogKindVersion{Kind: kv.Kind, Version: kv.APIVersion},
		IntegratedTime:    strconv.FormatInt(e.IntegratedTime, 10),
		CanonicalizedBody: body,
		InclusionProof: &tlogProof{
			LogIndex:   strconv.FormatInt(p.LogIndex, 10),
			RootHash:   root,
			TreeSize:   strconv.FormatInt(p.TreeSize, 10),
			Hashes:     hashes,
			Checkpoint: tlogCheckpoint{Envelope: p.Checkpoint},
		},
	}
	if len(set) > 0 {
		t.InclusionPromise = &tlogPromise{SignedEntryTimestamp: set}
	}
	return json.Marshal(t)
}
