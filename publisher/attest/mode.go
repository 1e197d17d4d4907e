package attest

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/goreleaser-pypi/goreleaser-pypi/config"
)

// Mode is the `attestations` setting (--attestations).
type Mode string

// Modes.
const (
	// Auto attests when the upload credential is a trusted-publishing token
	// from GitHub, GitLab or Google, and never turns a publishable release
	// into a failure: whatever goes wrong with Sigstore becomes a reason,
	// and the files are uploaded without attestations.
	Auto Mode = config.AttestationsAuto
	// Always attests every file or fails the release before any upload.
	Always Mode = config.AttestationsAlways
	// Never attests nothing and makes no Sigstore request.
	Never Mode = config.AttestationsNever
)

// ParseMode parses an `attestations` value; "" is Auto. Booleans are
// accepted as gh-action-pypi-publish spells them: true = auto, false =
// never.
func ParseMode(s string) (Mode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto", "true":
		return Auto, nil
	case "always":
		return Always, nil
	case "never", "false":
		return Never, nil
	}
	return "", fmt.Errorf("invalid attestations mode %q: use auto, always or never", s)
}

// Credential is what the upload credential says about attesting.
type Credential struct {
	// TrustedPublishing is true when the upload token was minted by trusted
	// publishing (an API token: false).
	TrustedPublishing bool
	// Claims are those of the identity token exchanged for the upload
	// token: they say which trusted publisher the index matched, and so the
	// identity it will demand of the attestations.
	Claims map[string]any
	// IdentityToken returns an identity token with audience "sigstore" from
	// the same CI identity (GitHub: ACTIONS_ID_TOKEN_REQUEST_URL with
	// &audience=sigstore; GitLab: SIGSTORE_ID_TOKEN; Google: the metadata
	// server). Called at most once per Attest, only when a file is signed.
	IdentityToken func(ctx context.Context) (string, error)
}

// Decision is what Decide concluded.
type Decision struct {
	// Attest: sign and verify. Publisher is then the identity demanded.
	Attest    bool
	Publisher *Publisher
	// Skip is why not, when Attest is false (an *Error).
	Skip *Error
}

// Decide applies the mode to the credential, before any Sigstore request:
//   - never: no attestations (Skip has ReasonDisabled);
//   - auto: attest only with a trusted-publishing token whose publisher has
//     an attestation identity on PyPI (GitHub, GitLab, Google) and whose
//     certificate will match it (not a GitHub reusable workflow); otherwise
//     Skip says why;
//   - always: the same conditions, but unmet ones are an error (an *Error)
//     for the caller to stop the release with, before any upload.
func Decide(mode Mode, cred Credential) (Decision, error) {
	mode, err := ParseMode(string(mode))
	if err != nil {
		return Decision{}, errorf(ReasonConfig, "", err, err.Error())
	}
	if mode == Never {
		return Decision{Skip: errorf(ReasonDisabled, "", nil, "off (attestations: never)")}, nil
	}
	skip := func(e *Error) (Decision, error) {
		if mode == Always {
			e.Msg += "; attestations are required (attestations: always), so nothing was uploaded"
			return Decision{}, e
		}
		return Decision{Skip: e}, nil
	}
	if !cred.TrustedPublishing {
		return skip(errorf(ReasonNotTrustedPublishing, "", nil,
			"not generated: the upload uses an API token, and the index accepts attestations only with trusted publishing "+
				"(it would answer 400 \"Attestations are only supported when using Trusted Publishing\")"))
	}
	p, err := PublisherFromClaims(cred.Claims)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			e = errorf(ReasonUnsupportedPublisher, "", err, err.Error())
		}
		e.Msg = "not generated: " + e.Msg
		return skip(e)
	}
	return Decision{Attest: true, Publisher: p}, nil
}

// Status is a file's attestation outcome.
type Status string

// Statuses.
const (
	StatusAttested Status = "attested" // verified attestation attached
	StatusSkipped  Status = "skipped"  // not attempted: mode, credential or publisher
	StatusFailed   Status = "failed"   // attempted, and Sigstore or verification failed
)

// Result is one file's attestation outcome, for every report (log, JSON
// files[].attestation, step summary). Its JSON is
// {"status":"attested"|"skipped"|"failed","reason":…,"rekor_log_index":N}.
type Result struct {
	Status Status `json:"status"`
	// Reason says why not attested (empty when attested).
	Reason string `json:"reason,omitempty"`
	// RekorLogIndex is the publish attestation's Rekor entry (nil unless
	// attested).
	RekorLogIndex *int64 `json:"rekor_log_index,omitempty"`

	// Code is Reason's machine form.
	Code Reason `json:"-"`
	// Err is the failure, when not attested.
	Err error `json:"-"`
	// Attestations are the verified attestations (one per predicate type),
	// and Field their upload form value (a JSON array) for the
	// `attestations` field; empty unless attested.
	Attestations []*Attestation `json:"-"`
	Field        string         `json:"-"`
}

func skippedResult(e *Error, status Status) *Result {
	return &Result{Status: status, Reason: e.Msg, Code: e.Reason, Err: e}
}
