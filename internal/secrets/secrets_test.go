package secrets

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	errors []string
	fatal  bool
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
	r.fatal = true
}

const (
	apiToken = "pypi-AgEIcHlwaS5vcmcCJGUxY2E5ZjM0LTk4MmEtNDVhMS05ZTI3"
	jwt      = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOm9jdG8vZGVtbyJ9.c2lnbmF0dXJlLWJ5dGVzLWhlcmU"
	short    = "pypi-test"
)

func TestFind(t *testing.T) {
	basic := base64.StdEncoding.EncodeToString([]byte("__token__:" + apiToken))
	outputs := map[string]string{
		"stdout": "::add-mask::" + apiToken + "\n  ::add-mask::" + jwt + "\nuploaded\n",
		"stderr": "line one\nAuthorization: Basic " + basic + "\n",
		"log":    "token=" + apiToken[:30] + "…\nfine\njwt " + jwt + " end\n" + short,
		"clean":  "nothing to see: pypi- eyJhbGciOiJSUzI1NiJ9\n",
	}
	got := Find(outputs, apiToken, jwt, short, "")
	var s []string
	for _, l := range got {
		s = append(s, l.String())
	}
	want := []string{
		"log line 1: secret #0 (partial)",
		"log line 3: secret #1 (whole)",
		"log line 4: secret #2 (whole)",
		"stderr line 2: secret #0 (basic-auth)",
	}
	if strings.Join(s, "\n") != strings.Join(want, "\n") {
		t.Errorf("Find:\n%s\nwant:\n%s", strings.Join(s, "\n"), strings.Join(want, "\n"))
	}
	for _, l := range got {
		if strings.Contains(l.String(), apiToken[:10]) {
			t.Error("a leak report shows the secret")
		}
	}
}

func TestScanFails(t *testing.T) {
	r := &recorder{TB: t}
	Scan(r, map[string]string{"stderr": "oops " + apiToken}, apiToken)
	if len(r.errors) != 1 || !strings.Contains(r.errors[0], "stderr line 1: secret #0 (whole)") {
		t.Errorf("errors = %q", r.errors)
	}
	if strings.Contains(strings.Join(r.errors, ""), apiToken) {
		t.Error("the failure message shows the secret")
	}
}

func TestScanPasses(t *testing.T) {
	r := &recorder{TB: t}
	Scan(r, map[string]string{"stdout": "::add-mask::" + apiToken + "\n", "log": "uploaded demo-1.0.tar.gz"}, apiToken, jwt)
	if len(r.errors) != 0 {
		t.Errorf("errors = %q", r.errors)
	}
}

func TestScanWithoutSecretsIsAnError(t *testing.T) {
	r := &recorder{TB: t}
	Scan(r, map[string]string{"log": "x"}, "", "")
	if !r.fatal {
		t.Error("a scan for no secret passed vacuously")
	}
}
