package upload

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goreleaser-pypi/goreleaser-pypi/internal/bytesize"
	"github.com/goreleaser-pypi/goreleaser-pypi/internal/useragent"

	"github.com/caarlos0/log"

	"github.com/goreleaser-pypi/goreleaser-pypi/config"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/credential"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/endpoint"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/index"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/retry"
)

// Defaults for Options.
const (
	// DefaultStallTimeout aborts, and retries, an attempt that sent nothing
	// for this long.
	DefaultStallTimeout = 2 * time.Minute
)

// Options configure a Publisher.
type Options struct {
	// RepositoryURL is the legacy upload endpoint, e.g.
	// https://upload.pypi.org/legacy/. https, or http to a loopback host.
	RepositoryURL string
	// CheckURL is a simple index (PEP 503/691) read to find the files
	// already on the index, like uv publish --check-url. Empty: the JSON API,
	// then the simple API, of the index of RepositoryURL.
	CheckURL string
	// Credentials hands out the upload token. It is asked once per attempt,
	// so a short-lived token is renewed during a long run. Required unless
	// DryRun (a dry run never asks: minting spends a single-use identity).
	Credentials credential.Source
	// SkipExisting skips files the index already has with the same sha256.
	// Without it, a file the index says exists is still compared by hash,
	// so identical files never fail a re-run on indexes that reject them.
	SkipExisting bool
	// Concurrency bounds the uploads in flight (config.DefaultConcurrency when 0).
	Concurrency int
	// Retry bounds retries of transient failures (zero fields: the
	// settings' defaults, config.DefaultRetry*).
	Retry retry.Policy
	// FailFast starts no new upload after the first failure.
	FailFast bool
	// Attestations are the PEP 740 `attestations` form field (a JSON
	// array) to send with each file, by file name; files without one are
	// sent without attestations.
	Attestations map[string]string
	// DryRun sends no upload: it reads the index (without credentials) and
	// reports what a real run would do.
	DryRun bool
	// StallTimeout aborts, and retries, an attempt that sent nothing for
	// this long (DefaultStallTimeout when 0).
	StallTimeout time.Duration
	// ResponseTimeout bounds the wait for the index's answer once the body
	// was sent: the index hashes and stores the file first
	// (config.DefaultTimeout when 0).
	ResponseTimeout time.Duration
	// Log receives progress (caarlos0/log; log.Log when nil). It never
	// receives a secret.
	Log log.Interface
	// Progress, when not nil (a terminal), shows a live progress line for
	// large files.
	Progress io.Writer
	// UserAgent is sent with every request.
	UserAgent string
	// Transport replaces the HTTP transport (tests, custom proxies). Nil:
	// keep-alive, one HTTP/1.1 connection per worker, proxy from the environment.
	Transport http.RoundTripper
}

// Publisher uploads verified distributions to one index. Upload may be
// called more than once, also concurrently; each call reads the index anew,
// except that the first call after OnIndex reuses what OnIndex read.
type Publisher struct {
	mu    sync.Mutex
	known map[string]*cachedListing // read by OnIndex, for the next Upload

	opts      Options
	retry     retry.Policy
	repo      *url.URL // where files are POSTed; the only host that sees credentials
	index     *url.URL // read APIs and project pages
	upload    *http.Client
	read      *http.Client  // listings and downloads; never credentials
	reader    *index.Reader // what the index already has
	log       log.Interface
	userAgent string
}

// run is the state of one Upload call.
type run struct {
	*Publisher
	progress *progress

	mu       sync.Mutex
	listings map[string]*cachedListing // release → what the index listed before uploading
	credOnce sync.Once
	// attestations are Options.Attestations as the call started.
	attestations map[string]string

	stop     atomic.Pointer[string] // why new uploads stopped
	stopOnce sync.Once
	stopped  chan struct{} // closed when stop is set: files held back at a gate give up
}

// halt stops new uploads, for reason; the first reason stays.
func (p *run) halt(reason string) {
	p.stop.CompareAndSwap(nil, &reason)
	p.stopOnce.Do(func() { close(p.stopped) })
}

type cachedListing struct {
	once sync.Once
	l    *index.Listing
	err  error
}

// New validates opts and returns a Publisher. A plain http URL to a host
// other than loopback is refused here, before any request.
func New(opts Options) (*Publisher, error) {
	if opts.RepositoryURL == "" {
		opts.RepositoryURL = config.DefaultRepositoryURL
	}
	repo, err := endpoint.Parse(opts.RepositoryURL)
	if err != nil {
		return nil, fmt.Errorf("repository URL %w", err)
	}
	p := &Publisher{
		opts:      opts,
		retry:     retryPolicy(opts.Retry),
		repo:      repo,
		index:     endpoint.IndexURL(repo),
		log:       opts.Log,
		userAgent: opts.UserAgent,
	}
	var check *url.URL
	if opts.CheckURL != "" {
		if check, err = endpoint.Parse(opts.CheckURL); err != nil {
			return nil, fmt.Errorf("check URL: %w", err)
		}
	}
	if opts.Credentials == nil && !opts.DryRun {
		return nil, errors.New("no credentials: set PYPI_API_TOKEN or use trusted publishing")
	}
	if p.opts.Concurrency <= 0 {
		p.opts.Concurrency = config.DefaultConcurrency
	}
	if p.opts.StallTimeout <= 0 {
		p.opts.StallTimeout = DefaultStallTimeout
	}
	if p.opts.ResponseTimeout <= 0 {
		p.opts.ResponseTimeout = config.DefaultTimeout
	}
	if p.log == nil {
		p.log = log.Log
	}
	p.userAgent = useragent.Or(p.userAgent)
	tr := opts.Transport
	if tr == nil {
		tr = newTransport(p.opts.Concurrency, p.opts.ResponseTimeout)
	}
	p.upload = &http.Client{
		Transport: tr,
		// Never follow a redirect on an upload: it would re-send the file
		// and, to another host, the credentials. The answer is reported.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	p.read = index.NewClient(tr)
	p.reader = index.NewReader(p.index, check, p.read, p.userAgent)
	return p, nil
}

// newTransport is tuned for large uploads: a keep-alive connection for every
// worker, large write buffers. HTTP/1.1 only: over HTTP/2 every upload
// shares one connection (one TCP window, one flow-control window), which
// the WAN benchmark measured at half the throughput of one connection per
// worker (BENCHMARKS.md, B5/B7).
func newTransport(concurrency int, responseTimeout time.Duration) *http.Transport {
	var http1 http.Protocols
	http1.SetHTTP1(true)
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   30 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		Protocols:             &http1,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   15 * time.Second,
		MaxIdleConns:          2 * concurrency,
		MaxIdleConnsPerHost:   concurrency,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: responseTimeout,
		ExpectContinueTimeout: time.Second,
		WriteBufferSize:       256 << 10,
		ReadBufferSize:        64 << 10,
	}
}

// OnIndex names the files of dists the index already holds with the same
// sha256, read without credentials, one listing per release: files an
// upload would skip (or, without SkipExisting, have settled as already
// there). A release whose listing cannot be read counts as holding none.
//
// The listings it read serve the next Upload (with SkipExisting), which
// then does not read them again.
func (pub *Publisher) OnIndex(ctx context.Context, dists []*dist.Distribution) map[string]bool {
	p := &run{Publisher: pub, listings: map[string]*cachedListing{}}
	defer func() {
		pub.mu.Lock()
		pub.known = p.listings
		pub.mu.Unlock()
	}()
	on := map[string]bool{}
	for _, d := range dists {
		if st, _, _, err := p.lookup(ctx, d, true); st == identical {
			on[d.Filename] = true
		} else if err != nil {
			p.log.WithField("file", d.Filename).WithError(err).Debug("could not compare with the index")
		}
	}
	return on
}

// SetAttestations sets Options.Attestations for the next Upload.
func (pub *Publisher) SetAttestations(fields map[string]string) {
	pub.mu.Lock()
	defer pub.mu.Unlock()
	pub.opts.Attestations = fields
}

// RepositoryURL is the upload endpoint.
func (p *Publisher) RepositoryURL() string { return p.repo.String() }

// IndexURL is the base of the index's read APIs and project pages.
func (p *Publisher) IndexURL() string { return p.index.String() }

// Upload uploads dists (verified by dist.Check) and reports on every file,
// in upload order. Wheels go before sdists. The first file of each new
// release (its smallest wheel) leads: the others start once its body is
// sent and hold back their last bytes until it is on the index, so the
// index creates the release once while the transfers overlap (releaseGate).
// At most Options.Concurrency uploads are in flight. A failed file does not
// stop the others unless FailFast. The error, when not nil, aggregates
// every failure (each keeps its type); the results are always returned.
func (pub *Publisher) Upload(ctx context.Context, dists []*dist.Distribution) (Results, error) {
	pub.mu.Lock()
	listings, attestations := pub.known, pub.opts.Attestations
	pub.known = nil
	pub.mu.Unlock()
	if listings == nil {
		listings = map[string]*cachedListing{}
	}
	p := &run{Publisher: pub, progress: newProgress(pub.opts.Progress), listings: listings, attestations: attestations, stopped: make(chan struct{})}
	defer p.progress.close()
	if pub.opts.Transport == nil {
		// Keep-alive serves the files of one call; idle connections must
		// not outlive it (a plugin may run many releases in one process).
		defer pub.upload.CloseIdleConnections()
	}
	if len(dists) == 0 {
		return nil, nil
	}
	order := uploadOrder(dists)
	// A file larger than PyPI's default limit may be refused (the limit is
	// per project, and only the index knows it): it goes first, alone, and
	// its refusal stops the run before anything else is published.
	gate := largestOverDefault(order)
	if gate > 0 {
		order = append(append([]*dist.Distribution{order[gate]}, order[:gate]...), order[gate+1:]...)
		gate = 0
	}
	leaders, followers := schedule(order)
	// afterDone[i] start once file i is done; followers[i] once its body is
	// sent (or it is done, whichever comes first).
	afterDone := map[int][]int{}
	if gate == 0 {
		// Everything else waits for its answer.
		afterDone[0] = append(followers[0], leaders[1:]...)
		delete(followers, 0)
		leaders = leaders[:1]
	}

	turns := make([]*turn, len(order))
	sentCh := make(chan int, len(order))
	gates := map[string]*releaseGate{}
	for i, d := range order {
		k := releaseKey(d)
		if gates[k] == nil {
			gates[k] = newReleaseGate()
		}
		turns[i] = &turn{gate: gates[k], onSent: func() { sentCh <- i }}
	}

	results := make(Results, len(order))
	work := make(chan int, len(order))
	fin := make(chan int, len(order))
	var wg sync.WaitGroup
	for range min(p.opts.Concurrency, len(order)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				switch {
				case p.stop.Load() != nil:
					results[i] = notAttempted(order[i], *p.stop.Load())
				case ctx.Err() != nil:
					results[i] = notAttempted(order[i], "interrupted")
				default:
					r := p.uploadOne(ctx, order[i], turns[i])
					results[i] = r
					var rs *runStopper
					if errors.As(r.Err, &rs) {
						p.halt(rs.reason)
					} else if r.Status == StatusFailed && i == gate {
						reason := fmt.Sprintf("%s (%s) was sent first, being over PyPI's default limit of %s, and the index refused it: nothing else was uploaded; ask the index for a higher limit (https://pypi.org/help/#file-size-limit) or make the file smaller",
							order[i].Filename, bytesize.Format(order[i].Size), bytesize.Format(dist.DefaultMaxFileSize))
						p.halt(reason)
					} else if r.Status == StatusFailed && p.opts.FailFast {
						p.halt("stopped after the first failure (fail-fast)")
					}
				}
				turns[i].settle(results[i])
				p.logResult(results[i])
				fin <- i
			}
		}()
	}
	for _, i := range leaders {
		work <- i
	}
	queued := make([]bool, len(order))
	queue := func(files []int) {
		for _, f := range files {
			if !queued[f] {
				queued[f] = true
				work <- f
			}
		}
	}
	for done := 0; done < len(order); {
		select {
		case i := <-sentCh:
			queue(followers[i])
		case i := <-fin:
			done++
			queue(followers[i])
			queue(afterDone[i])
		}
	}
	close(work)
	wg.Wait()
	return results, results.failures()
}

// runStopper is a failure every other file would meet the same way (no
// upload credentials): no new upload starts after it, and the files left
// say why.
type runStopper struct {
	err    error
	reason string
}

func (e *runStopper) Error() string { return e.err.Error() }
func (e *runStopper) Unwrap() error { return e.err }

// largestOverDefault is the index in order of the largest file when it is
// over PyPI's default per-file limit, else -1.
func largestOverDefault(order []*dist.Distribution) int {
	best := -1
	for i, d := range order {
		if d.Size > dist.DefaultMaxFileSize && (best < 0 || d.Size > order[best].Size) {
			best = i
		}
	}
	return best
}

// uploadOrder is wheels first, then sdists (as uv does: an installer that
// sees the release early should find a wheel), each in the order given,
// except that each release's smallest wheel comes first: it leads the
// release (schedule), and the others' last bytes wait for its answer, so a
// small leader is the shortest wait.
func uploadOrder(dists []*dist.Distribution) []*dist.Distribution {
	sorted := append([]*dist.Distribution(nil), dists...)
	sort.SliceStable(sorted, func(i, j int) bool {
		return sorted[i].Type == dist.Wheel && sorted[j].Type != dist.Wheel
	})
	smallest := map[string]*dist.Distribution{}
	for _, d := range sorted {
		k := releaseKey(d)
		if s, ok := smallest[k]; d.Type == dist.Wheel && (!ok || d.Size < s.Size) {
			smallest[k] = d
		}
	}
	order := make([]*dist.Distribution, 0, len(sorted))
	placed := map[*dist.Distribution]bool{}
	for _, d := range sorted {
		if placed[d] {
			continue
		}
		if s := smallest[releaseKey(d)]; s != nil && !placed[s] {
			order = append(order, s)
			placed[s] = true
		}
		if !placed[d] {
			order = append(order, d)
			placed[d] = true
		}
	}
	return order
}

// releaseKey identifies a release: normalized name and version.
func releaseKey(d *dist.Distribution) string {
	return dist.NormalizeName(d.Metadata.Name()) + "\x00" + d.Metadata.Version()
}

// schedule picks the first file of each release (its leader) and, for
// each, the files that follow it once its body is sent.
func schedule(order []*dist.Distribution) (leaders []int, followers map[int][]int) {
	followers = map[int][]int{}
	leaderOf := map[string]int{}
	for i, d := range order {
		k := releaseKey(d)
		if l, ok := leaderOf[k]; ok {
			followers[l] = append(followers[l], i)
			continue
		}
		leaderOf[k] = i
		leaders = append(leaders, i)
	}
	return leaders, followers
}

func notAttempted(d *dist.Distribution, why string) Result {
	return Result{Dist: d, Status: StatusNotAttempted, Err: &NotAttemptedError{File: d.Path, Reason: why}}
}

// logResult prints one line per file as it completes.
func (p *run) logResult(r Result) {
	p.progress.pause(func() {
		e := p.log.WithField("file", r.Dist.Filename)
		switch r.Status {
		case StatusUploaded:
			e = e.WithField("size", bytesize.Format(r.Dist.Size)).WithField("took", r.Duration.Round(time.Millisecond))
			if r.Attempts > 1 {
				e = e.WithField("attempts", r.Attempts)
			}
			if r.Reason != "" {
				e = e.WithField("note", r.Reason)
			}
			e.Info("uploaded")
		case StatusSkipped:
			e.WithField("reason", r.Reason).Info("skipped")
		case StatusWouldUpload:
			e = e.WithField("size", bytesize.Format(r.Dist.Size))
			if r.Reason != "" {
				e = e.WithField("note", r.Reason)
			}
			e.Info("would upload")
		default:
			e.WithField("error", strings.TrimPrefix(r.ErrorText(), r.Dist.Path+": ")).Error("failed")
		}
	})
}

// existence is what the index says about a local file.
type existence int

const (
	unknown   existence = iota // the index could not be read, or lists the file without a sha256
	absent                     // the index lists the release's files, and not this one
	identical                  // same name, same sha256
	different                  // same name, other content
)

// lookup reads the index (once per release and run when cached) and compares.
func (p *run) lookup(ctx context.Context, d *dist.Distribution, cached bool) (existence, index.File, string, error) {
	var l *index.Listing
	var err error
	if cached {
		k := releaseKey(d)
		p.mu.Lock()
		c, ok := p.listings[k]
		if !ok {
			c = &cachedListing{}
			p.listings[k] = c
		}
		p.mu.Unlock()
		c.once.Do(func() { c.l, c.err = p.reader.Release(ctx, d.Metadata.Name(), d.Metadata.Version()) })
		l, err = c.l, c.err
	} else {
		l, err = p.reader.Release(ctx, d.Metadata.Name(), d.Metadata.Version())
	}
	if err != nil {
		return unknown, index.File{}, "", err
	}
	rf, ok := l.Files[d.Filename]
	switch {
	case !ok:
		return absent, rf, l.Source, nil
	case rf.SHA256 == "":
		return unknown, rf, l.Source, fmt.Errorf("%s lists %s without a sha256", l.Source, d.Filename)
	case strings.EqualFold(rf.SHA256, d.Digests.SHA256):
		return identical, rf, l.Source, nil
	}
	return different, rf, l.Source, nil
}

// conflictError is a different file under the same name on the index.
func (p *Publisher) conflictError(d *dist.Distribution, rf index.File, source string) error {
	return fmt.Errorf("%s: a different file named %s is already on %s (local sha256 %s, index sha256 %s, read from %s); "+
		"PyPI never allows re-using a file name, even after a deletion: bump the version and build again",
		d.Path, d.Filename, p.index, d.Digests.SHA256, rf.SHA256, source)
}

// settleDifferent decides about a file of the same name and another sha256
// on the index: a rebuild of the same contents (a release re-run with
// byte-different archives) is already published, and skipped; anything
// else is a conflict naming the first differing member. When the contents
// cannot be compared, the conflict says why.
func (p *run) settleDifferent(ctx context.Context, d *dist.Distribution, rf index.File, source string, res Result) Result {
	if rf.URL == "" {
		res.Status, res.Err = StatusFailed, fmt.Errorf("%w (the index gave no download URL to compare contents)", p.conflictError(d, rf, source))
		return res
	}
	v, err := index.Compare(ctx, p.read, d, index.RemoteFile{URL: rf.URL, Page: source, SHA256: rf.SHA256, Size: rf.Size}, index.Options{
		MaxFileSize: max(2*d.Size, dist.DefaultMaxFileSize),
		UserAgent:   p.userAgent,
		Log:         p.log,
	})
	switch {
	case err != nil:
		res.Status, res.Err = StatusFailed, fmt.Errorf("%w (its contents could not be compared: %w)", p.conflictError(d, rf, source), err)
	case v.Same:
		res.Status, res.Reason = StatusSkipped, v.String()
	default:
		res.Status, res.Err = StatusFailed, v.Err()
	}
	return res
}

// Reasons shown for skipped files.
const (
	reasonIdentical  = "identical file already on the index"
	reasonTextExists = "the index says the file already exists (its hashes could not be read to compare)"
	noteLanded       = "an earlier attempt had already stored it"
	// reasonInterruptedHeld: interrupted while its last bytes waited at the gate.
	reasonInterruptedHeld = "interrupted before the release's first file was stored"
)

// uploadOne runs the whole life of one file: the existing-file check, the
// attempts and their retries. A failure every other file would meet the
// same way (no credentials) is a *runStopper.
func (p *run) uploadOne(ctx context.Context, d *dist.Distribution, t *turn) (res Result) {
	start := time.Now()
	res = Result{Dist: d}
	defer func() { res.Duration = time.Since(start) }()
	fail := func(err error) Result {
		res.Status, res.Err = StatusFailed, err
		return res
	}
	// cutOff ends a file whose body never reached the index whole.
	cutOff := func(why string) Result {
		res.Status, res.Err = StatusNotAttempted, notAttempted(d, why).Err
		return res
	}

	if p.opts.SkipExisting || p.opts.DryRun {
		st, rf, src, err := p.lookup(ctx, d, true)
		switch st {
		case identical:
			res.Status, res.Reason = StatusSkipped, reasonIdentical
			return res
		case different:
			return p.settleDifferent(ctx, d, rf, src, res)
		case unknown:
			p.log.WithField("file", d.Filename).WithError(err).Debug("could not compare with the index")
		}
	}
	if p.opts.DryRun {
		res.Status = StatusWouldUpload
		return res
	}

	f, err := newForm(d, p.attestations[d.Filename])
	if err != nil {
		return fail(fmt.Errorf("%s: %w", d.Path, err))
	}
	fp := p.progress.track(d.Size)
	defer fp.done()

	tries := 0 // attempts counted against the retry policy
	reauthed := false
	reminted := false
	for {
		tok, err := p.opts.Credentials.Token(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return fail(fmt.Errorf("%s: interrupted: %w", d.Path, context.Cause(ctx)))
			}
			return fail(&runStopper{err: fmt.Errorf("%s: no upload credentials: %w", d.Path, err), reason: "no upload credentials (see the first error)"})
		}
		p.credOnce.Do(func() { p.log.WithField("source", tok.Origin).Debug("using credentials") })
		tries++
		res.Attempts++
		fp.restart()
		ans, err := p.post(ctx, f, tok, fp, t)

		var lastErr error
		var wait time.Duration
		switch {
		case err != nil:
			if hb := (*heldBackError)(nil); errors.As(err, &hb) {
				// The body was cut short before its last bytes: the index
				// cannot store it.
				if errors.Is(hb.err, errRunStopped) {
					return cutOff(*p.stop.Load())
				}
				if ctx.Err() != nil {
					return cutOff(reasonInterruptedHeld)
				}
				if errors.Is(hb.err, errHeldTooLong) {
					// Not an attempt: the index never saw the file whole.
					// Send it again once the first file is answered.
					p.log.WithField("file", d.Filename).WithField("waited", maxHold).
						Debug("the release's first file is taking long: sending this file again once it is answered")
					tries--
					res.Attempts--
					if t.await(ctx) != nil {
						return cutOff(reasonInterruptedHeld)
					}
					continue
				}
			}
			if ctx.Err() != nil {
				// The request was on its way: the index may still store it.
				return fail(fmt.Errorf("%s: interrupted during the upload (%w): the index may or may not store it; "+
					"run again to finish the release (files already on the index are recognised by their sha256)", d.Path, context.Cause(ctx)))
			}
			if fe := (fatalError{}); errors.As(err, &fe) {
				return fail(fe.err) // names the file already
			}
			if !retryableError(err) {
				return fail(fmt.Errorf("%s: uploading to %s: %w", d.Path, p.repo, err))
			}
			lastErr = fmt.Errorf("uploading to %s: %w", p.repo, err)
		case ans.code >= 200 && ans.code < 300:
			res.Status = StatusUploaded
			return res
		case ans.code >= 300 && ans.code < 400:
			return fail(fmt.Errorf("%s: %w", d.Path, p.redirectError(ans)))
		case ans.code == http.StatusForbidden && strings.Contains(strings.ToLower(ans.text()), "token is expired") && !reauthed:
			// A token can expire during a long run: get a fresh one, once.
			inv, ok := p.opts.Credentials.(credential.Invalidator)
			if !ok {
				// A fixed token (an API token) stays expired: every file
				// would be refused the same way.
				return fail(&runStopper{err: fmt.Errorf("%s: upload refused by %s: %s — the API token has expired: create a new one", d.Path, p.repo, ans.status),
					reason: reasonCredentialsRefused})
			}
			inv.Invalidate(tok)
			reauthed = true
			tries--
			p.progress.pause(func() {
				p.log.WithField("file", d.Filename).Warn("the index says the token expired; retrying with a fresh one")
			})
			continue
		case ans.code == http.StatusBadRequest && strings.Contains(strings.ToLower(ans.text()), "non-user identities cannot create new projects") && !reminted:
			// A trusted-publishing mint turns ONE pending publisher into
			// its project. A release of two new projects (a Python package
			// and its Go CLI's binary wheels) needs a second mint for the
			// second project's pending publisher: mint again, once.
			inv, ok := p.opts.Credentials.(credential.Invalidator)
			if !ok {
				return fail(fmt.Errorf("%s: upload refused by %s: %s", d.Path, p.repo, ans.status))
			}
			inv.Invalidate(tok)
			reminted = true
			tries--
			p.progress.pause(func() {
				p.log.WithField("file", d.Filename).Info("the project is new: minting a token again, for its pending trusted publisher")
			})
			continue
		case alreadyExists(ans):
			return p.afterExists(ctx, d, ans, tries, res)
		case retry.RetryableStatus(ans.code):
			lastErr = fmt.Errorf("%s answered %s", p.repo, ans.status)
			wait = p.retry.Wait(tries, ans.header, time.Now())
		default:
			err := fmt.Errorf("%s: upload refused by %s: %s", d.Path, p.repo, ans.status)
			if what := index.Advice(ans.code, ans.status); what != "" {
				err = fmt.Errorf("%w — %s", err, what)
			}
			if index.RefusesCredentials(ans.code, ans.text()) {
				// The same credentials would be refused for every file:
				// sending the others would only repeat the refusal.
				return fail(&runStopper{err: err, reason: reasonCredentialsRefused})
			}
			return fail(err)
		}

		// A transient failure: wait and try again, within the policy.
		if wait == 0 {
			wait = p.retry.Backoff(tries)
		}
		if tries >= p.retry.Attempts {
			return p.gaveUp(ctx, d, res, fmt.Errorf("%s: gave up after %d attempts: %w", d.Path, res.Attempts, lastErr))
		}
		if elapsed := time.Since(start); elapsed+wait > p.retry.MaxElapsed {
			return p.gaveUp(ctx, d, res, fmt.Errorf("%s: gave up after %d attempts in %s (retry time limit %s): %w",
				d.Path, res.Attempts, elapsed.Round(time.Second), p.retry.MaxElapsed, lastErr))
		}
		p.progress.pause(func() {
			p.log.WithField("file", d.Filename).WithField("attempt", tries).WithField("retry_in", wait.Round(time.Millisecond)).
				WithError(lastErr).Warn("upload failed, retrying")
		})
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fail(fmt.Errorf("%s: interrupted while waiting to retry: %w (last error: %v)", d.Path, context.Cause(ctx), lastErr))
		case <-t.C:
		}
	}
}

// gaveUp fails a file whose retries ran out, unless the index shows that an
// attempt stored it after all: its answer was lost on the way back (a 5xx
// from a proxy, a reset after the body). Reporting such a file as failed
// would be wrong, and a re-run would then skip it.
func (p *run) gaveUp(ctx context.Context, d *dist.Distribution, res Result, err error) Result {
	if st, _, _, _ := p.lookup(ctx, d, false); st == identical {
		res.Status, res.Reason = StatusUploaded, noteLanded
		return res
	}
	res.Status, res.Err = StatusFailed, err
	return res
}

// afterExists settles an "already exists" answer by reading the index:
// identical content is success (skipped, or uploaded when an earlier attempt
// of this run landed), different content is a clear failure. Text matching
// decides only when the index cannot be read.
func (p *run) afterExists(ctx context.Context, d *dist.Distribution, ans *answer, tries int, res Result) Result {
	st, rf, src, err := p.lookup(ctx, d, false)
	switch st {
	case identical:
		if tries > 1 {
			res.Status, res.Reason = StatusUploaded, noteLanded
		} else {
			res.Status, res.Reason = StatusSkipped, reasonIdentical
		}
		return res
	case different:
		return p.settleDifferent(ctx, d, rf, src, res)
	case absent:
		res.Status = StatusFailed
		res.Err = fmt.Errorf("%s: upload refused by %s: %s; the index does not list a file named %s (read from %s): "+
			"it may have been deleted, and PyPI never allows re-using a file name: bump the version and build again",
			d.Path, p.repo, ans.status, d.Filename, src)
		return res
	}
	if p.opts.SkipExisting {
		p.log.WithField("file", d.Filename).WithError(err).Debug("could not compare with the index")
		res.Status, res.Reason = StatusSkipped, reasonTextExists
		return res
	}
	res.Status = StatusFailed
	res.Err = fmt.Errorf("%s: upload refused by %s: %s (could not read the index to compare hashes: %w; "+
		"if this very file is already there, enable skip-existing)", d.Path, p.repo, ans.status, err)
	return res
}

// answer is the index's reply to an upload.
type answer struct {
	code     int
	status   string // "<code> <message>", the most specific message available
	body     string // the body as text (bounded)
	header   http.Header
	location string
}

// text is everything the answer says, for matching.
func (a *answer) text() string { return a.status + " " + a.body }

// alreadyExists recognises "this file is already there" from indexes whose
// listing cannot be read, the way twine does: 409 (pypiserver), 400 "already
// exist(s)" (Warehouse, Artifact Registry), 400 "updating asset" (Nexus), 403
// "overwrite artifact" (Artifactory), 400 "already been taken" (GitLab).
func alreadyExists(a *answer) bool {
	t := strings.ToLower(a.text())
	switch a.code {
	case http.StatusConflict:
		return true
	case http.StatusBadRequest:
		return strings.Contains(t, "already exist") || strings.Contains(t, "updating asset") || strings.Contains(t, "already been taken")
	case http.StatusForbidden:
		return strings.Contains(t, "overwrite artifact")
	}
	return false
}

// reasonCredentialsRefused is why files were not attempted after the index
// refused the run's credentials.
const reasonCredentialsRefused = "the index refused the credentials (see the first error)"

// errStalled cancels an attempt that stopped making progress.
var errStalled = errors.New("no upload progress")

// post sends one attempt. An error is a transport failure (or a file that
// cannot be read); any HTTP answer is returned as an answer. t, when not
// nil, is the file's turn at its release's gate: the body's last bytes wait
// there.
func (p *run) post(ctx context.Context, f *form, tok *credential.Token, fp *fileProgress, t *turn) (*answer, error) {
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	total := f.Len()
	var last atomic.Int64
	var sent atomic.Int64
	var holding atomic.Bool // waiting at the gate is not a stall
	last.Store(time.Now().UnixNano())
	onRead := func(n int) {
		last.Store(time.Now().UnixNano())
		if sent.Add(int64(n)) == total {
			t.sent()
		}
		fp.read(n)
	}
	hold := func(closed <-chan struct{}) error {
		holding.Store(true)
		defer func() {
			last.Store(time.Now().UnixNano())
			holding.Store(false)
		}()
		if err := t.wait(actx, closed, p.stopped); err != nil {
			return &heldBackError{err}
		}
		return nil
	}
	body, err := f.open(onRead, hold)
	if err != nil {
		return nil, fatalError{err}
	}
	req, err := http.NewRequestWithContext(actx, http.MethodPost, p.repo.String(), body)
	if err != nil {
		body.Close()
		return nil, fatalError{err}
	}
	req.ContentLength = total
	req.GetBody = func() (io.ReadCloser, error) {
		// The transport replays the body on its own retries (a reused
		// connection that turned out closed, HTTP/2 GOAWAY).
		sent.Store(0)
		fp.restart()
		return f.open(onRead, hold)
	}
	req.Header.Set("Content-Type", f.contentType)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", p.userAgent)
	req.SetBasicAuth(tok.Username(), tok.Secret())

	// The watchdog cancels the attempt when the body stops moving; once the
	// body is sent, ResponseTimeout bounds the wait.
	stall := p.opts.StallTimeout
	watch := make(chan struct{})
	var watching sync.WaitGroup
	watching.Add(1)
	go func() {
		defer watching.Done()
		t := time.NewTicker(max(min(stall/4, time.Second), time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-watch:
				return
			case <-t.C:
				if sent.Load() < total && !holding.Load() && time.Since(time.Unix(0, last.Load())) > stall {
					cancel(fmt.Errorf("%w for %s", errStalled, stall))
					return
				}
			}
		}
	}()
	resp, err := p.upload.Do(req)
	close(watch)
	watching.Wait()
	if err != nil {
		if cause := context.Cause(actx); errors.Is(cause, errStalled) && ctx.Err() == nil {
			return nil, cause
		}
		return nil, err
	}
	defer resp.Body.Close()
	raw := index.ReadBounded(resp.Body, index.MaxErrorBody)
	a := &answer{
		code:     resp.StatusCode,
		header:   resp.Header,
		location: resp.Header.Get("Location"),
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		a.status = redact(index.StatusLine(resp, raw), tok)
		a.body = redact(index.Clip(index.BodyText(resp.Header.Get("Content-Type"), raw)), tok)
	}
	return a, nil
}

// redact removes the token (or password) from text an index sent back,
// also in the Basic-auth form it was sent in (a proxy's error page may echo
// the Authorization header).
func redact(s string, tok *credential.Token) string {
	if tok == nil || len(tok.Secret()) < 8 {
		return s
	}
	s = strings.ReplaceAll(s, tok.Secret(), "[redacted]")
	basic := strings.TrimRight(base64.StdEncoding.EncodeToString([]byte(tok.Username()+":"+tok.Secret())), "=")
	return strings.ReplaceAll(s, basic, "[redacted]")
}

// fatalError is a failure that a retry cannot fix (the file cannot be read).
type fatalError struct{ err error }

func (e fatalError) Error() string { return e.err.Error() }
func (e fatalError) Unwrap() error { return e.err }

// retryableError reports whether a transport failure may go away: connection
// errors and timeouts do; a file that cannot be read, or a certificate the
// system does not trust, do not.
func retryableError(err error) bool {
	var fe fatalError
	if errors.As(err, &fe) {
		return false
	}
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	if errors.As(err, &unknownAuthority) || errors.As(err, &hostname) || errors.As(err, &invalid) || errors.As(err, &verify) {
		return false
	}
	return true
}

// redirectError explains a redirect answered to an upload, which is never
// followed: following it would re-send the file and the credentials.
func (p *Publisher) redirectError(a *answer) error {
	status := fmt.Sprintf("%d %s", a.code, http.StatusText(a.code))
	if a.location == "" {
		return fmt.Errorf("the index answered %s without a Location; uploads never follow redirects: check the repository URL %s", status, p.repo)
	}
	loc := a.location
	if u, err := p.repo.Parse(a.location); err == nil {
		loc = u.String()
	}
	if loc == p.repo.String()+"/" {
		return fmt.Errorf("the index answered %s to %s: use the repository URL with a trailing slash: %s", status, loc, loc)
	}
	return fmt.Errorf("the index answered %s to %s; uploads never follow redirects (they would send your credentials on): "+
		"if that is where the index lives, use it as the repository URL", status, loc)
}
