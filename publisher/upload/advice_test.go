package upload

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// warehouseRefusal answers as Warehouse does to a client sending
// Accept: application/json: the message in the JSON body's code.
func warehouseRefusal(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{
		"message": message,
		"code":    strconv.Itoa(status) + " " + message,
		"title":   http.StatusText(status),
	})
}

// The 14-day refusal (Warehouse, 2026-07) is relayed with the index's own
// words and what to do about it; it is not retried.
func TestClosedReleaseRefusalSaysWhatToDo(t *testing.T) {
	idx := newFakeIndex(t)
	idx.before = func(w http.ResponseWriter, r *http.Request, n int) bool {
		_, _ = io.Copy(io.Discard, r.Body)
		warehouseRefusal(w, http.StatusBadRequest, "Uploading new files to releases older than 14 days is not allowed.")
		return true
	}
	p, _ := newPublisher(t, idx, nil)
	rep, _ := p.Upload(context.Background(), release(t, "old-release", "1.0", 1)[1:])
	if len(rep) != 1 || rep[0].Status != StatusFailed || rep[0].Attempts != 1 {
		t.Fatalf("%+v", rep)
	}
	text := rep[0].ErrorText()
	for _, want := range []string{
		"upload refused by", "400 Uploading new files to releases older than 14 days is not allowed.",
		"14 days after it was created", "new version", "bump the version",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("error lacks %q:\n%s", want, text)
		}
	}
}

// A refusal the client knows nothing more about is relayed as it is.
func TestOtherRefusalIsRelayedAsIs(t *testing.T) {
	idx := newFakeIndex(t)
	idx.before = func(w http.ResponseWriter, r *http.Request, n int) bool {
		_, _ = io.Copy(io.Discard, r.Body)
		warehouseRefusal(w, http.StatusBadRequest, "Invalid value for blake2_256_digest.")
		return true
	}
	p, _ := newPublisher(t, idx, nil)
	rep, _ := p.Upload(context.Background(), release(t, "other", "1.0", 1)[1:])
	if text := rep[0].ErrorText(); !strings.HasSuffix(text, "400 Invalid value for blake2_256_digest.") {
		t.Errorf("error %q", text)
	}
}
