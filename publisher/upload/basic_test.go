package upload

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/goreleaser-pypi/goreleaser-pypi/internal/secrets"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/credential"
)

// A user name and password (private indexes) go out as Basic auth with
// that user name, and an index echoing them back never shows them.
func TestUploadWithUserNameAndPassword(t *testing.T) {
	const user, password = "deploy-bot", "s3cret-registry-password"
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
	idx := newFakeIndex(t)
	var seen []string
	idx.before = func(w http.ResponseWriter, r *http.Request, n int) bool {
		_, _ = io.Copy(io.Discard, r.Body)
		seen = append(seen, r.Header.Get("Authorization"))
		if n == 1 && r.Header.Get("Authorization") == basic {
			return true // 200
		}
		// A proxy error page that echoes what it got.
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, "<html><body>denied: Authorization: %s (password %s)</body></html>", r.Header.Get("Authorization"), password)
		return true
	}
	p, logs := newPublisher(t, idx, func(o *Options) {
		o.Credentials = credential.Fixed(credential.NewBasic(user, password, "PYPI_USERNAME/PYPI_PASSWORD"))
	})
	ds := release(t, "basic-auth", "1.0", 1)
	rep, err := p.Upload(context.Background(), ds[1:2])
	if err != nil || rep[0].Status != StatusUploaded {
		t.Fatalf("upload: %v %+v", err, rep)
	}
	if len(seen) != 1 || seen[0] != basic {
		t.Fatalf("Authorization sent: %q", seen)
	}

	rep, _ = p.Upload(context.Background(), ds[:1])
	if rep[0].Status != StatusFailed {
		t.Fatalf("status %s", rep[0].Status)
	}
	text := rep[0].ErrorText()
	if !strings.Contains(text, "403") || !strings.Contains(text, "[redacted]") {
		t.Errorf("error %q", text)
	}
	encoded := strings.TrimPrefix(basic, "Basic ")
	secrets.Scan(t, map[string]string{"error": text, "log": logs.String()}, password, strings.TrimRight(encoded, "="))
}
