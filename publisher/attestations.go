package publisher

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/goreleaser-pypi/goreleaser-pypi/config"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/attest"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/oidc"
)

// trustedPublishing is what a trusted-publishing credential source offers
// attestations: the claims the index matched, and identity tokens for
// another audience ("sigstore") from the same CI identity.
type trustedPublishing interface {
	Provider() string
	MintClaims() oidc.Claims
	IdentityToken(ctx context.Context, audience string) (string, error)
}

// attestRelease makes the PEP 740 attestations of every prepared target,
// before any upload: with attestations: always, a file that cannot be
// attested stops the release before anything is published. Files are
// signed once per release (one Fulcio certificate for all of them); a
// later target re-verifies those attestations against the identity its own
// index will demand, and signs nothing. Nothing is written to disk.
func attestRelease(ctx context.Context, preps []*prepared, o Options) error {
	if o.DryRun {
		return nil // no token is minted, so no publisher is known
	}
	signed := map[string][]*attest.Attestation{} // by file name, from an earlier target
	for _, p := range preps {
		a, err := newAttester(p.t, o)
		if err != nil {
			return err
		}
		// A file the index already holds is not uploaded again: signing it
		// would only add entries to the transparency log (and make a re-run
		// that finishes a release depend on Sigstore for files it skips).
		// Only trusted publishing can attest, and only with skip_existing
		// does the upload read the index anyway (it then reuses this read,
		// which on a WAN costs about what one small upload does).
		tp, isTP := p.src.(trustedPublishing)
		signing := isTP && a.Mode() != attest.Never
		dists, onIndex := p.dists, map[string]bool{}
		var mintErr error
		minted := false
		if signing && p.t.SkipExisting {
			up, err := newUploader(p, o)
			if err != nil {
				return &TargetError{Target: p.t.Name, Err: err}
			}
			p.up = up
			// The mint the attestations need (the claims say which
			// identity the index will demand) runs meanwhile: on a first
			// release the read then costs nothing; a re-run with nothing
			// left to upload merely does not use the token.
			done := make(chan struct{})
			go func() {
				defer close(done)
				_, mintErr = p.src.Token(ctx)
			}()
			onIndex = up.OnIndex(ctx, p.dists)
			<-done
			minted = true
			dists = nil
			for _, d := range p.dists {
				if !onIndex[d.Filename] {
					dists = append(dists, d)
				}
			}
		}
		results := map[string]*attest.Result{}
		for name := range onIndex {
			results[name] = &attest.Result{Status: attest.StatusSkipped, Code: attest.ReasonOnIndex,
				Reason: "not needed: the index already holds this file (same sha256), so it is not uploaded again"}
		}
		if len(dists) == 0 {
			o.Log.WithField("target", p.t.Name).Info("attestations: every file is already on the index; nothing to sign")
			p.attestations = results
			continue
		}
		var cred attest.Credential
		if signing {
			// Mint now (unless done above): the claims of the identity the
			// index matched say which identity it will demand of the
			// attestations.
			if !minted {
				_, mintErr = p.src.Token(ctx)
			}
			if mintErr != nil {
				return &TargetError{Target: p.t.Name, Err: mintErr}
			}
			cred = attest.Credential{
				TrustedPublishing: true,
				Claims:            map[string]any(tp.MintClaims()),
				IdentityToken:     func(ctx context.Context) (string, error) { return tp.IdentityToken(ctx, "sigstore") },
			}
		}
		files := make([]attest.File, 0, len(dists))
		for _, d := range dists {
			f := attest.File{Filename: d.Filename, SHA256: d.Digests.SHA256}
			provided, err := providedFor(d.Path, o.AttestationFiles)
			if err != nil {
				return err
			}
			f.Provided = provided
			for _, att := range signed[d.Filename] {
				data, err := json.Marshal(att)
				if err != nil {
					return err
				}
				f.Provided = append(f.Provided, &attest.Provided{Data: data, From: "signed for an earlier target of this release"})
			}
			files = append(files, f)
		}
		o.Log.WithField("target", p.t.Name).WithField("mode", a.Mode()).Debug("attestations")
		signedNow, err := a.Attest(ctx, cred, files)
		if err != nil {
			return &TargetError{Target: p.t.Name, Err: err}
		}
		// The attester logged each file's outcome.
		for name, r := range signedNow {
			results[name] = r
		}
		p.attestations = results
		for _, f := range files {
			if r := results[f.Filename]; r.Status == attest.StatusAttested && len(signed[f.Filename]) == 0 {
				signed[f.Filename] = r.Attestations
			}
		}
	}
	return nil
}

// newAttester is a target's attester, from its settings.
func newAttester(t config.Target, o Options) (*attest.Attester, error) {
	var root []byte
	if t.Attestations.TrustedRoot != "" {
		var err error
		if root, err = attest.ReadTrustedRoot(t.Attestations.TrustedRoot); err != nil {
			return nil, &TargetError{Target: t.Name, Err: fmt.Errorf("attestations.trusted_root: %w", err)}
		}
	}
	a, err := attest.New(attest.Options{
		Mode:        attest.Mode(t.Attestations.Mode),
		FulcioURL:   t.Attestations.FulcioURL,
		RekorURL:    t.Attestations.RekorURL,
		TrustedRoot: root,
		Log:         o.Log,
		UserAgent:   o.UserAgent,
	})
	if err != nil {
		return nil, &TargetError{Target: t.Name, Err: err}
	}
	return a, nil
}

// providedFor are the existing attestations of the distribution at path:
// the files given with --attestation-file whose name starts with its file
// name (x.whl.publish.attestation, x.whl.sigstore.json), and the
// `<dist>.publish.attestation` next to it.
func providedFor(path string, given []string) ([]*attest.Provided, error) {
	var out []*attest.Provided
	name := filepath.Base(path)
	seen := map[string]bool{}
	for _, g := range given {
		if !strings.HasPrefix(filepath.Base(g), name+".") {
			continue
		}
		p, err := attest.ReadProvided(g)
		if err != nil {
			return nil, err
		}
		seen[filepath.Clean(g)] = true
		out = append(out, p)
	}
	if next, err := attest.FindProvided(path); err != nil {
		return nil, err
	} else if next != nil && !seen[filepath.Clean(path+attest.ProvidedSuffix)] {
		out = append(out, next)
	}
	return out, nil
}

// unmatchedAttestationFiles are --attestation-file paths that name no file
// of the release: a mistake, reported before anything is uploaded.
func unmatchedAttestationFiles(given []string, paths []string) []string {
	var out []string
	for _, g := range given {
		found := false
		for _, p := range paths {
			if strings.HasPrefix(filepath.Base(g), filepath.Base(p)+".") {
				found = true
			}
		}
		if !found {
			out = append(out, g)
		}
	}
	return out
}
