package attest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// Wire constants of PEP 740 publish attestations.
const (
	// StatementType is the in-toto statement version PyPI accepts.
	StatementType = "https://in-toto.io/Statement/v1"
	// PublishPredicate is PyPI's publish attestation predicate type.
	PublishPredicate = "https://docs.pypi.org/attestations/publish/v1"
	// SLSAPredicate is the other predicate type PyPI accepts.
	SLSAPredicate = "https://slsa.dev/provenance/v1"
	// PayloadType is the DSSE payload type of an in-toto statement.
	PayloadType = "application/vnd.in-toto+json"
)

// Attestation is a PEP 740 attestation object: what a `.publish.attestation`
// file holds and what the upload's `attestations` field carries (in a JSON
// array). Byte fields are standard base64 on the wire.
type Attestation struct {
	Version              int                  `json:"version"`
	VerificationMaterial VerificationMaterial `json:"verification_material"`
	Envelope             Envelope             `json:"envelope"`
}

// VerificationMaterial is the signing certificate and the transparency log
// entries of one attestation.
type VerificationMaterial struct {
	// Certificate is the DER leaf certificate.
	Certificate []byte `json:"certificate"`
	// TransparencyEntries are Sigstore TransparencyLogEntry messages in
	// proto3 JSON (camelCase keys, int64 as strings, bytes as base64).
	TransparencyEntries []json.RawMessage `json:"transparency_entries"`
}

// Envelope is the DSSE envelope, flattened: the statement (the DSSE
// payload, exact bytes) and its one signature (DER ECDSA).
type Envelope struct {
	Statement []byte `json:"statement"`
	Signature []byte `json:"signature"`
}

// statement renders the publish statement for one file. The bytes are
// exactly what pypi-attestations signs: the key order, no spaces,
// "predicate":null. The filename is JSON-escaped without HTML escaping.
func statement(filename, sha256hex string) ([]byte, error) {
	var name bytes.Buffer
	enc := json.NewEncoder(&name)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(filename); err != nil {
		return nil, err
	}
	return []byte(`{"_type":"` + StatementType + `","subject":[{"name":` + string(bytes.TrimSpace(name.Bytes())) +
		`,"digest":{"sha256":"` + sha256hex + `"}}],"predicateType":"` + PublishPredicate + `","predicate":null}`), nil
}

// pae is DSSE's pre-authentication encoding, the bytes actually signed.
func pae(payloadType string, payload []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "DSSEv1 %d %s %d ", len(payloadType), payloadType, len(payload))
	b.Write(payload)
	return b.Bytes()
}

// parsedStatement is the part of an in-toto statement the checks read.
type parsedStatement struct {
	Type          string `json:"_type"`
	PredicateType string `json:"predicateType"`
	Subject       []struct {
		Name   string            `json:"name"`
		Digest map[string]string `json:"digest"`
	} `json:"subject"`
}

func parseStatement(raw []byte) (*parsedStatement, error) {
	var st parsedStatement
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, fmt.Errorf("the statement is not JSON: %w", err)
	}
	if st.Type != StatementType {
		return nil, fmt.Errorf("the statement's _type is %q, not %q", st.Type, StatementType)
	}
	if len(st.Subject) != 1 {
		return nil, fmt.Errorf("the statement has %d subjects, PyPI requires exactly one", len(st.Subject))
	}
	if st.Subject[0].Name == "" {
		return nil, errors.New("the statement's subject has no name")
	}
	return &st, nil
}

// tlogEntry is a Rekor v1 TransparencyLogEntry in proto3 JSON, as
// protojson writes it with EmitUnpopulated (PyPI's samples have every key).
type tlogEntry struct {
	LogIndex          string          `json:"logIndex"`
	LogID             tlogLogID       `json:"logId"`
	KindVersion       tlogKindVersion `json:"kindVersion"`
	IntegratedTime    string          `json:"integratedTime"`
	InclusionPromise  *tlogPromise    `json:"inclusionPromise,omitempty"`
	InclusionProof    *tlogProof      `json:"inclusionProof,omitempty"`
	CanonicalizedBody []byte          `json:"canonicalizedBody"`
}

type tlogLogID struct {
	KeyID []byte `json:"keyId"`
}

type tlogKindVersion struct {
	Kind    string `json:"kind"`
	Version string `json:"version"`
}

type tlogPromise struct {
	SignedEntryTimestamp []byte `json:"signedEntryTimestamp"`
}

type tlogProof struct {
	LogIndex   string         `json:"logIndex"`
	RootHash   []byte         `json:"rootHash"`
	TreeSize   string         `json:"treeSize"`
	Hashes     [][]byte       `json:"hashes"`
	Checkpoint tlogCheckpoint `json:"checkpoint"`
}

type tlogCheckpoint struct {
	Envelope string `json:"envelope"`
}

// entryLogIndex reads logIndex from a transparency entry (proto3 JSON
// writes int64 as a string; a number is accepted too).
func entryLogIndex(raw json.RawMessage) (int64, error) {
	var e struct {
		LogIndex json.RawMessage `json:"logIndex"`
	}
	if err := json.Unmarshal(raw, &e); err != nil {
		return 0, fmt.Errorf("the transparency log entry is not a JSON object: %w", err)
	}
	s := string(bytes.Trim(e.LogIndex, `"`))
	if s == "" {
		return 0, nil // proto3 JSON leaves a zero index out
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("the transparency log entry's logIndex %s is not an integer", e.LogIndex)
	}
	return n, nil
}

// FormValue renders attestations as the upload form field `attestations`:
// a JSON array, one object per predicate type.
func FormValue(atts ...*Attestation) (string, error) {
	if len(atts) == 0 {
		return "", errors.New("no attestation to send: omit the attestations field instead (PyPI refuses an empty list)")
	}
	b, err := json.Marshal(atts)
	if err != nil {
		return "", err
	}
	return string(b), nil
}
