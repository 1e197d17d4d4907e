package attest

import "errors"

// Reason says why a file got no attestation. Callers switch on it; the
// *Error's text is for people.
type Reason string

// Reasons.
const (
	// ReasonDisabled: mode never.
	ReasonDisabled Reason = "disabled"
	// ReasonNotTrustedPublishing: the upload credential is an API token;
	// PyPI accepts attestations only with a trusted-publishing token.
	ReasonNotTrustedPublishing Reason = "not-trusted-publishing"
	// ReasonUnsupportedPublisher: the trusted publisher has no attestation
	// identity on PyPI (only GitHub, GitLab and Google have one), or its
	// claims do not say which it is.
	ReasonUnsupportedPublisher Reason = "unsupported-publisher"
	// ReasonReusableWorkflow: the job runs in a GitHub reusable workflow;
	// the certificate would name the caller workflow, which is not the one
	// the trusted publisher matched.
	ReasonReusableWorkflow Reason = "reusable-workflow"
	// ReasonIdentityToken: no identity token with audience sigstore.
	ReasonIdentityToken Reason = "identity-token"
	// ReasonFulcio: Fulcio was unreachable, failed or refused.
	ReasonFulcio Reason = "fulcio"
	// ReasonRekor: Rekor was unreachable, failed or refused.
	ReasonRekor Reason = "rekor"
	// ReasonVerification: the attestation does not verify (chain, SCT,
	// transparency log, signature, subject).
	ReasonVerification Reason = "verification"
	// ReasonIdentityMismatch: the certificate's identity is not the one the
	// index's trusted publisher demands.
	ReasonIdentityMismatch Reason = "identity-mismatch"
	// ReasonInvalidProvided: a provided bundle or attestation file is not
	// usable (unreadable, not a bundle, not for this file).
	ReasonInvalidProvided Reason = "invalid-provided"
	// ReasonConfig: a setting is wrong (URL, trusted root).
	ReasonConfig Reason = "config"
	// ReasonOnIndex: the index already holds the file (same sha256), so it
	// is not uploaded again and needs no new attestation.
	ReasonOnIndex Reason = "on-index"
)

// Error is a failure to attest, for one file or for the whole release.
// Error() is a complete sentence naming the file (when there is one), what
// failed and what to do.
type Error struct {
	Reason Reason
	File   string // "" for the whole release
	Msg    string
	Err    error
}

func (e *Error) Error() string {
	s := "attestations"
	if e.File != "" {
		s += " for " + e.File
	}
	return s + ": " + e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// ReasonOf returns the Reason of err if it is (or wraps) an *Error, or "".
func ReasonOf(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

func errorf(reason Reason, file string, err error, msg string) *Error {
	return &Error{Reason: reason, File: file, Msg: msg, Err: err}
}
