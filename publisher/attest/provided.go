package attest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"google.golang.org/protobuf/encoding/protojson"
)

// ProvidedSuffix is the name suffix of a publish attestation file next to a
// distribution, as pypa/gh-action-pypi-publish writes it and twine reads it.
const ProvidedSuffix = ".publish.attestation"

// maxProvided bounds a provided attestation or bundle file.
const maxProvided = 4 << 20

// Provided is an existing attestation for a file: a PEP 740 attestation
// object (a `.publish.attestation` file) or a Sigstore bundle (JSON, media
// types v0.1 to v0.3) holding a DSSE in-toto statement.
type Provided struct {
	Data []byte
	From string // where it came from (a path), for messages
}

// FindProvided returns the `<dist>.publish.attestation` file next to the
// distribution at distPath, or nil when there is none.
func FindProvided(distPath string) (*Provided, error) {
	p := distPath + ProvidedSuffix
	data, err := readLimited(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, errorf(ReasonInvalidProvided, "", err, "reading "+p+": "+err.Error())
	}
	return &Provided{Data: data, From: p}, nil
}

// ReadProvided reads an attestation or bundle file (--attestation-file).
func ReadProvided(path string) (*Provided, error) {
	data, err := readLimited(path)
	if err != nil {
		return nil, errorf(ReasonInvalidProvided, "", err, "reading the attestation file "+path+": "+err.Error())
	}
	return &Provided{Data: data, From: path}, nil
}

func readLimited(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if st.Size() > maxProvided {
		return nil, fmt.Errorf("%s is %d bytes, more than an attestation can be (%d)", path, st.Size(), maxProvided)
	}
	return os.ReadFile(path)
}

// ParseProvided reads a PEP 740 attestation object or converts a Sigstore
// bundle to one: the leaf certificate, the first transparency log entry
// (proto3 JSON with every field, as pypi-attestations writes them), the
// DSSE payload and its single signature.
func ParseProvided(data []byte) (*Attestation, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("not JSON: %v", err)
	}
	if _, ok := probe["verification_material"]; ok {
		dec := json.NewDecoder(bytes.NewReader(data))
		var att Attestation
		if err := dec.Decode(&att); err != nil {
			return nil, fmt.Errorf("not a PEP 740 attestation object: %v", err)
		}
		if att.Version != 1 {
			return nil, fmt.Errorf("a PEP 740 attestation of version %d; only version 1 exists", att.Version)
		}
		if len(att.VerificationMaterial.Certificate) == 0 || len(att.Envelope.Statement) == 0 || len(att.Envelope.Signature) == 0 {
			return nil, errors.New("a PEP 740 attestation without certificate, statement or signature")
		}
		return &att, nil
	}
	if _, ok := probe["mediaType"]; !ok {
		return nil, errors.New("neither a PEP 740 attestation (no verification_material) nor a Sigstore bundle (no mediaType)")
	}
	var b bundle.Bundle
	if err := b.UnmarshalJSON(data); err != nil {
		return nil, fmt.Errorf("not a valid Sigstore bundle: %v", err)
	}
	env := b.GetDsseEnvelope()
	if env == nil {
		return nil, errors.New("the Sigstore bundle holds a plain signature (sigstore sign, cosign sign-blob), not an attestation: " +
			"PyPI needs a DSSE in-toto statement about the file (sigstore attest, actions/attest)")
	}
	if env.PayloadType != PayloadType {
		return nil, fmt.Errorf("the bundle's DSSE payload type is %q, not %q", env.PayloadType, PayloadType)
	}
	if len(env.Signatures) != 1 {
		return nil, fmt.Errorf("the bundle's envelope has %d signatures; PEP 740 carries exactly one", len(env.Signatures))
	}
	vm := b.GetVerificationMaterial()
	var cert []byte
	switch {
	case vm.GetCertificate() != nil:
		cert = vm.GetCertificate().GetRawBytes()
	case vm.GetX509CertificateChain() != nil && len(vm.GetX509CertificateChain().GetCertificates()) > 0:
		cert = vm.GetX509CertificateChain().GetCertificates()[0].GetRawBytes()
	default:
		return nil, errors.New("the bundle is signed with a public key, not a Fulcio certificate; PEP 740 needs a certificate")
	}
	if len(vm.GetTlogEntries()) == 0 {
		return nil, errors.New("the bundle has no transparency log entry")
	}
	tle, err := protojson.MarshalOptions{EmitUnpopulated: true}.Marshal(vm.GetTlogEntries()[0])
	if err != nil {
		return nil, err
	}
	return &Attestation{
		Version:              1,
		VerificationMaterial: VerificationMaterial{Certificate: cert, TransparencyEntries: []json.RawMessage{tle}},
		Envelope:             Envelope{Statement: env.Payload, Signature: env.Signatures[0].Sig},
	}, nil
}
