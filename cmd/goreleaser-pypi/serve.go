package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/caarlos0/log"
	"github.com/spf13/cobra"

	"github.com/goreleaser-pypi/goreleaser-pypi/internal/bytesize"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/oidc"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/pypitest"
)

func init() { register(newServeCmd) }

// serveTokenEnv names the variable holding the API token serve accepts;
// without it serve generates one. A token is never a flag: argv shows in
// the process list and the shell history.
const serveTokenEnv = "PYPITEST_TOKEN"

type serveFlags struct {
	port        int
	storage     string
	publishers  []string
	gitlab      []string
	projects    []string
	maxFileSize string
	indexes     []string
	testPyPI    bool
	credentials string
	claims      []string
	debug       bool
}

// gitLabOnly: with only GitLab publishers, the identity is a GitLab CI
// job's (its claims, its id_tokens), not a GitHub Actions run's.
func (f serveFlags) gitLabOnly() bool { return len(f.publishers) == 0 && len(f.gitlab) > 0 }

// serveIndexKind is an index serve can stand in for.
type serveIndexKind struct {
	name     string // --index value, and the target name in the settings it prints
	like     string // what it behaves like
	audience string // trusted publishing audience
	helpURL  string // where its refusals point
}

var serveIndexKinds = []serveIndexKind{
	{name: "pypi", like: "PyPI", audience: "pypi", helpURL: "https://pypi.org/help/"},
	{name: "testpypi", like: "TestPyPI", audience: "testpypi", helpURL: "https://test.pypi.org/help/"},
}

// The credential modes serve prints the environment of.
const (
	serveTrustedPublishing = "trusted-publishing"
	serveToken             = "token"
)

// rehearsalDoc is where a full release rehearsal is described.
const rehearsalDoc = "https://github.com/goreleaser-pypi/goreleaser-pypi/blob/main/docs/rehearsal.md"

func newServeCmd(a *app) *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run a local PyPI (upload API, simple index, trusted publishing) for trying releases",
		Long: `Run pypitest, a local index that behaves like PyPI (Warehouse): the legacy
upload API with PyPI's validation rules and messages, the simple index pip
installs from, PyPI's JSON API, and trusted publishing with a built-in fake
GitHub Actions / GitLab CI identity issuer. It listens on loopback only.

--index testpypi --index pypi runs a TestPyPI and a PyPI look-alike in one
process, on consecutive ports from --port, both trusting the same identity
issuer: one job publishes to both by trusted publishing, as on CI.

It prints the environment to paste into the shell that runs the release,
for one credential mode (--credentials): trusted publishing (the default:
the variables of a GitHub Actions job with "permissions: id-token: write"),
or an API token (taken from ` + serveTokenEnv + `, or generated and printed once).
--claim changes the job the identity describes (another workflow,
environment, ref or event), to see the refusal PyPI would give.

A full offline rehearsal of a GoReleaser release: ` + rehearsalDoc + `
Stop it with Ctrl-C.`,
		Example: `  goreleaser-pypi serve --port 8080
  goreleaser-pypi serve --trusted-publisher repository=octo-org/demo,workflow=release.yml,environment=pypi,project=demo-py,pending=true
  goreleaser-pypi serve --index testpypi --index pypi --trusted-publisher repository=octo-org/demo,workflow=release.yml
  goreleaser-pypi serve --trusted-publisher repository=octo-org/demo,workflow=release.yml,environment=pypi --claim environment=staging
  PYPITEST_TOKEN=pypi-local goreleaser-pypi serve --credentials token`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd, a, f)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.port, "port", 8080, "TCP port on 127.0.0.1 (0 picks a free one); several indexes take consecutive ports")
	fl.StringVar(&f.storage, "storage", "", "directory to keep uploaded files in, one subdirectory per index when there are several (default: a temporary directory removed on exit)")
	fl.StringArrayVar(&f.publishers, "trusted-publisher", nil,
		"a GitHub trusted publisher: repository=OWNER/REPO,workflow=FILE[,environment=ENV][,project=NAME][,pending=true] (repeatable; every index gets it)")
	fl.StringArrayVar(&f.gitlab, "gitlab-publisher", nil,
		"a GitLab trusted publisher: project_path=GROUP/PROJECT,workflow=.gitlab-ci.yml[,environment=ENV][,project=NAME][,pending=true] (repeatable)")
	fl.StringArrayVar(&f.projects, "project", nil, "create this project before any upload, owned by the token's user (repeatable)")
	fl.StringVar(&f.maxFileSize, "max-file-size", "100MiB", "per-file upload limit, e.g. 100MiB, 1GiB or a number of bytes")
	fl.StringArrayVar(&f.indexes, "index", nil, "an index to run: pypi or testpypi (repeatable, in port order; default pypi)")
	fl.BoolVar(&f.testPyPI, "testpypi", false, "run one index that behaves like TestPyPI (the same as --index testpypi)")
	fl.StringVar(&f.credentials, "credentials", serveTrustedPublishing, "the environment to print: trusted-publishing (a GitHub Actions job with id-token: write) or token (an API token)")
	fl.StringArrayVar(&f.claims, "claim", nil,
		"change the job the identity describes, NAME=VALUE (repeatable): "+strings.Join(pypitest.ClaimNames, ", ")+"; an empty VALUE removes the claim")
	fl.BoolVar(&f.debug, "debug", false, "log every request")
	return cmd
}

// serveIndex is one running index.
type serveIndex struct {
	kind serveIndexKind
	srv  *pypitest.Server
}

func runServe(cmd *cobra.Command, a *app, f serveFlags) error {
	kinds, err := serveKinds(f)
	if err != nil {
		return err
	}
	if f.port < 0 || f.port > 65535 || (f.port != 0 && f.port+len(kinds)-1 > 65535) {
		return usageError("--port %d: not a TCP port (0-65535) for %d index(es)", f.port, len(kinds))
	}
	if f.credentials != serveTrustedPublishing && f.credentials != serveToken {
		return usageError("--credentials %q: want %s or %s", f.credentials, serveTrustedPublishing, serveToken)
	}
	maxSize, err := serveMaxFileSize(f.maxFileSize)
	if err != nil {
		return usageError("--max-file-size: %v", err)
	}
	token, generated := a.getenv(serveTokenEnv), false
	if token == "" {
		token, generated = newServeToken(), true
	}
	common := []pypitest.Option{
		pypitest.WithToken(token),
		pypitest.WithMaxFileSize(maxSize),
		pypitest.WithLogger(a.log),
	}
	for _, spec := range f.publishers {
		p, err := pypitest.ParsePublisherSpec(spec)
		if err != nil {
			return usageError("--trusted-publisher: %v", err)
		}
		common = append(common, pypitest.WithTrustedPublisher(p))
	}
	for _, spec := range f.gitlab {
		p, err := pypitest.ParseGitLabPublisherSpec(spec)
		if err != nil {
			return usageError("--gitlab-publisher: %v", err)
		}
		common = append(common, pypitest.WithGitLabPublisher(p))
	}
	for _, name := range f.projects {
		common = append(common, pypitest.WithProject(name, token))
	}
	// The issuer's claims: those of the first publisher (GitHub ones come
	// first), changed by --claim.
	var claimOpts []pypitest.Option
	for _, spec := range f.claims {
		name, value, err := pypitest.ParseClaim(spec)
		if err != nil {
			return usageError("--claim: %v", err)
		}
		claimOpts = append(claimOpts, pypitest.WithClaim(name, value))
	}
	if len(f.claims) > 0 && f.credentials == serveToken {
		return usageError("--claim changes the trusted publishing identity, which --credentials token does not print")
	}
	if len(f.claims) > 0 && f.gitLabOnly() {
		return usageError("--claim changes the claims of a GitHub Actions job; with only --gitlab-publisher the identity is a GitLab CI job's")
	}
	if f.debug {
		a.log.Level = log.DebugLevel
	}

	// The first index starts the identity issuer; the others trust it.
	indexes := make([]serveIndex, 0, len(kinds))
	defer func() {
		for i := len(indexes) - 1; i >= 0; i-- {
			indexes[i].srv.Close()
		}
	}()
	for i, kind := range kinds {
		opts := append([]pypitest.Option{}, common...)
		opts = append(opts, pypitest.WithAudience(kind.audience), pypitest.WithHelpURL(kind.helpURL))
		if i == 0 {
			opts = append(opts, claimOpts...)
		} else {
			// One identity, one Sigstore: the client signs once, with the
			// first index's fake Sigstore, and every index verifies that.
			opts = append(opts, pypitest.WithIssuer(indexes[0].srv.Issuer),
				pypitest.WithAttestationTrustedRoot(indexes[0].srv.Sigstore.TrustedRoot))
		}
		if f.storage != "" {
			dir := f.storage
			if len(kinds) > 1 {
				dir = filepath.Join(f.storage, kind.name)
			}
			opts = append(opts, pypitest.WithStorageDir(dir))
		}
		port := f.port
		if port != 0 {
			port += i
		}
		srv, err := pypitest.Start(net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), opts...)
		if err != nil {
			return fmt.Errorf("starting the local %s: %w", kind.like, err)
		}
		indexes = append(indexes, serveIndex{kind: kind, srv: srv})
		a.log.WithField("index", kind.name).WithField("repository_url", srv.RepositoryURL).Info("local index started")
	}

	// The fake Sigstore's trusted root, as a file for
	// GORELEASER_PYPI_TRUSTED_ROOT: in the storage directory when there is
	// one, else in a temporary directory removed on exit.
	rootDir := f.storage
	if rootDir == "" {
		dir, err := os.MkdirTemp("", "local-sigstore-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		rootDir = dir
	} else if err := os.MkdirAll(rootDir, 0o755); err != nil {
		return err
	}
	trustedRoot := filepath.Join(rootDir, "sigstore-trusted-root.json")
	if err := os.WriteFile(trustedRoot, indexes[0].srv.Sigstore.TrustedRoot, 0o644); err != nil {
		return fmt.Errorf("writing the local Sigstore's trusted root: %w", err)
	}

	printServeBanner(a.stdout, f, indexes, token, generated, trustedRoot)

	<-cmd.Context().Done()
	for _, ix := range indexes {
		st := ix.srv.Stats()
		a.log.WithField("index", ix.kind.name).WithField("files", st.FilesStored).
			WithField("upload_attempts", st.UploadAttempts).WithField("mints", st.Mints).
			Info("local index stopped")
	}
	return nil
}

// serveKinds returns the indexes to run, in port order.
func serveKinds(f serveFlags) ([]serveIndexKind, error) {
	names := f.indexes
	switch {
	case f.testPyPI && len(names) > 0:
		return nil, usageError("--testpypi is --index testpypi: give one or the other")
	case f.testPyPI:
		names = []string{"testpypi"}
	case len(names) == 0:
		names = []string{"pypi"}
	}
	var kinds []serveIndexKind
	seen := map[string]bool{}
	for _, name := range names {
		i := slices.IndexFunc(serveIndexKinds, func(k serveIndexKind) bool { return k.name == strings.ToLower(strings.TrimSpace(name)) })
		if i < 0 {
			return nil, usageError("--index %q: want pypi or testpypi", name)
		}
		if seen[serveIndexKinds[i].name] {
			return nil, usageError("--index %s given twice", serveIndexKinds[i].name)
		}
		seen[serveIndexKinds[i].name] = true
		kinds = append(kinds, serveIndexKinds[i])
	}
	return kinds, nil
}

// printServeBanner prints the indexes' URLs and ONE coherent environment
// for the chosen credential mode: pasting all of its lines can never leave
// an API token to win over trusted publishing, or the reverse.
func printServeBanner(out io.Writer, f serveFlags, indexes []serveIndex, token string, generated bool, trustedRoot string) {
	first := indexes[0].srv
	single := len(indexes) == 1
	if single {
		fmt.Fprintf(out, "pypitest is running (Ctrl-C stops it).\n\n")
		fmt.Fprintf(out, "Repository URL: %s\n", first.RepositoryURL)
		fmt.Fprintf(out, "Simple index:   %s\n\n", first.SimpleURL)
	} else {
		fmt.Fprintf(out, "pypitest is running %d indexes trusting one identity issuer (Ctrl-C stops them).\n\n", len(indexes))
		for _, ix := range indexes {
			fmt.Fprintf(out, "%s (like %s, audience %q):\n", ix.kind.name, ix.kind.like, ix.kind.audience)
			fmt.Fprintf(out, "  Repository URL: %s\n", ix.srv.RepositoryURL)
			fmt.Fprintf(out, "  Simple index:   %s\n", ix.srv.SimpleURL)
		}
		fmt.Fprintln(out)
	}

	// PEP 740 attestations from the local fake Sigstore, not the public
	// one: with trusted publishing, nothing leaves the machine.
	sigstoreExports := []string{
		"export " + envFulcioURL + "=" + first.Sigstore.FulcioURL,
		"export " + envRekorURL + "=" + first.Sigstore.RekorURL,
		"export " + envTrustedRoot + "=" + trustedRoot,
	}
	var lines []string
	if f.credentials == serveToken {
		fmt.Fprintf(out, "Credentials: an API token (username __token__). Paste all of these lines:\n")
		lines = append(lines, "unset "+strings.Join(append(slices.Clone(serveIdentityVariables), serveSigstoreVariables...), " "))
		if generated {
			lines = append(lines, "export "+oidc.DefaultTokenEnv+"="+token)
		} else {
			// The user's own secret: refer to it, do not echo it.
			lines = append(lines, "export "+oidc.DefaultTokenEnv+"=\"$"+serveTokenEnv+"\"")
		}
	} else if f.gitLabOnly() {
		// Only GitLab publishers: the environment of a GitLab CI job
		// declaring id_tokens, one per index's audience and one for
		// Sigstore (attestations). GitLab's tokens are fixed for the job,
		// so these live an hour, for the rehearsal.
		fmt.Fprintf(out, "Credentials: trusted publishing, as in a GitLab CI job declaring id_tokens (each token can mint once).\n")
		fmt.Fprintf(out, "Paste all of these lines (an API token would win over trusted publishing, so it is unset):\n")
		lines = append(lines, "unset "+strings.Join(append([]string{oidc.DefaultTokenEnv}, serveIdentityVariables...), " "), "export GITLAB_CI=true")
		claims := first.Issuer.Claims()
		claims.Expiry = time.Now().Add(time.Hour)
		auds := []string{"sigstore"}
		for _, ix := range indexes {
			auds = append(auds, ix.kind.audience)
		}
		for _, aud := range auds {
			tok, err := first.Issuer.IDTokenWithClaims(aud, claims)
			if err != nil {
				tok = "(" + err.Error() + ")"
			}
			lines = append(lines, "export "+pypitest.GitLabTokenEnv(aud)+"="+tok) // sigstore → SIGSTORE_ID_TOKEN
		}
		lines = append(lines, sigstoreExports...)
	} else {
		fmt.Fprintf(out, "Credentials: trusted publishing, as in a GitHub Actions job with \"permissions: id-token: write\".\n")
		fmt.Fprintf(out, "Paste all of these lines (an API token would win over trusted publishing, so it is unset):\n")
		lines = append(lines, "unset "+oidc.DefaultTokenEnv, "export GITHUB_ACTIONS=true")
		for _, kv := range first.Issuer.GitHubEnv() {
			lines = append(lines, "export "+kv)
		}
		lines = append(lines, sigstoreExports...)
	}
	if single {
		lines = append(lines, "export PYPI_REPOSITORY_URL="+first.RepositoryURL)
	} else {
		// PYPI_REPOSITORY_URL replaces every target's URL: with several
		// indexes each target names its own instead.
		lines = append(lines, "unset PYPI_REPOSITORY_URL")
	}
	for _, l := range lines {
		fmt.Fprintf(out, "  %s\n", l)
	}
	fmt.Fprintln(out)

	if f.credentials == serveToken {
		fmt.Fprintf(out, "(For trusted publishing instead, run serve with --credentials %s.)\n\n", serveTrustedPublishing)
	} else {
		fmt.Fprintf(out, "The job's identity: %s\n", first.Issuer.Claims().Describe())
		if f.gitLabOnly() {
			fmt.Fprintf(out, "(--credentials %s prints an API token's environment instead.)\n\n", serveToken)
		} else {
			fmt.Fprintf(out, "(--claim NAME=VALUE changes it; --credentials %s prints an API token's environment instead.)\n\n", serveToken)
		}
	}

	if !single {
		fmt.Fprintf(out, "Settings naming each index (save as rehearsal.yaml):\n")
		fmt.Fprintf(out, "  version: 1\n  targets:\n")
		for _, ix := range indexes {
			fmt.Fprintf(out, "    - name: %s\n      repository_url: %s\n", ix.kind.name, ix.srv.RepositoryURL)
		}
		fmt.Fprintln(out)
		fmt.Fprintf(out, "Then:\n  goreleaser-pypi upload --config rehearsal.yaml dist/*\n")
	} else {
		fmt.Fprintf(out, "Then:\n  goreleaser-pypi upload dist/*\n")
	}
	for _, ix := range indexes {
		fmt.Fprintf(out, "  pip install --index-url %s PROJECT\n", ix.srv.SimpleURL)
	}
	fmt.Fprintf(out, "\nA full rehearsal of a GoReleaser release: %s\n", rehearsalDoc)
}

// serveSigstoreVariables point attestations at the local fake Sigstore;
// the API token mode (no attestations) unsets them.
var serveSigstoreVariables = []string{envFulcioURL, envRekorURL, envTrustedRoot}

// serveIdentityVariables are the variables that make goreleaser-pypi use a
// GitHub Actions identity; the API token mode unsets them.
var serveIdentityVariables = []string{"GITHUB_ACTIONS", "ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"}

// newServeToken returns a fresh random token in PyPI's format.
func newServeToken() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux, macOS or Windows
	}
	return "pypi-" + hex.EncodeToString(b)
}

// serveMaxFileSize reads serve's --max-file-size with bytesize.Parse, the
// parser of every other size, so "100k" means here what it means to
// upload. Unlike a client's limit, 0 cannot mean "none": the index would
// refuse every file.
func serveMaxFileSize(s string) (int64, error) {
	n, err := bytesize.Parse(s)
	if err != nil {
		return 0, err
	}
	if n <= 0 {
		return 0, errors.New("must be more than 0 (the index would refuse every file), e.g. 100MiB, PyPI's default")
	}
	return n, nil
}
