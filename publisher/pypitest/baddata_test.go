package pypitest

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const specHint = " See https://packaging.python.org/specifications/core-metadata for more information."

// badExpectations is what the index answers for each file of testdata/bad,
// uploaded with the form twine would send. "" means accepted (PyPI takes
// it; only a careful client refuses it).
var badExpectations = map[string]string{
	"bad_not_zip-0.1.0-py3-none-any.whl":               "Invalid distribution file. File is not a zipfile",
	"bad_truncated-0.1.0-py3-none-any.whl":             "Invalid distribution file. File is not a zipfile",
	"bad_truncated_sdist-0.1.0.tar.gz":                 "Invalid distribution file. None",
	"bad_not_gzip-0.1.0.tar.gz":                        "Invalid distribution file. None",
	"bad_version_mismatch-0.1.0-py3-none-any.whl":      "Version in filename should be '0.2.0' not '0.1.0'.",
	"bad_no_record-0.1.0-py3-none-any.whl":             "Wheel 'bad_no_record-0.1.0-py3-none-any.whl' does not contain the required RECORD file: bad_no_record-0.1.0.dist-info/RECORD",
	"bad_no_wheel_file-0.1.0-py3-none-any.whl":         "Invalid distribution file. WHEEL not found at bad_no_wheel_file-0.1.0.dist-info/WHEEL",
	"bad_record_mismatch-0.1.0-py3-none-any.whl":       "",
	"bad_two_dist_info-0.1.0-py3-none-any.whl":         "",
	"Bad.Name-0.1.0-py3-none-any.whl":                  "Filename 'Bad.Name-0.1.0-py3-none-any.whl' should contain the normalized project name 'bad_name', not 'Bad.Name'.",
	"bad_linux_tag-0.1.0-cp311-cp311-linux_x86_64.whl": "Binary wheel 'bad_linux_tag-0.1.0-cp311-cp311-linux_x86_64.whl' has an unsupported platform tag 'linux_x86_64'.",
	"bad_made_up_tag-0.1.0-py3-none-plan9_amd64.whl":   "Binary wheel 'bad_made_up_tag-0.1.0-py3-none-plan9_amd64.whl' has an unsupported platform tag 'plan9_amd64'.",
	"bad_path_traversal-0.1.0-py3-none-any.whl":        "",
	"bad_absolute_path-0.1.0-py3-none-any.whl":         "",
	"bad_symlink-0.1.0.tar.gz":                         "",
	"bad_sdist_traversal-0.1.0.tar.gz":                 "",
	"bad_duplicate_entry-0.1.0-py3-none-any.whl":// Python's zipfile keeps the last central directory entry of a name, so
	// the first local header's sizes mismatch before the duplicate is seen.
	"Invalid distribution file. ZIP archive not accepted: Mis-matched data size. See https://docs.pypi.org/archives for more information",
	"bad_data_descriptor-0.1.0-py3-none-any.whl":        "Invalid distribution file. ZIP archive not accepted: ZIP contains a data descriptor. See https://docs.pypi.org/archives for more information",
	"bad_zip_comment-0.1.0-py3-none-any.whl":            "", // zipfiles.py skips the end record's comment
	"bad_entry_comment-0.1.0-py3-none-any.whl":          "Invalid distribution file. ZIP archive not accepted: Comment in central directory. See https://docs.pypi.org/archives for more information",
	"bad_trailing_bytes-0.1.0-py3-none-any.whl":         "Invalid distribution file. ZIP archive not accepted: Trailing data. See https://docs.pypi.org/archives for more information",
	"bad_zip_bomb-0.1.0-py3-none-any.whl":               "Invalid distribution file. File exceeds compression ratio of 50",
	"bad_bzip2-0.1.0-py3-none-any.whl":                  "Invalid distribution file. File does not use a supported compression type",
	"bad_zip_sdist-0.1.0.zip":                           "Filename 'bad_zip_sdist-0.1.0.zip' is invalid, should be 'bad_zip_sdist-0.1.0.tar.gz'.",
	"Demo.Py-0.1.0.tar.gz":                              "Filename 'Demo.Py-0.1.0.tar.gz' is invalid, should be 'demo_py-0.1.0.tar.gz'.",
	"bad_two_tops-0.1.0.tar.gz":                         "Invalid distribution file. Incorrect number of top-level directories in sdist",
	"bad_no_pkg_info-0.1.0.tar.gz":                      "Invalid distribution file. PKG-INFO not found at bad_no_pkg_info-0.1.0/PKG-INFO",
	"bad_sdist_version-0.1.0.tar.gz":                    "Filename 'bad_sdist_version-0.1.0.tar.gz' is invalid, should be 'bad_sdist_version-0.2.0.tar.gz'.",
	"bad_sdist_license_file-0.1.0.tar.gz":               "License-File LICENSE does not exist in distribution file bad_sdist_license_file-0.1.0.tar.gz at bad_sdist_license_file-0.1.0/LICENSE",
	"bad_nul_bytes-0.1.0-py3-none-any.whl":              "", // Warehouse rewrites NUL as the text \x00
	"bad_metadata_20-0.1.0-py3-none-any.whl":            "'2.0' is not a valid metadata version." + specHint,
	"bad_metadata_26-0.1.0-py3-none-any.whl":            "'2.6' is not a valid metadata version." + specHint,
	"bad_missing_name-0.1.0-py3-none-any.whl":           "'' is an invalid value for Name. Error: This field is required. See https://packaging.python.org/specifications/core-metadata for more information.",
	"bad_invalid_version-dog-py3-none-any.whl":          "'dog' is invalid for 'version'." + specHint,
	"bad_local_version-0.1.0+local-py3-none-any.whl":    "The use of local versions in '0.1.0+local' is not allowed." + specHint,
	"bad_license_and_expression-0.1.0-py3-none-any.whl": "License is deprecated when License-Expression is present. Only License-Expression should be present." + specHint,
	"bad_license_file_missing-0.1.0-py3-none-any.whl":   "License-File LICENSE does not exist in distribution file bad_license_file_missing-0.1.0-py3-none-any.whl at bad_license_file_missing-0.1.0.dist-info/licenses/LICENSE",
	"bad_license_file_path-0.1.0-py3-none-any.whl":      "'../LICENSE' is invalid for 'license-file', parent directory indicators are not allowed." + specHint,
	"bad_spdx_syntax-0.1.0-py3-none-any.whl":            "'MIT OR' is invalid for 'license-expression'." + specHint,
	"bad_spdx_unknown-0.1.0-py3-none-any.whl":           "'Not-A-License-1.0' is invalid for 'license-expression'." + specHint,
	"bad_field_too_new-0.1.0-py3-none-any.whl":          "license-expression introduced in metadata version 2.4, not 2.1." + specHint,
	"bad_summary_newline-0.1.0-py3-none-any.whl":        "'summary' must be a single line." + specHint,
	"bad_summary_long-0.1.0-py3-none-any.whl":           "'summary' field must be 512 characters or less." + specHint,
	"bad_direct_url-0.1.0-py3-none-any.whl":             "Can't have direct dependency: foo@ https://example.org/foo-1.0.tar.gz." + specHint,
	"bad_classifier-0.1.0-py3-none-any.whl":             "'Framework :: Not A Real Framework' is not a valid classifier." + specHint,
	"bad_project_url-0.1.0-py3-none-any.whl":            "'ftp://example.org/src' is not a valid url." + specHint,
	"demo-py-0.1.0.tar.gz":                              "Filename 'demo-py-0.1.0.tar.gz' is invalid, should be 'demo_py-0.1.0.tar.gz'.",
	"flit-hello-0.3.0.tar.gz":                           "Filename 'flit-hello-0.3.0.tar.gz' is invalid, should be 'flit_hello-0.3.0.tar.gz'.",
}

// badFields builds the form for files a metadata reader cannot handle.
func badFields(t *testing.T, path string) []Field {
	name := filepath.Base(path)
	switch name {
	case "bad_not_zip-0.1.0-py3-none-any.whl", "bad_truncated-0.1.0-py3-none-any.whl", "bad_no_metadata-0.1.0-py3-none-any.whl":
		project := strings.SplitN(name, "-", 2)[0]
		return withDigests(t, path, []Field{{"metadata_version", "2.1"}, {"name", project}, {"version", "0.1.0"},
			{"filetype", "bdist_wheel"}, {"pyversion", "py3"}})
	case "bad_bzip2-0.1.0-py3-none-any.whl":
		return withDigests(t, path, []Field{{"metadata_version", "2.1"}, {"name", "bad-bzip2"}, {"version", "0.1.0"},
			{"filetype", "bdist_wheel"}, {"pyversion", "py3"}})
	case "bad_truncated_sdist-0.1.0.tar.gz", "bad_not_gzip-0.1.0.tar.gz", "bad_no_pkg_info-0.1.0.tar.gz":
		return withDigests(t, path, []Field{{"metadata_version", "2.1"}, {"name", strings.SplitN(name, "-", 2)[0]},
			{"version", "0.1.0"}, {"filetype", "sdist"}, {"pyversion", "source"}})
	case "bad_egg-0.1.0-py3.11.egg":
		return withDigests(t, path, []Field{{"metadata_version", "2.1"}, {"name", "bad-egg"}, {"version", "0.1.0"},
			{"filetype", "bdist_wheel"}, {"pyversion", "py3.11"}})
	}
	return formFor(t, path)
}

func withDigests(t *testing.T, path string, fields []Field) []Field {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return append(fields, digestFields(data)...)
}

func TestBadDistributions(t *testing.T) {
	var cases []struct{ File, Rejection string }
	raw, err := os.ReadFile(filepath.Join(badDir, "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	badExpectations["bad_egg-0.1.0-py3.11.egg"] = "Invalid file extension: Use .tar.gz, .whl or .zip extension. See https://www.python.org/dev/peps/pep-0527 and https://peps.python.org/pep-0715/ for more information"
	badExpectations["bad_no_metadata-0.1.0-py3-none-any.whl"] = "Wheel 'bad_no_metadata-0.1.0-py3-none-any.whl' does not contain the required METADATA file: bad_no_metadata-0.1.0.dist-info/METADATA"
	srv := NewServer(t, WithToken(testToken))
	seen := 0
	for _, c := range cases {
		if c.File == "bad_invalid_utf8-0.1.0-py3-none-any.whl" {
			continue // not UTF-8: no form can carry it
		}
		want, ok := badExpectations[c.File]
		if !ok {
			t.Errorf("%s: no expectation (cases.json says %q)", c.File, c.Rejection)
			continue
		}
		seen++
		t.Run(c.File, func(t *testing.T) {
			path := filepath.Join(badDir, c.File)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			got := uploadRequest{url: srv.RepositoryURL, token: testToken, fields: badFields(t, path), filename: c.File, content: data}.send(t)
			if want == "" {
				wantReply(t, got, http.StatusOK, "OK")
				return
			}
			wantReply(t, got, http.StatusBadRequest, want)
			if _, stored := srv.File(c.File); stored {
				t.Fatal("a refused file was stored")
			}
		})
	}
	if seen < 50 {
		t.Fatalf("only %d cases checked", seen)
	}
	// Warehouse compares RECORD's file names, not its hashes.
	if f, _ := srv.File("bad_record_mismatch-0.1.0-py3-none-any.whl"); f.RecordMismatch {
		t.Error("a RECORD listing every file was reported as mismatching")
	}
	if f, _ := srv.File("bad_nul_bytes-0.1.0-py3-none-any.whl"); !strings.Contains(fieldValue(f.Fields, "summary"), "\x00") {
		t.Error("form fields should be kept as sent")
	}
}

func fieldValue(fields []Field, name string) string {
	for _, f := range fields {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}
