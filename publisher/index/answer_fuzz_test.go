package index

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzIndexMessage feeds arbitrary error answers (status, reason phrase,
// content type, body) to the code that turns them into the message a user
// sees. Whatever a hostile or broken index sends, the message is one line
// of valid UTF-8, bounded, starting with the status code, and free of
// control characters (no terminal escape sequences reach the user's
// terminal or the CI log).
func FuzzIndexMessage(f *testing.F) {
	f.Add(400, "File already exists ('demo-1.0.tar.gz', with blake2_256 hash 'ab'). See https://pypi.org/help/#file-name-reuse for more information.", "text/plain", []byte(""))
	f.Add(400, "Bad Request", "application/json", []byte(`{"message": "The server could not comply with the request since it is either malformed or otherwise incorrect.\n\n\nUser-agent not recognized\n\n", "code": "400 User-agent not recognized", "title": "Bad Request"}`))
	f.Add(403, "Forbidden", "application/json", []byte(`{"message": "x", "code": 403, "detail": "nope", "error": {"a": 1}}`))
	f.Add(502, "Bad Gateway", "text/html", []byte("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"))
	f.Add(500, "", "", []byte("<!DOCTYPE html><html><head><style>p{}</style><script>alert(1)</script></head><body><p>Internal\n\n error</p></body></html>"))
	f.Add(429, "Too Many Requests", "text/plain; charset=UTF-8", []byte("slow down\x1b[2J\x1b]0;pwned\x07"))
	f.Add(400, "\x1b[31mred\x1b[0m", "", []byte("\xff\xfe\x00bin"))
	f.Add(418, "I'm a teapot", "application/json", []byte(`{"code": "418 \u001b[2Jcleared", "message": "\u0085\u009b31m"}`))
	f.Add(503, "Service Unavailable", "text/plain", []byte(strings.Repeat("é", 3000)))
	f.Fuzz(func(t *testing.T, code int, reason, contentType string, body []byte) {
		if code < 100 || code > 999 {
			code = 400 + (code%200+200)%200
		}
		if len(body) > MaxErrorBody {
			body = body[:MaxErrorBody] // what ReadBounded hands over
		}
		// A reason phrase as Go's client keeps it: one line.
		reason = strings.NewReplacer("\r", "", "\n", "").Replace(reason)
		resp := &http.Response{
			StatusCode: code,
			Status:     strconv.Itoa(code) + " " + reason,
			Header:     http.Header{"Content-Type": {contentType}},
		}
		line := StatusLine(resp, body)
		if !strings.HasPrefix(line, strconv.Itoa(code)+" ") {
			t.Errorf("status line %q does not start with the status", line)
		}
		checkShown(t, "StatusLine", line)
		msg := Message(resp, body)
		checkShown(t, "Message", msg)
		checkShown(t, "BodyText", Clip(BodyText(contentType, body)))
	})
}

// checkShown checks a message that is printed to a terminal or CI log.
func checkShown(t *testing.T, what, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("%s: not UTF-8: %q", what, s)
	}
	if n := utf8.RuneCountInString(s); n > maxMessage+16 {
		t.Errorf("%s: %d characters, limit %d", what, n, maxMessage)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			t.Errorf("%s: control character %U in %q", what, r, s)
			return
		}
	}
}
