package attest

import (
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
)

// Verifier checks PEP 740 attestations locally the way the index will
// (pypi-attestations' Attestation.verify under Warehouse), so that a
// mismatch is found before anything is uploaded, not as a 400 mid-release.
// It is safe for concurrent use.
type Verifier struct {
	v *verify.Verifier
}

// NewVerifier returns a Verifier trusting trustedRootJSON (a Sigstore
// trusted_root.json; nil means PublicGoodTrustedRoot). It requires what
// PyPI's verifier requires: a certificate chaining to a Fulcio CA of the
// root, at least one valid embedded SCT, one Rekor entry with a verified
// inclusion proof (checkpoint signed by the log) or signed entry timestamp,
// and the entry's integrated time inside the certificate's validity.
func NewVerifier(trustedRootJSON []byte) (*Verifier, error) {
	if trustedRootJSON == nil {
		trustedRootJSON = PublicGoodTrustedRoot
	}
	tr, err := parseTrustedRoot(trustedRootJSON)
	if err != nil {
		return nil, errorf(ReasonConfig, "", err, "the Sigstore trusted root does not parse: "+err.Error())
	}
	v, err := verify.NewVerifier(tr,
		verify.WithSignedCertificateTimestamps(1),
		verify.WithTransparencyLog(1),
		verify.WithIntegratedTimestamps(1))
	if err != nil {
		return nil, errorf(ReasonConfig, "", err, "cannot build a verifier from the trusted root: "+err.Error())
	}
	return &Verifier{v: v}, nil
}

func parseTrustedRoot(data []byte) (*root.TrustedRoot, error) {
	return root.NewTrustedRootFromJSON(data)
}

// Verified is what a successful verification established.
type Verified struct {
	PredicateType string
	LogIndex      int64 // of the Rekor entry
	Certificate   *x509.Certificate
}

// Verify checks att against the file filename whose sha256 is sha256hex
// and the identity p demands: the Sigstore checks (chain, SCT, inclusion,
// integrated time, DSSE signature), then one subject whose parsed filename
// equals filename's (name, version, build and tags, normalized, as
// packaging compares them) with that digest, a predicate type PyPI knows,
// and the certificate's identity (CheckIdentity). Failures are *Error
// values with ReasonVerification or ReasonIdentityMismatch.
func (v *Verifier) Verify(att *Attestation, filename, sha256hex string, p *Publisher) (*Verified, error) {
	fail := func(err error, format string, args ...any) error {
		return errorf(ReasonVerification, filename, err, fmt.Sprintf(format, args...))
	}
	if att.Version != 1 {
		return nil, fail(nil, "the attestation's version is %d, PyPI accepts only 1", att.Version)
	}
	if len(att.VerificationMaterial.TransparencyEntries) == 0 {
		return nil, fail(nil, "the attestation has no transparency log entry")
	}
	cert, err := x509.ParseCertificate(att.VerificationMaterial.Certificate)
	if err != nil {
		return nil, fail(err, "the attestation's certificate does not parse: %v", err)
	}
	st, err := parseStatement(att.Envelope.Statement)
	if err != nil {
		return nil, fail(err, "%v", err)
	}
	subject := st.Subject[0]
	if err := sameDistribution(subject.Name, filename); err != nil {
		return nil, fail(err, "%v", err)
	}
	digest, err := hex.DecodeString(sha256hex)
	if err != nil || len(digest) != 32 {
		return nil, fail(err, "the file's sha256 %q is not a hex SHA-256 digest", sha256hex)
	}
	if got := subject.Digest["sha256"]; got != strings.ToLower(sha256hex) {
		return nil, fail(nil, "the attestation is for a file with sha256 %s, not this file (sha256 %s): it was made for other contents", orNone(got), sha256hex)
	}
	if st.PredicateType != PublishPredicate && st.PredicateType != SLSAPredicate {
		return nil, fail(nil, "unknown attestation type %q (PyPI knows %s and %s)", st.PredicateType, PublishPredicate, SLSAPredicate)
	}
	// pypi-attestations converts the first transparency entry only.
	entry := &protorekor.TransparencyLogEntry{}
	if err := protojson.Unmarshal(att.VerificationMaterial.TransparencyEntries[0], entry); err != nil {
		return nil, fail(err, "the transparency log entry is malformed: %v", err)
	}
	pb := &protobundle.Bundle{
		MediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content:     &protobundle.VerificationMaterial_Certificate{Certificate: &protocommon.X509Certificate{RawBytes: att.VerificationMaterial.Certificate}},
			TlogEntries: []*protorekor.TransparencyLogEntry{entry},
		},
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{
			Payload:     att.Envelope.Statement,
			PayloadType: PayloadType,
			Signatures:  []*protodsse.Signature{{Sig: att.Envelope.Signature}},
		}},
	}
	b, err := bundle.NewBundle(pb)
	if err != nil {
		return nil, fail(err, "the attestation does not form a Sigstore bundle: %v", err)
	}
	if _, err := v.v.Verify(b, verify.NewPolicy(verify.WithArtifactDigest("sha256", digest), verify.WithoutIdentitiesUnsafe())); err != nil {
		return nil, fail(err, "Sigstore verification failed: %v", err)
	}
	if err := CheckIdentity(cert, p); err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.File = filename
		}
		return nil, err
	}
	idx, err := entryLogIndex(att.VerificationMaterial.TransparencyEntries[0])
	if err != nil {
		return nil, fail(err, "%v", err)
	}
	return &Verified{PredicateType: st.PredicateType, LogIndex: idx, Certificate: cert}, nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// sameDistribution compares two distribution filenames as
// pypi-attestations does: both must parse, and parse to the same
// (name, version[, build, tags]) after packaging's normalization, so that
// "Foo-1.0.tar.gz" and "foo-1.0.tar.gz" match but another version does not.
func sameDistribution(subject, filename string) error {
	a, err := parsedDistName(subject)
	if err != nil {
		return fmt.Errorf("the attestation's subject %q is not a distribution filename: %v", subject, err)
	}
	b, err := parsedDistName(filename)
	if err != nil {
		return fmt.Errorf("%q is not a distribution filename: %v", filename, err)
	}
	if a != b {
		return fmt.Errorf("the attestation's subject %s is another distribution than %s", subject, filename)
	}
	return nil
}

// parsedDistName is packaging's parse_wheel_filename / parse_sdist_filename
// result, rendered as a comparable string.
func parsedDistName(name string) (string, error) {
	if strings.HasSuffix(name, ".whl") {
		w, err := dist.ParseWheelFilename(name)
		if err != nil {
			return "", err
		}
		v, err := dist.NormalizeVersion(w.Version)
		if err != nil {
			return "", err
		}
		tags := w.Tags()
		slices.Sort(tags)
		tags = slices.Compact(tags)
		build := ""
		if w.Build != "" {
			// packaging's BuildTag: (int(leading digits), rest).
			i := strings.IndexFunc(w.Build, func(r rune) bool { return r < '0' || r > '9' })
			if i < 0 {
				i = len(w.Build)
			}
			build = strings.TrimLeft(w.Build[:i], "0") + "|" + w.Build[i:]
		}
		return "wheel|" + dist.NormalizeName(w.Name) + "|" + v + "|" + build + "|" + strings.Join(tags, ","), nil
	}
	if strings.HasSuffix(name, ".tar.gz") || strings.HasSuffix(name, ".zip") {
		s, err := dist.ParseSdistFilename(name)
		if err != nil {
			return "", err
		}
		v, err := dist.NormalizeVersion(s.Version)
		if err != nil {
			return "", err
		}
		return "sdist|" + dist.NormalizeName(s.Name) + "|" + v, nil
	}
	return "", errors.New("unknown distribution format (not .whl, .tar.gz or .zip)")
}
