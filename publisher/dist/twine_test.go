package dist

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestFormFieldsMatchTwine uploads every good testdata file with the real
// twine to a recording server and compares, field by field, what twine sent
// with what FormFields would send. The intended differences, all on purpose
// (see FormFields), are normalized before comparing:
//
//   - name: twine sends pkginfo's "safe" name (runs of characters other
//     than letters, digits and "." become "-"); we send the Name field as
//     written. PyPI normalizes both to the same project.
//   - provides_extras (twine 4) vs provides_extra (the key PyPI reads).
//   - keys twine sends with an empty value because the metadata lacks the
//     field ("comment", "home_page" ...): we leave them out; PyPI treats an
//     empty value as absent.
//   - pyversion of an sdist: twine sends it empty and PyPI fills in
//     "source"; we send "source", as PROTOCOL.md says.
//   - md5_digest: we compute and send it only with Options.MD5
//     (--print-hash); it is optional for PyPI and costs a third of the
//     verification time. The comparison runs with it on.
func TestFormFieldsMatchTwine(t *testing.T) {
	const twine = "/usr/bin/twine"
	if _, err := os.Stat(twine); err != nil {
		t.Skip("twine is not installed at /usr/bin/twine (Debian package twine)")
	}
	files := distFiles(t, filepath.Join(testdataDir, "good"))
	if len(files) == 0 {
		t.Fatal("committed fixtures missing: testdata/good holds no distribution")
	}

	// Each file uploads to its own path, so the uploads can run in parallel.
	var mu sync.Mutex
	got := map[string][][]Field{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mr, err := r.MultipartReader()
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var fields []Field
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			b, _ := io.ReadAll(part)
			if part.FormName() == "content" {
				fields = append(fields, Field{"content", part.FileName()})
				continue
			}
			fields = append(fields, Field{part.FormName(), string(b)})
		}
		mu.Lock()
		got[r.URL.Path] = append(got[r.URL.Path], fields)
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)

	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			path := "/" + filepath.Base(file) + "/legacy/"
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, twine, "upload", "--repository-url", srv.URL+path,
				"-u", "__token__", "-p", "pypi-test-not-a-secret", "--non-interactive", "--disable-progress-bar", file)
			cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "PYTHON_KEYRING_BACKEND=keyring.backends.null.Keyring", "NO_COLOR=1")
			out, err := cmd.CombinedOutput()
			mu.Lock()
			sent := got[path]
			mu.Unlock()
			if err != nil || len(sent) != 1 {
				if strings.Contains(string(out), "Metadata is missing required fields") {
					t.Skip("twine 4 (pkginfo 1.8) cannot read Metadata-Version 2.3+: it says \"Metadata is missing required fields: Name, Version\"")
				}
				t.Fatalf("twine upload failed (%v): %s", err, out)
			}
			d, problems, ierr := Inspect(file, Options{MD5: true})
			if ierr != nil || len(problems) != 0 {
				t.Fatalf("inspect: %v %v", ierr, problems)
			}
			compareWithTwine(t, sent[0], append(d.FormFields(), Field{"content", d.Filename}))
		})
	}
}

var unsafeNameRE = regexp.MustCompile(`[^A-Za-z0-9.]+`)

func compareWithTwine(t *testing.T, twine, ours []Field) {
	t.Helper()
	group := func(fs []Field, isTwine bool) (map[string][]string, []string) {
		m := map[string][]string{}
		var order []string
		for _, f := range fs {
			name, value := f.Name, f.Value
			if isTwine {
				if name == "provides_extras" {
					name = "provides_extra"
				}
				if value == "" {
					continue
				}
			}
			if _, ok := m[name]; !ok {
				order = append(order, name)
			}
			m[name] = append(m[name], value)
		}
		return m, order
	}
	tw, twOrder := group(twine, true)
	us, usOrder := group(ours, false)
	if _, ok := tw["pyversion"]; !ok && strings.Join(us["filetype"], "") == "sdist" && strings.Join(us["pyversion"], "") == "source" {
		delete(us, "pyversion")
	}
	if len(us["name"]) == 1 {
		us["name"] = []string{unsafeNameRE.ReplaceAllString(us["name"][0], "-")}
	}
	for _, k := range twOrder {
		if strings.Join(tw[k], "\x00") != strings.Join(us[k], "\x00") {
			t.Errorf("field %s: twine sent %q, we would send %q", k, tw[k], us[k])
		}
	}
	for _, k := range usOrder {
		if _, ok := tw[k]; !ok && us[k] != nil {
			t.Errorf("field %s: we would send %q, twine sent nothing", k, us[k])
		}
	}
}
