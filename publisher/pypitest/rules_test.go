package pypitest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goreleaser-pypi/goreleaser-pypi/internal/wheelgen"
)

const (
	helpInvalidAuth = "Invalid or non-existent authentication information. See https://pypi.org/help/#invalid-auth for more information."
	fileTooLarge    = "File too large. Limit for project 'tinyutil' is 1 MB. See https://docs.pypi.org/project-management/storage-limits#requesting-a-file-size-limit-increase for more information."
	digestMismatch  = "The digest supplied does not match a digest calculated from the uploaded file."
)

// ruleCase is one upload of tinyutil's wheel (or sdist), changed to break
// one or more rules, and Warehouse's answer.
type ruleCase struct {
	name   string
	opts   []Option
	setup  func(t *testing.T, srv *Server)
	sdist  bool
	change func(t *testing.T, r *uploadRequest)
	status int
	want   string
}

func tinyutil(t *testing.T, sdist bool) (string, []byte) {
	name := "tinyutil-0.1.0-py3-none-any.whl"
	if sdist {
		name = "tinyutil-0.1.0.tar.gz"
	}
	path := filepath.Join(goodDir, name)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, data
}

// withContent replaces the file and its digests.
func withContent(r *uploadRequest, filename string, data []byte) {
	r.filename, r.content = filename, data
	for _, d := range digestFields(data) {
		r.fields = setField(r.fields, d.Name, d.Value)
	}
}

func set(name, value string) func(*testing.T, *uploadRequest) {
	return func(_ *testing.T, r *uploadRequest) { r.fields = setField(r.fields, name, value) }
}

func add(name string, values ...string) func(*testing.T, *uploadRequest) {
	return func(_ *testing.T, r *uploadRequest) {
		for _, v := range values {
			r.fields = append(r.fields, Field{name, v})
		}
	}
}

func all(changes ...func(*testing.T, *uploadRequest)) func(*testing.T, *uploadRequest) {
	return func(t *testing.T, r *uploadRequest) {
		for _, c := range changes {
			c(t, r)
		}
	}
}

func mintedToken(srv *Server, value string, expires time.Time, projects ...string) {
	srv.tokens.add(&apiToken{value: value, minted: true, projects: normalizeAll(projects), expires: expires})
}

func generatedWheel(t *testing.T, spec wheelgen.Spec) (string, []byte) {
	t.Helper()
	path, err := wheelgen.Write(t.TempDir(), spec)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Base(path), data
}

var ruleCases = []ruleCase{
	// 1. Identity.
	{name: "no credentials", change: func(_ *testing.T, r *uploadRequest) { r.token = "" },
		status: 403, want: helpInvalidAuth},
	{name: "unknown token", change: func(_ *testing.T, r *uploadRequest) { r.token = "pypi-unknown" },
		status: 403, want: helpInvalidAuth},
	{name: "username and password", change: func(_ *testing.T, r *uploadRequest) { r.auth = "Basic YWxpY2U6c2VjcmV0" }, // alice:secret
		status: 403, want: "Username/Password authentication is no longer supported. Migrate to API Tokens or Trusted Publishers instead. See https://pypi.org/help/#apitoken and https://pypi.org/help/#trusted-publishers"},
	{name: "basic without a colon", change: func(_ *testing.T, r *uploadRequest) { r.auth = "Basic X190b2tlbl9f" }, // __token__
		status: 403, want: helpInvalidAuth},
	{name: "bearer token", change: func(_ *testing.T, r *uploadRequest) { r.auth = "Bearer " + testToken }, status: 200, want: "OK"},
	{name: "token scheme, padded password", change: func(_ *testing.T, r *uploadRequest) { r.auth = basicToken(" " + testToken + "\n") }, status: 200, want: "OK"},
	{name: "identity comes before everything", change: all(func(_ *testing.T, r *uploadRequest) { r.token = "" }, set("protocol_version", "2"), set("name", "")),
		status: 403, want: helpInvalidAuth},

	// 2. Protocol version and tuple fields.
	{name: "protocol version 2", change: set("protocol_version", "2"), status: 400, want: "Unknown protocol version."},
	{name: "protocol version is the last value", change: add("protocol_version", "1"), status: 200, want: "OK"},
	{name: "UNKNOWN values are dropped", change: add("summary", "UNKNOWN"), status: 200, want: "OK"},

	// 3. The upload form.
	{name: "name missing", change: set("name", ""), status: 400,
		want: "'' is an invalid value for Name. Error: This field is required. See https://packaging.python.org/specifications/core-metadata for more information."},
	{name: "name invalid", change: set("name", "-tinyutil-"), status: 400,
		want: "'-tinyutil-' is an invalid value for Name. Error: Start and end with a letter or numeral containing only ASCII numeric and '.', '_' and '-'. See https://packaging.python.org/specifications/core-metadata for more information."},
	{name: "long invalid name is shortened", change: set("name", strings.Repeat("a", 40)+"!"+strings.Repeat("b", 40)), status: 400,
		want: "'" + strings.Repeat("a", 30) + "..." + strings.Repeat("b", 30) + "' is an invalid value for Name. Error: Start and end with a letter or numeral containing only ASCII numeric and '.', '_' and '-'. See https://packaging.python.org/specifications/core-metadata for more information."},
	{name: "filetype missing", change: set("filetype", ""), status: 400, want: "Invalid value for filetype. Error: This field is required."},
	{name: "filetype unknown", change: set("filetype", "bdist_egg"), status: 400, want: "Invalid value for filetype. Error: Use a known file type."},
	{name: "sha256 not hex", change: set("sha256_digest", "abc"), status: 400,
		want: "Invalid value for sha256_digest. Error: Use a valid, hex-encoded, SHA256 message digest."},
	{name: "blake2 not hex", change: set("blake2_256_digest", strings.Repeat("g", 64)), status: 400,
		want: "Invalid value for blake2_256_digest. Error: Use a valid, hex-encoded, BLAKE2 message digest."},
	{name: "no digest", change: all(set("md5_digest", ""), set("sha256_digest", ""), set("blake2_256_digest", "")),
		status: 400, want: "Error: Include at least one message digest."},
	{name: "upper-case digests are fine", change: func(t *testing.T, r *uploadRequest) {
		r.fields = setField(r.fields, "sha256_digest", strings.ToUpper(fieldValue(r.fields, "sha256_digest")))
	}, status: 200, want: "OK"},
	{name: "only md5", change: all(set("sha256_digest", ""), set("blake2_256_digest", "")), status: 200, want: "OK"},
	{name: "wheel without pyversion", change: set("pyversion", ""), status: 400,
		want: "Error: Python version is required for binary distribution uploads."},
	{name: "sdist with a python version", sdist: true, change: set("pyversion", "py3"), status: 400,
		want: "Error: Use 'source' as Python version for an sdist."},
	{name: "sdist without pyversion is source", sdist: true, change: set("pyversion", ""), status: 200, want: "OK"},
	{name: "form-level errors sort first", change: all(set("filetype", "bdist_egg"), set("md5_digest", ""), set("sha256_digest", ""), set("blake2_256_digest", "")),
		status: 400, want: "Error: Include at least one message digest."},
	{name: "name errors before all others", change: all(set("name", "-x"), set("md5_digest", ""), set("sha256_digest", ""), set("blake2_256_digest", "")),
		status: 400, want: "'-x' is an invalid value for Name. Error: Start and end with a letter or numeral containing only ASCII numeric and '.', '_' and '-'. See https://packaging.python.org/specifications/core-metadata for more information."},

	// 4. Core metadata.
	{name: "metadata version missing", change: set("metadata_version", ""), status: 400, want: "None is not a valid metadata version." + specHint},
	{name: "metadata version 2.0", change: set("metadata_version", "2.0"), status: 400, want: "'2.0' is not a valid metadata version." + specHint},
	{name: "version missing", change: set("version", ""), status: 400, want: "'version' is a required field." + specHint},
	{name: "version dog", change: set("version", "dog"), status: 400, want: "'dog' is invalid for 'version'." + specHint},
	{name: "metadata version before version", change: all(set("metadata_version", "3.0"), set("version", "dog")), status: 400,
		want: "'3.0' is not a valid metadata version." + specHint},
	{name: "version before other fields", change: all(set("version", "dog"), set("summary", "a\nb")), status: 400,
		want: "'dog' is invalid for 'version'." + specHint},
	{name: "local version", change: set("version", "0.1.0+local"), status: 400, want: "The use of local versions in '0.1.0+local' is not allowed." + specHint},
	{name: "single field sent twice", change: add("summary", "again"), status: 400, want: "'summary' has invalid data." + specHint},
	{name: "summary on two lines", change: set("summary", "one\ntwo"), status: 400, want: "'summary' must be a single line." + specHint},
	{name: "summary too long", change: set("summary", strings.Repeat("é", 513)), status: 400, want: "'summary' field must be 512 characters or less." + specHint},
	{name: "summary of 512 characters", change: set("summary", strings.Repeat("é", 512)), status: 200, want: "OK"},
	{name: "unknown classifier", change: add("classifiers", "Framework :: Nope", "Environment :: Nope"), status: 400,
		want: "'Environment :: Nope' is not a valid classifier." + specHint},
	{name: "deprecated classifier", change: add("classifiers", "Natural Language :: Ukranian"), status: 400,
		want: "The classifier 'Natural Language :: Ukranian' has been deprecated, use one of ['Natural Language :: Ukrainian'] instead." + specHint},
	{name: "deprecated classifier without replacement", change: add("classifiers", "Topic :: Communications :: Chat :: AOL Instant Messenger"), status: 400,
		want: "The classifier 'Topic :: Communications :: Chat :: AOL Instant Messenger' has been deprecated." + specHint},
	{name: "known classifiers", change: add("classifiers", "Programming Language :: Python :: 3.13", "License :: OSI Approved :: MIT License"), status: 200, want: "OK"},
	{name: "classifiers of 2024-2026", change: add("classifiers", "Framework :: Django :: 5.2", "Environment :: GPU :: NVIDIA CUDA :: 12 :: 12.4", "Programming Language :: Python :: Free Threading :: 3 - Stable"), status: 200, want: "OK"},
	{name: "private classifier", change: add("classifiers", "Private :: Do Not Upload"), status: 400,
		want: "'Private :: Do Not Upload' is not a valid classifier." + specHint},
	{name: "deprecated in 2025", change: add("classifiers", "Framework :: Django CMS :: 4.2"), status: 400,
		want: "The classifier 'Framework :: Django CMS :: 4.2' has been deprecated, use one of ['Framework :: Django CMS :: 5.0'] instead." + specHint},
	{name: "home page not http", change: set("home_page", "ftp://example.org"), status: 400, want: "'ftp://example.org' is not a valid url." + specHint},
	{name: "download url without scheme", change: all(set("metadata_version", "1.1"), set("requires_python", ""), set("download_url", "example.org/x")), status: 400,
		want: "'example.org/x' is not a valid url." + specHint},
	{name: "project url label too long", change: add("project_urls", strings.Repeat("L", 33)+", https://example.org"), status: 400,
		want: "'" + strings.Repeat("L", 33) + "' must be 32 characters or less." + specHint},
	{name: "project url without label", change: add("project_urls", ", https://example.org"), status: 400, want: "Must have a label." + specHint},
	{name: "project url without url", change: add("project_urls", "Source"), status: 400, want: "Must have a URL." + specHint},
	{name: "project url not http", change: add("project_urls", "Source, git://example.org/x"), status: 400, want: "'git://example.org/x' is not a valid url." + specHint},
	{name: "project url labels repeated", change: add("project_urls", "Source, https://a.example", "Source, https://b.example"), status: 400,
		want: "'project_urls' has invalid data." + specHint},
	{name: "direct dependency", change: add("requires_dist", "foo @ https://example.org/foo.whl ; python_version >= '3.8'"), status: 400,
		want: "Can't have direct dependency: foo@ https://example.org/foo.whl ; python_version >= \"3.8\"." + specHint},
	{name: "invalid requirement", change: add("requires_dist", "foo bar"), status: 400, want: "'foo bar' is invalid for 'requires-dist'." + specHint},
	{name: "requirements with extras and markers", change: add("requires_dist", "requests[socks] (<3,>=2.31) ; extra == 'http'", "tinyutil>=0.1; (python_version >= \"3.8\") and extra == 'tiny'"),
		status: 200, want: "OK"},
	{name: "invalid marker", change: add("requires_dist", "foo ; python_versio == '3'"), status: 400, want: `"foo ; python_versio == '3'" is invalid for 'requires-dist'.` + specHint},
	{name: "direct provides-dist", change: add("provides_dist", "foo@https://example.org/x.tar.gz"), status: 400,
		want: "Can't have direct dependency: 'foo@https://example.org/x.tar.gz'." + specHint},
	{name: "requires-python invalid", change: set("requires_python", "=>3.8"), status: 400, want: "'=>3.8' is invalid for 'requires-python'." + specHint},
	{name: "requires-python with a wildcard", change: set("requires_python", "==3.*, !=3.9.*"), status: 200, want: "OK"},
	{name: "description content type unknown", change: set("description_content_type", "text/html"), status: 400,
		want: "'description-content-type' must be one of ['text/plain', 'text/x-rst', 'text/markdown'], not 'text/html'." + specHint},
	{name: "description charset", change: set("description_content_type", "text/markdown; charset=utf-8"), status: 400,
		want: "'description-content-type' can only specify the UTF-8 charset, not ['u', 't', 'f', '-', '8']." + specHint},
	{name: "markdown variant", change: set("description_content_type", "text/markdown; variant=Other"), status: 400,
		want: "valid Markdown variants for 'description-content-type' are ['GFM', 'CommonMark'], not 'Other'." + specHint},
	{name: "field too new for the metadata version", change: all(set("metadata_version", "1.2"), set("description_content_type", "text/plain")), status: 400,
		want: "description-content-type introduced in metadata version 2.1, not 1.2." + specHint},
	{name: "dynamic name", change: all(set("metadata_version", "2.2"), add("dynamic", "Name")), status: 400, want: "'name' is not allowed as a dynamic field." + specHint},
	{name: "dynamic unknown field", change: all(set("metadata_version", "2.2"), add("dynamic", "Colour")), status: 400, want: "'colour' is not a valid dynamic field." + specHint},
	{name: "dynamic dynamic", change: all(set("metadata_version", "2.2"), add("dynamic", "Dynamic")), status: 400,
		want: "Dynamic field 'dynamic' is not a valid dynamic field." + specHint},
	{name: "provides-extra invalid", change: add("provides_extra", "-x"), status: 400, want: "'-x' is invalid for 'provides-extra'." + specHint},
	{name: "license and license expression", change: all(set("metadata_version", "2.4"), set("license", "MIT"), set("license_expression", "MIT")), status: 400,
		want: "License is deprecated when License-Expression is present. Only License-Expression should be present." + specHint},
	{name: "license expression unknown", change: all(set("metadata_version", "2.4"), set("license_expression", "MIT OR Nope-1.0")), status: 400,
		want: "'MIT OR Nope-1.0' is invalid for 'license-expression'." + specHint},
	{name: "license expression lower case", change: all(set("metadata_version", "2.4"), set("license_expression", "mit or (apache-2.0 and licenseref-mine)")), status: 200, want: "OK"},
	{name: "license file absolute", change: all(set("metadata_version", "2.4"), add("license_file", "/LICENSE")), status: 400,
		want: "'/LICENSE' is invalid for 'license-file', paths must be relative." + specHint},
	{name: "license file glob", change: all(set("metadata_version", "2.4"), add("license_file", "LICEN*")), status: 400,
		want: "'LICEN*' is invalid for 'license-file', paths must be resolved." + specHint},
	{name: "license file backslash", change: all(set("metadata_version", "2.4"), add("license_file", `licenses\MIT`)), status: 400,
		want: `'licenses\\MIT' is invalid for 'license-file', paths must use '/' delimiter.` + specHint},
	{name: "license file too new", change: add("license_file", "LICENSE"), status: 400,
		want: "license-file introduced in metadata version 2.4, not 2.1." + specHint},
	{name: "metadata 2.5 with import names", change: all(set("metadata_version", "2.5"), add("import_name", "demo_py", "demo_py._impl; private", "démo"), add("import_namespace", "demo_ns")), status: 200, want: "OK"},
	{name: "import name too new", change: add("import_name", "demo_py"), status: 400,
		want: "import-name introduced in metadata version 2.5, not 2.1." + specHint},
	{name: "import name not an identifier", change: all(set("metadata_version", "2.5"), add("import_name", "demo-py")), status: 400,
		want: "'demo-py' is invalid for 'import-name'; 'demo-py' is not a valid identifier." + specHint},
	{name: "import name keyword", change: all(set("metadata_version", "2.5"), add("import_namespace", "demo.class")), status: 400,
		want: "'demo.class' is invalid for 'import-namespace'; 'class' is a keyword." + specHint},
	{name: "import name option", change: all(set("metadata_version", "2.5"), add("import_name", "demo; public")), status: 400,
		want: "'demo; public' is invalid for 'import-name'; the only valid option is 'private'." + specHint},
	{name: "author email without at-sign", change: set("author_email", "Ada <ada.example.org>"), status: 400,
		want: "'ada.example.org' is not a valid email address: An email address must have an @-sign." + specHint},
	{name: "author emails list is not checked", change: set("author_email", "Ada <ada@example.org>, Bob <bob@example.org>"), status: 200, want: "OK"},
	{name: "metadata errors before the file", change: all(set("version", "dog"), func(_ *testing.T, r *uploadRequest) { r.noFile = true }), status: 400,
		want: "'dog' is invalid for 'version'." + specHint},

	// 5. The file part.
	{name: "no file", change: func(_ *testing.T, r *uploadRequest) { r.noFile = true }, status: 400, want: "Upload payload does not have a file."},

	// 6. Project and permission.
	{name: "project-scoped token, other project", opts: []Option{WithToken("pypi-scoped", "richmeta")},
		change: func(_ *testing.T, r *uploadRequest) { r.token = "pypi-scoped" }, status: 403,
		want: "Invalid API Token: project-scoped token is not valid for project: 'tinyutil'"},
	{name: "project-scoped token, its project", opts: []Option{WithToken("pypi-scoped", "TinyUtil")},
		change: func(_ *testing.T, r *uploadRequest) { r.token = "pypi-scoped" }, status: 200, want: "OK"},
	{name: "expired token", opts: []Option{WithExpiringToken("pypi-old", time.Now().Add(-time.Second))},
		change: func(_ *testing.T, r *uploadRequest) { r.token = "pypi-old" }, status: 403, want: "Invalid API Token: token is expired"},
	{name: "another user's project", opts: []Option{WithUserToken("alice", "pypi-alice"), WithProject("TinyUtil", testToken)},
		change: func(_ *testing.T, r *uploadRequest) { r.token = "pypi-alice" }, status: 403,
		want: "The user 'alice' isn't allowed to upload to project 'TinyUtil'. See https://pypi.org/help/#project-name for more information."},
	{name: "permission comes after the form", opts: []Option{WithToken("pypi-scoped", "richmeta")},
		change: all(func(_ *testing.T, r *uploadRequest) { r.token = "pypi-scoped" }, set("version", "dog")), status: 400,
		want: "'dog' is invalid for 'version'." + specHint},
	{name: "minted token, new project", setup: func(_ *testing.T, srv *Server) { mintedToken(srv, "pypi-minted", time.Now().Add(time.Hour), "other") },
		change: func(_ *testing.T, r *uploadRequest) { r.token = "pypi-minted" }, status: 400,
		want: "Non-user identities cannot create new projects. This was probably caused by successfully using a pending publisher but specifying the project name incorrectly (either in the publisher or in your project's metadata). Please ensure that both match. See: https://docs.pypi.org/trusted-publishers/troubleshooting/"},
	{name: "minted token, other project", opts: []Option{WithProject("tinyutil", testToken)},
		setup:  func(_ *testing.T, srv *Server) { mintedToken(srv, "pypi-minted", time.Now().Add(time.Hour), "other") },
		change: func(_ *testing.T, r *uploadRequest) { r.token = "pypi-minted" }, status: 403,
		want: "Invalid API Token: OIDC scoped token is not valid for project 'tinyutil'"},
	{name: "minted token, its project", opts: []Option{WithProject("tinyutil", testToken)},
		setup: func(_ *testing.T, srv *Server) {
			mintedToken(srv, "pypi-minted", time.Now().Add(time.Hour), "tinyutil")
		},
		change: func(_ *testing.T, r *uploadRequest) { r.token = "pypi-minted" }, status: 200, want: "OK"},
	{name: "minted token expired", opts: []Option{WithProject("tinyutil", testToken)},
		setup: func(_ *testing.T, srv *Server) {
			mintedToken(srv, "pypi-minted", time.Now().Add(-time.Second), "tinyutil")
		},
		change: func(_ *testing.T, r *uploadRequest) { r.token = "pypi-minted" }, status: 403, want: "Invalid API Token: token is expired"},
	{name: "name too similar to an existing project", opts: []Option{WithProject("tinyut1l", testToken)}, status: 400,
		want: "The name 'tinyutil' is too similar to an existing project. See https://pypi.org/help/#project-name for more information."},
	{name: "TestPyPI help pages", opts: []Option{WithHelpURL("https://test.pypi.org/help")},
		change: func(_ *testing.T, r *uploadRequest) { r.token = "" }, status: 403,
		want: "Invalid or non-existent authentication information. See https://test.pypi.org/help/#invalid-auth for more information."},

	// 7. File name.
	{name: "control character in the file name", change: func(_ *testing.T, r *uploadRequest) { r.filename = "tinyutil-0.1.0-py3-none-any\t.whl" }, status: 400,
		want: "Cannot upload a file with non-printable characters (ordinals 0-31) or the DEL character (ordinal 127) in the name."},
	{name: "slash in the file name", change: func(_ *testing.T, r *uploadRequest) { r.filename = "dist/tinyutil-0.1.0-py3-none-any.whl" }, status: 400,
		want: `Cannot upload a file with '/' or '\' in the name.`},
	{name: "egg", change: func(_ *testing.T, r *uploadRequest) { r.filename = "tinyutil-0.1.0-py3.11.egg" }, status: 400,
		want: "Invalid file extension: Use .tar.gz, .whl or .zip extension. See https://www.python.org/dev/peps/pep-0527 and https://peps.python.org/pep-0715/ for more information"},
	{name: "wheel sent as an sdist", change: all(set("filetype", "sdist"), set("pyversion", "source")), status: 400,
		want: "Invalid file extension: Extension .whl is invalid for filetype sdist. See https://www.python.org/dev/peps/pep-0527 for more information."},
	{name: "image content type", change: func(_ *testing.T, r *uploadRequest) { r.partType = "image/png" }, status: 400, want: "Invalid distribution file."},
	{name: "permission before the file name", opts: []Option{WithToken("pypi-scoped", "richmeta")},
		change: func(_ *testing.T, r *uploadRequest) { r.token, r.filename = "pypi-scoped", "x/y.whl" }, status: 403,
		want: "Invalid API Token: project-scoped token is not valid for project: 'tinyutil'"},

	// 8. Size.
	{name: "file too large", opts: []Option{WithMaxFileSize(1 << 20)},
		change: func(t *testing.T, r *uploadRequest) { withContent(r, r.filename, bytes.Repeat([]byte("x"), 1<<20+1)) },
		status: 400, want: fileTooLarge},
	{name: "file at the limit", opts: []Option{WithMaxFileSize(1 << 20)},
		change: func(t *testing.T, r *uploadRequest) { withContent(r, r.filename, bytes.Repeat([]byte("x"), 1<<20)) },
		status: 400, want: "Invalid distribution file. File is not a zipfile"},
	{name: "size before digests", opts: []Option{WithMaxFileSize(1 << 20)},
		change: func(t *testing.T, r *uploadRequest) {
			withContent(r, r.filename, bytes.Repeat([]byte("x"), 2<<20))
			r.fields = setField(r.fields, "sha256_digest", strings.Repeat("0", 64))
		},
		status: 400, want: fileTooLarge},
	{name: "project too large", opts: []Option{WithMaxProjectSize(1000)}, status: 400,
		want: "Project size too large. Limit for project 'tinyutil' total size is 0 GB. See https://docs.pypi.org/project-management/storage-limits#requesting-a-project-size-limit-increase"},

	// 9. Digests.
	{name: "sha256 mismatch", change: set("sha256_digest", strings.Repeat("0", 64)), status: 400, want: digestMismatch},
	{name: "md5 mismatch", change: set("md5_digest", "d41d8cd98f00b204e9800998ecf8427e"), status: 400, want: digestMismatch},
	{name: "blake2 mismatch", change: set("blake2_256_digest", strings.Repeat("a", 64)), status: 400, want: digestMismatch},

	// 10-11. Duplicates.
	{name: "same file again", setup: uploadTinyutil, status: 200, want: "OK"},
	{name: "same name, other content", setup: uploadTinyutil,
		change: func(t *testing.T, r *uploadRequest) { withContent(r, r.filename, []byte("other bytes")) }, status: 400,
		want: "File already exists ('tinyutil-0.1.0-py3-none-any.whl', with blake2_256 hash '7c1f9a7ed4a1b0a58e4e25d0c42bc34d6e9bd4d5a3ac6c8b3e4ec0a3d3bd5e93'). See https://pypi.org/help/#file-name-reuse for more information."},
	{name: "same content, other name", setup: uploadTinyutil,
		change: func(_ *testing.T, r *uploadRequest) { r.filename = "tinyutil-0.1.0-py2.py3-none-any.whl" }, status: 400,
		want: "File already exists ('tinyutil-0.1.0-py2.py3-none-any.whl', with blake2_256 hash 'computed'). See https://pypi.org/help/#file-name-reuse for more information."},
	{name: "digests before duplicates", setup: uploadTinyutil, change: set("sha256_digest", strings.Repeat("0", 64)), status: 400, want: digestMismatch},
	{name: "deleted file name", setup: func(t *testing.T, srv *Server) {
		uploadTinyutil(t, srv)
		if err := srv.DeleteFile("tinyutil-0.1.0-py3-none-any.whl"); err != nil {
			t.Fatal(err)
		}
	}, status: 400, want: "This filename was previously used by a file that has since been deleted. Use a different version. See https://pypi.org/help/#file-name-reuse for more information."},
	{name: "second sdist", sdist: true, setup: func(t *testing.T, srv *Server) {
		path, _ := tinyutil(t, true)
		wantReply(t, uploadFile(t, srv, testToken, path), 200, "OK")
	}, change: func(t *testing.T, r *uploadRequest) { withContent(r, "tinyutil-0.1.0.zip", []byte("a zip sdist")) }, status: 400,
		want: "Only one sdist may be uploaded per release."},
	{name: "duplicates before archive checks", setup: uploadTinyutil,
		change: func(t *testing.T, r *uploadRequest) { withContent(r, r.filename, []byte("not a zip")) }, status: 400,
		want: "File already exists ('tinyutil-0.1.0-py3-none-any.whl', with blake2_256 hash 'f16a3a2fbc9c55ea0b07a99e3b1ee1df93e0e8ba7c7e1a4cc0d2f7bc1a9c4f69'). See https://pypi.org/help/#file-name-reuse for more information."},

	// 12-13. The file itself.
	{name: "not a wheel", change: func(t *testing.T, r *uploadRequest) { withContent(r, r.filename, []byte("not a zip")) }, status: 400,
		want: "Invalid distribution file. File is not a zipfile"},
	{name: "wheel of another project", change: func(t *testing.T, r *uploadRequest) {
		name, data := generatedWheel(t, wheelgen.Spec{Name: "other", Version: "0.1.0", Size: 10})
		withContent(r, name, data)
	}, status: 400, want: "Start filename for 'tinyutil' with 'tinyutil'."},
	{name: "wheel with a non-normalized name", change: all(set("name", "TinyUtil"), func(t *testing.T, r *uploadRequest) {
		name, data := generatedWheel(t, wheelgen.Spec{Name: "tinyutil", Version: "0.1.0", Size: 10})
		withContent(r, strings.Replace(name, "tinyutil", "TinyUtil", 1), data)
	}), status: 400, want: "Invalid distribution file. WHEEL not found at TinyUtil-0.1.0.dist-info/WHEEL"},
	{name: "wheel file name with too few parts", change: func(_ *testing.T, r *uploadRequest) { r.filename = "tinyutil-0.1.0-py3-any.whl" }, status: 400,
		want: "Invalid wheel filename (wrong number of parts): 'tinyutil-0.1.0-py3-any'"},
	{name: "wheel version differs", change: all(set("version", "0.1"), func(t *testing.T, r *uploadRequest) {
		name, data := generatedWheel(t, wheelgen.Spec{Name: "tinyutil", Version: "0.1.0.post0", Size: 10})
		withContent(r, name, data)
	}), status: 400, want: "Version in filename should be '0.1' not '0.1.0.post0'."},
	{name: "equal versions in other spellings", change: all(set("version", "0.1"), func(t *testing.T, r *uploadRequest) {
		name, data := generatedWheel(t, wheelgen.Spec{Name: "tinyutil", Version: "0.1.0", Size: 10})
		withContent(r, name, data)
	}), status: 200, want: "OK"},
	{name: "manylinux and macOS tags", change: func(t *testing.T, r *uploadRequest) {
		name, data := generatedWheel(t, wheelgen.Spec{Name: "tinyutil", Version: "0.1.0", Size: 10, Tag: "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.macosx_11_0_arm64"})
		withContent(r, name, data)
		r.fields = setField(r.fields, "pyversion", "cp312")
	}, status: 200, want: "OK"},
	{name: "macOS tag with a minor version", change: func(t *testing.T, r *uploadRequest) {
		name, data := generatedWheel(t, wheelgen.Spec{Name: "tinyutil", Version: "0.1.0", Size: 10, Tag: "cp312-cp312-macosx_11_2_arm64"})
		withContent(r, name, data)
		r.fields = setField(r.fields, "pyversion", "cp312")
	}, status: 400, want: "Binary wheel 'tinyutil-0.1.0-cp312-cp312-macosx_11_2_arm64.whl' has an unsupported platform tag 'macosx_11_2_arm64'."},
	{name: "sdist of another project", sdist: true, change: func(t *testing.T, r *uploadRequest) {
		data, _ := os.ReadFile(filepath.Join(goodDir, "richmeta-1.2.0.tar.gz"))
		withContent(r, "richmeta-0.1.0.tar.gz", data)
	}, status: 400, want: "Start filename for 'tinyutil' with 'tinyutil'."},
	{name: "sdist without a version in the name", sdist: true, change: func(_ *testing.T, r *uploadRequest) { r.filename = "tinyutil.tar.gz" }, status: 400,
		want: "Invalid source distribution filename: tinyutil.tar.gz"},
	{name: "attestations with an API token", change: add("attestations", "[]"), status: 400,
		want: "Invalid attestations supplied during upload: Attestations are only supported when using Trusted Publishing"},
}

func uploadTinyutil(t *testing.T, srv *Server) {
	t.Helper()
	path, _ := tinyutil(t, false)
	wantReply(t, uploadFile(t, srv, testToken, path), 200, "OK")
}

func TestUploadRules(t *testing.T) {
	for _, c := range ruleCases {
		t.Run(c.name, func(t *testing.T) {
			srv := NewServer(t, append([]Option{WithToken(testToken)}, c.opts...)...)
			if c.setup != nil {
				c.setup(t, srv)
			}
			path, data := tinyutil(t, c.sdist)
			r := uploadRequest{url: srv.RepositoryURL, token: testToken, fields: formFor(t, path), filename: filepath.Base(path), content: data}
			if c.change != nil {
				c.change(t, &r)
			}
			before := len(srv.Files())
			got := r.send(t)
			want := c.want
			if c.status == 400 && strings.HasPrefix(want, "File already exists") {
				// The hash is the upload's: compute it rather than hard-code it.
				d := digestFields(r.content)
				want = want[:strings.Index(want, "hash '")+6] + d[2].Value + want[strings.Index(want, "'). See"):]
			}
			wantReply(t, got, c.status, want)
			after := len(srv.Files())
			if c.status == 200 && c.setup == nil && after != before+1 || c.status != 200 && after != before {
				t.Fatalf("files stored: %d → %d", before, after)
			}
		})
	}
}

func TestErrorBodies(t *testing.T) {
	srv := NewServer(t, WithToken(testToken))
	path, data := tinyutil(t, false)
	r := uploadRequest{url: srv.RepositoryURL, token: testToken, fields: setField(formFor(t, path), "version", "dog"), filename: filepath.Base(path), content: data}
	msg := "'dog' is invalid for 'version'." + specHint

	r.accept = "application/json"
	got := r.send(t)
	var doc map[string]string
	if err := json.Unmarshal([]byte(got.body), &doc); err != nil || got.header.Get("Content-Type") != "application/json" {
		t.Fatalf("JSON body: %v %q %s", err, got.header.Get("Content-Type"), got.body)
	}
	wantDoc := map[string]string{
		"message": "The server could not comply with the request since it is either malformed or otherwise incorrect.\n\n\n" + msg + "\n\n",
		"code":    "400 " + msg,
		"title":   "Bad Request",
	}
	for k, v := range wantDoc {
		if doc[k] != v {
			t.Errorf("JSON %s = %q, want %q", k, doc[k], v)
		}
	}

	r.accept = "text/plain"
	got = r.send(t)
	if got.body != "400 "+msg+"\n\nThe server could not comply with the request since it is either malformed or otherwise incorrect.\n\n\n"+msg+"\n\n" {
		t.Errorf("plain body %q", got.body)
	}
	for _, accept := range []string{"", "*/*", "application/json, text/html", "text/html;q=0.9, application/json;q=0.5"} {
		r.accept = accept
		got = r.send(t)
		if !strings.HasPrefix(got.header.Get("Content-Type"), "text/html") || !strings.Contains(got.body, "<h1>400 "+strings.ReplaceAll(msg, "'", "&#39;")+"</h1>") {
			t.Errorf("Accept %q: %s %s", accept, got.header.Get("Content-Type"), got.body)
		}
	}

	// The username/password refusal has no detail in its body.
	r.accept, r.auth = "application/json", "Basic YWxpY2U6c2VjcmV0"
	got = r.send(t)
	_ = json.Unmarshal([]byte(got.body), &doc)
	if doc["message"] != "Access was denied to this resource.\n\n\n\n\n" || !strings.HasPrefix(doc["code"], "403 Username/Password") {
		t.Errorf("username/password body %q", got.body)
	}

	// Non-Latin-1 text becomes "?" in the status line, not in the body.
	r.auth, r.accept = "", "application/json"
	r.fields = setField(formFor(t, path), "version", "dög☃")
	got = r.send(t)
	if got.reason != "'dög?' is invalid for 'version'."+specHint {
		t.Errorf("reason %q", got.reason)
	}
	_ = json.Unmarshal([]byte(got.body), &doc)
	if !strings.Contains(doc["message"], "'dög☃' is invalid") {
		t.Errorf("body %q", got.body)
	}
}

func TestMissingTrailingSlash(t *testing.T) {
	srv := NewServer(t, WithToken(testToken))
	path, data := tinyutil(t, false)
	got := uploadRequest{url: srv.URL + "/legacy", token: testToken, fields: formFor(t, path), filename: filepath.Base(path), content: data}.send(t)
	wantReply(t, got, http.StatusPermanentRedirect, "An upload was attempted to /legacy but the expected upload URL is /legacy/ (with a trailing slash)")
	if got.header.Get("Location") != "/legacy/" || len(srv.Files()) != 0 {
		t.Fatalf("Location %q, files %d", got.header.Get("Location"), len(srv.Files()))
	}
}
