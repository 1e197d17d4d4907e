package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/caarlos0/log"
	"github.com/spf13/cobra"

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
	testPyPI    bool
	debug       bool
}

func newServeCmd(a *app) *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run a local PyPI (upload API, simple index, trusted publishing) for trying releases",
		Long: `Run pypitest, a local index that behaves like PyPI (Warehouse): the legacy
upload API with PyPI's validation rules and messages, the simple index pip
installs from, PyPI's JSON API, and trusted publishing with a built-in fake
GitHub Actions / GitLab CI identity issuer. It listens on loopback only.

It accepts the API token in ` + serveTokenEnv + `, or generates one and prints it
once. It prints the environment a GitHub Actions job would have, so a local
"goreleaser-pypi upload" (or "goreleaser release") behaves as in CI.
Stop it with Ctrl-C.`,
		Example: `  goreleaser-pypi serve --port 8080
  goreleaser-pypi serve --trusted-publisher repository=octo-org/demo,workflow=release.yml,project=demo-py,pending=true`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd, a, f)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.port, "port", 8080, "TCP port on 127.0.0.1 (0 picks a free one)")
	fl.StringVar(&f.storage, "storage", "", "directory to keep uploaded files in (default: a temporary directory removed on exit)")
	fl.StringArrayVar(&f.publishers, "trusted-publisher", nil,
		"a GitHub trusted publisher: repository=OWNER/REPO,workflow=FILE[,environment=ENV][,project=NAME][,pending=true] (repeatable)")
	fl.StringArrayVar(&f.gitlab, "gitlab-publisher", nil,
		"a GitLab trusted publisher: project_path=GROUP/PROJECT,workflow=.gitlab-ci.yml[,environment=ENV][,project=NAME][,pending=true] (repeatable)")
	fl.StringArrayVar(&f.projects, "project", nil, "create this project before any upload, owned by the token's user (repeatable)")
	fl.StringVar(&f.maxFileSize, "max-file-size", "100MiB", "per-file upload limit, e.g. 100MiB, 1GiB or a number of bytes")
	fl.BoolVar(&f.testPyPI, "testpypi", false, "behave like TestPyPI: audience \"testpypi\", help links to test.pypi.org")
	fl.BoolVar(&f.debug, "debug", false, "log every request")
	return cmd
}

func runServe(cmd *cobra.Command, a *app, f serveFlags) error {
	if f.port < 0 || f.port > 65535 {
		return usageError("--port %d: not a TCP port (0-65535)", f.port)
	}
	maxSize, err := parseByteSize(f.maxFileSize)
	if err != nil {
		return usageError("--max-file-size %q: %v", f.maxFileSize, err)
	}
	token, generated := a.getenv(serveTokenEnv), false
	if token == "" {
		token, generated = newServeToken(), true
	}
	opts := []pypitest.Option{
		pypitest.WithToken(token),
		pypitest.WithMaxFileSize(maxSize),
		pypitest.WithLogger(a.log),
	}
	if f.storage != "" {
		opts = append(opts, pypitest.WithStorageDir(f.storage))
	}
	if f.testPyPI {
		opts = append(opts, pypitest.WithHelpURL("https://test.pypi.org/help/"), pypitest.WithAudience("testpypi"))
	}
	for _, spec := range f.publishers {
		p, err := pypitest.ParsePublisherSpec(spec)
		if err != nil {
			return usageError("--trusted-publisher: %v", err)
		}
		opts = append(opts, pypitest.WithTrustedPublisher(p))
	}
	for _, spec := range f.gitlab {
		p, err := pypitest.ParseGitLabPublisherSpec(spec)
		if err != nil {
			return usageError("--gitlab-publisher: %v", err)
		}
		opts = append(opts, pypitest.WithGitLabPublisher(p))
	}
	for _, name := range f.projects {
		opts = append(opts, pypitest.WithProject(name, token))
	}
	if f.debug {
		a.log.Level = log.DebugLevel
	}

	srv, err := pypitest.Start(net.JoinHostPort("127.0.0.1", strconv.Itoa(f.port)), opts...)
	if err != nil {
		return fmt.Errorf("starting the local index: %w", err)
	}
	defer srv.Close()

	out := a.stdout
	fmt.Fprintf(out, "pypitest is running (Ctrl-C stops it).\n\n")
	fmt.Fprintf(out, "Repository URL: %s\n", srv.RepositoryURL)
	fmt.Fprintf(out, "Simple index:   %s\n\n", srv.SimpleURL)
	if generated {
		fmt.Fprintf(out, "API token (username __token__), generated for this run; set %s to choose it:\n", serveTokenEnv)
		fmt.Fprintf(out, "  export %s=%s\n\n", oidc.DefaultTokenEnv, token)
	} else {
		// The user's own secret: refer to it, do not echo it.
		fmt.Fprintf(out, "API token (username __token__): the value of %s:\n", serveTokenEnv)
		fmt.Fprintf(out, "  export %s=\"$%s\"\n\n", oidc.DefaultTokenEnv, serveTokenEnv)
	}
	fmt.Fprintf(out, "Trusted publishing instead, as in a GitHub Actions job with \"permissions: id-token: write\":\n")
	for _, kv := range srv.Issuer.GitHubEnv() {
		fmt.Fprintf(out, "  export %s\n", kv)
	}
	fmt.Fprintf(out, "\nThen:\n  goreleaser-pypi upload --repository-url %s dist/*\n", srv.RepositoryURL)
	fmt.Fprintf(out, "  pip install --index-url %s PROJECT\n", srv.SimpleURL)
	a.log.WithField("repository_url", srv.RepositoryURL).Info("local index started")

	<-cmd.Context().Done()
	st := srv.Stats()
	a.log.WithField("files", st.FilesStored).WithField("upload_attempts", st.UploadAttempts).WithField("mints", st.Mints).
		Info("local index stopped")
	return nil
}

// newServeToken returns a fresh random token in PyPI's format.
func newServeToken() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux, macOS or Windows
	}
	return "pypi-" + hex.EncodeToString(b)
}

// parseByteSize reads "100MiB", "1GiB", "512KiB", "100MB" or a number of
// bytes.
func parseByteSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1}}
	mult := int64(1)
	num := strings.TrimSpace(s)
	for _, u := range units {
		if strings.HasSuffix(num, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("not a positive size (e.g. 100MiB, 1GiB, 1048576)")
	}
	return n * mult, nil
}
