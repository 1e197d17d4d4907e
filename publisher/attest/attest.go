// Package attest makes, checks and reports PEP 740 publish attestations.
//
// For one upload target, Attester.Attest takes the files about to be
// uploaded and the upload credential, and returns one Result per file:
// attested (a verified attestation, ready as the `attestations` form field),
// skipped (mode, credential or publisher say no) or failed (Sigstore or
// verification failed). Everything stays in memory: no sidecar file is
// written, so publishing to TestPyPI then PyPI in one run attests both
// (gh-action-pypi-publish #319).
//
// Signing is written on the standard library: an ephemeral ECDSA P-256
// key, ONE Fulcio certificate (v2 JSON API) for the whole release from an
// identity token with audience "sigstore", the in-toto statement signed as
// DSSE, one Rekor v1 "dsse" entry per file (concurrently, bounded), and
// the entry turned into a TransparencyLogEntry in proto3 JSON with its
// inclusion proof, checkpoint and signed entry timestamp. Requests are
// retried on connection errors, 5xx and 429 with the uploads' policy.
//
// Every attestation, signed here or provided (a `.publish.attestation` file
// or a Sigstore bundle), is verified locally before upload with
// sigstore-go against the trusted root (public-good, embedded, by default)
// and against the identity the index's trusted publisher demands
// (Verifier, CheckIdentity), so that a mismatch costs a warning, not a 400
// in the middle of a release.
//
// Modes (Decide): auto attests only with a trusted-publishing token from
// GitHub, GitLab or Google and never fails a publishable release; always
// fails before any upload when a file cannot be attested; never makes no
// Sigstore request at all.
package attest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/caarlos0/log"

	"github.com/goreleaser-pypi/goreleaser-pypi/internal/useragent"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/retry"
)

// Options configure an Attester.
type Options struct {
	Mode Mode // "" means Auto
	// FulcioURL and RekorURL point at another Sigstore (staging, a private
	// instance, a local fake); "" means the public-good defaults. https,
	// or plain http to a loopback host.
	FulcioURL, RekorURL string
	// TrustedRoot is a Sigstore trusted_root.json (ReadTrustedRoot for a
	// --trusted-root FILE); nil means PublicGoodTrustedRoot.
	TrustedRoot []byte
	// Concurrency bounds the Rekor entries created at once; 0 means
	// DefaultConcurrency.
	Concurrency int
	// Retry bounds the retries of each Fulcio and Rekor request; zero
	// Attempts means DefaultRetry.
	Retry retry.Policy
	// Timeout bounds one request; 0 means DefaultTimeout.
	Timeout time.Duration
	// HTTPClient sends the requests; nil means a default client. Redirects
	// are never followed.
	HTTPClient *http.Client
	Log        log.Interface // nil means no logging
	// UserAgent is sent with every request; "" means "goreleaser-pypi".
	UserAgent string
}

// Attester attests the files of upload targets. It is safe for concurrent
// use; each Attest call gets its own key and certificate.
type Attester struct {
	mode        Mode
	fulcio      *fulcio
	rekor       *rekor
	verifier    *Verifier
	concurrency int
	log         log.Interface
}

// New checks the options (URLs, trusted root) and returns an Attester. It
// makes no request. Its errors are configuration errors (ReasonConfig),
// whatever the mode: a wrong setting is reported, not silently skipped.
func New(opts Options) (*Attester, error) {
	mode, err := ParseMode(string(opts.Mode))
	if err != nil {
		return nil, errorf(ReasonConfig, "", err, err.Error())
	}
	fulcioURL, err := parseServiceURL("--fulcio-url", opts.FulcioURL, DefaultFulcioURL)
	if err != nil {
		return nil, errorf(ReasonConfig, "", err, err.Error())
	}
	rekorURL, err := parseServiceURL("--rekor-url", opts.RekorURL, DefaultRekorURL)
	if err != nil {
		return nil, errorf(ReasonConfig, "", err, err.Error())
	}
	a := &Attester{mode: mode, concurrency: opts.Concurrency, log: opts.Log}
	if a.concurrency <= 0 {
		a.concurrency = DefaultConcurrency
	}
	if a.log == nil {
		a.log = log.New(io.Discard)
	}
	if mode != Never {
		if a.verifier, err = NewVerifier(opts.TrustedRoot); err != nil {
			return nil, err
		}
	}
	policy := opts.Retry
	if policy.Attempts <= 0 {
		policy = DefaultRetry
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	client := newHTTPClient(opts.HTTPClient)
	newReq := func(service string) *requester {
		return &requester{service: service, client: client, retry: policy, timeout: timeout, sleep: retry.Sleep, userAgent: useragent.Or(opts.UserAgent)}
	}
	a.fulcio = &fulcio{url: fulcioURL, req: newReq("Fulcio")}
	a.rekor = &rekor{url: rekorURL, req: newReq("Rekor")}
	return a, nil
}

// Mode is the mode in force.
func (a *Attester) Mode() Mode { return a.mode }

// File is one distribution about to be uploaded.
type File struct {
	Filename string // the name it is uploaded under
	SHA256   string // lowercase hex
	// Provided are existing attestations for it (FindProvided,
	// ReadProvided): verified and sent instead of signing. A provided
	// publish attestation replaces signing; one of another predicate type
	// (SLSA provenance) is sent next to the signed one.
	Provided []*Provided
}

// Attest attests files for one upload target with cred, the target's
// upload credential. It returns a Result for every file (by filename).
//
// The error is nil in auto and never modes, whatever happened (the Results
// say it). In always mode it is an *Error naming the first file that could
// not be attested and how many could not, and the caller must stop before
// any upload. A cancelled ctx returns ctx.Err().
func (a *Attester) Attest(ctx context.Context, cred Credential, files []File) (map[string]*Result, error) {
	results := make(map[string]*Result, len(files))
	d, err := Decide(a.mode, cred)
	if err != nil {
		for _, f := range files {
			results[f.Filename] = skippedResult(err.(*Error), StatusFailed)
		}
		return results, err
	}
	if !d.Attest {
		for _, f := range files {
			results[f.Filename] = skippedResult(d.Skip, StatusSkipped)
		}
		switch d.Skip.Reason {
		case ReasonDisabled:
		case ReasonNotTrustedPublishing:
			a.log.WithField("reason", d.Skip.Msg).Info("uploading without attestations")
		default:
			a.log.WithField("reason", d.Skip.Msg).Warn("uploading without attestations")
		}
		return results, nil
	}

	// Provided attestations first: they may make signing unnecessary.
	have := make(map[string][]*Attestation, len(files))
	var toSign []File
	for _, f := range files {
		atts, needSign, err := a.checkProvided(f, d.Publisher)
		if err != nil {
			results[f.Filename] = a.failed(f.Filename, err)
			continue
		}
		have[f.Filename] = atts
		if needSign {
			toSign = append(toSign, f)
		} else {
			results[f.Filename] = a.attested(f.Filename, atts)
		}
	}
	if len(toSign) > 0 {
		signed, err := a.sign(ctx, cred, d.Publisher, toSign)
		if ctx.Err() != nil {
			return results, ctx.Err()
		}
		for _, f := range toSign {
			e := err
			if e == nil {
				e = signed[f.Filename].err
			}
			if e != nil {
				results[f.Filename] = a.failed(f.Filename, e)
				continue
			}
			results[f.Filename] = a.attested(f.Filename, append([]*Attestation{signed[f.Filename].att}, have[f.Filename]...))
		}
	}
	if a.mode == Always {
		return results, alwaysError(files, results)
	}
	return results, nil
}

// alwaysError is the first failure in file order, counting the others.
func alwaysError(files []File, results map[string]*Result) error {
	var first *Result
	n := 0
	for _, f := range files {
		if r := results[f.Filename]; r.Status != StatusAttested {
			n++
			if first == nil {
				first = r
			}
		}
	}
	if first == nil {
		return nil
	}
	var e *Error
	if !errors.As(first.Err, &e) {
		e = errorf(ReasonVerification, "", first.Err, first.Reason)
	}
	out := *e
	if n > 1 {
		out.Msg += fmt.Sprintf(" (and %d more files could not be attested)", n-1)
	}
	out.Msg += "; attestations are required (attestations: always), so nothing was uploaded"
	return &out
}

func (a *Attester) failed(file string, err error) *Result {
	var e *Error
	if !errors.As(err, &e) {
		e = errorf(ReasonVerification, file, err, err.Error())
	}
	a.log.WithField("file", file).WithField("reason", e.Msg).Warn("no attestation")
	return &Result{Status: StatusFailed, Reason: e.Msg, Code: e.Reason, Err: err}
}

func (a *Attester) attested(file string, atts []*Attestation) *Result {
	r := &Result{Status: StatusAttested, Attestations: atts}
	field, err := FormValue(atts...)
	if err != nil {
		return a.failed(file, err)
	}
	r.Field = field
	if idx, err := entryLogIndex(atts[0].VerificationMaterial.TransparencyEntries[0]); err == nil {
		r.RekorLogIndex = &idx
	}
	l := a.log.WithField("file", file)
	if r.RekorLogIndex != nil {
		l = l.WithField("rekor_log_index", *r.RekorLogIndex)
	}
	l.Info("attested")
	return r
}

// checkProvided verifies f's provided attestations and says whether a
// publish attestation must still be signed. Publish ones come first.
func (a *Attester) checkProvided(f File, p *Publisher) ([]*Attestation, bool, error) {
	var publish, other []*Attestation
	seen := map[string]string{}
	for _, pr := range f.Provided {
		att, err := ParseProvided(pr.Data)
		if err != nil {
			return nil, false, errorf(ReasonInvalidProvided, f.Filename, err, pr.From+": "+err.Error())
		}
		v, err := a.verifier.Verify(att, f.Filename, f.SHA256, p)
		if err != nil {
			var e *Error
			if errors.As(err, &e) {
				e.Msg = pr.From + ": " + e.Msg
			}
			return nil, false, err
		}
		if prev, dup := seen[v.PredicateType]; dup {
			return nil, false, errorf(ReasonInvalidProvided, f.Filename, nil, fmt.Sprintf(
				"%s and %s are both %s attestations; the index accepts one per predicate type", prev, pr.From, v.PredicateType))
		}
		seen[v.PredicateType] = pr.From
		if v.PredicateType == PublishPredicate {
			publish = append(publish, att)
		} else {
			other = append(other, att)
		}
	}
	return append(publish, other...), len(publish) == 0, nil
}

// signedFile is one file's signing outcome.
type signedFile struct {
	att *Attestation
	err error
}

// sign makes one certificate for the release and one verified publish
// attestation per file. The error concerns all files (identity token,
// Fulcio, certificate identity); per-file failures are in the map.
func (a *Attester) sign(ctx context.Context, cred Credential, p *Publisher, files []File) (map[string]*signedFile, error) {
	if cred.IdentityToken == nil {
		return nil, errorf(ReasonIdentityToken, "", nil, "no way to obtain an identity token with audience \"sigstore\" from the CI provider")
	}
	jwt, err := cred.IdentityToken(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, errorf(ReasonIdentityToken, "", err, "no identity token with audience \"sigstore\": "+firstLine(err.Error()))
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	certDER, err := a.fulcio.certificate(ctx, key, jwt)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(certDER)
	if err != nil {
		return nil, errorf(ReasonFulcio, "", err, "Fulcio's certificate does not parse: "+err.Error())
	}
	// Check the identity now: a certificate the index will refuse is not
	// worth a transparency log entry per file.
	if err := CheckIdentity(cert, p); err != nil {
		return nil, err
	}
	a.log.WithField("identity", certIdentity(cert)).WithField("valid_until", cert.NotAfter.UTC().Format(time.RFC3339)).
		WithField("took", time.Since(start).Round(time.Millisecond)).Info("got signing certificate from Fulcio")

	out := make(map[string]*signedFile, len(files))
	var mu sync.Mutex
	sem := make(chan struct{}, a.concurrency)
	var wg sync.WaitGroup
	for _, f := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				mu.Lock()
				out[f.Filename] = &signedFile{err: ctx.Err()}
				mu.Unlock()
				return
			}
			defer func() { <-sem }()
			att, err := a.signOne(ctx, key, certDER, p, f)
			mu.Lock()
			out[f.Filename] = &signedFile{att: att, err: err}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out, nil
}

func (a *Attester) signOne(ctx context.Context, key *ecdsa.PrivateKey, certDER []byte, p *Publisher, f File) (*Attestation, error) {
	stmt, err := statement(f.Filename, strings.ToLower(f.SHA256))
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256(pae(PayloadType, stmt))
	sig, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
	if err != nil {
		return nil, err
	}
	tle, _, err := a.rekor.record(ctx, f.Filename, stmt, sig, certDER)
	if err != nil {
		return nil, err
	}
	att := &Attestation{
		Version:              1,
		VerificationMaterial: VerificationMaterial{Certificate: certDER, TransparencyEntries: []json.RawMessage{tle}},
		Envelope:             Envelope{Statement: stmt, Signature: sig},
	}
	if _, err := a.verifier.Verify(att, f.Filename, f.SHA256, p); err != nil {
		return nil, err
	}
	return att, nil
}

// certIdentity is the certificate's SAN, for logs.
func certIdentity(c *x509.Certificate) string {
	var ids []string
	for _, u := range c.URIs {
		ids = append(ids, u.String())
	}
	ids = append(ids, c.EmailAddresses...)
	sort.Strings(ids)
	return strings.Join(ids, ", ")
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
