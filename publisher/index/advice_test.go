package index

import (
	"net/http"
	"strings"
	"testing"
)

func TestAdvice(t *testing.T) {
	cases := []struct {
		code    int
		message string
		want    string
	}{
		{400, "400 Uploading new files to releases older than 14 days is not allowed.", "new version"},
		{400, "uploading new files to releases OLDER THAN 14 DAYS is not allowed", "new version"},
		{403, "403 Invalid or non-existent authentication information. See https://pypi.org/help/#invalid-auth for more information.", "TestPyPI token does not work on PyPI"},
		{403, "Username/Password authentication is no longer supported. Migrate to API Tokens or Trusted Publishers instead.", "__token__"},
		{403, "Uploading new files to releases older than 14 days is not allowed.", ""}, // another status: not that refusal
		{400, "File already exists ('x.whl', with blake2_256 hash 'ab').", ""},
		{http.StatusInternalServerError, "", ""},
	}
	for _, c := range cases {
		got := Advice(c.code, c.message)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("Advice(%d, %q) = %q, want one containing %q", c.code, c.message, got, c.want)
		}
	}
}
