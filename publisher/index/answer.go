package index

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// MaxErrorBody bounds how much of an error answer is read.
const MaxErrorBody = 64 << 10

// maxMessage bounds how much of an index message is shown.
const maxMessage = 2000

// Message extracts the index's own explanation of a non-2xx answer,
// trying in order what Warehouse sends: the JSON body's "code" ("400 File
// already exists ..."; status number stripped) or "message", then the HTTP
// reason phrase (Warehouse puts the full message there; HTTP/2 has none),
// then the body as text (HTML stripped). It returns "" when the answer
// explains nothing beyond its status code. body holds at most MaxErrorBody
// bytes of the answer.
func Message(resp *http.Response, body []byte) string {
	code := resp.StatusCode
	if msg := jsonMessage(body, code); msg != "" {
		return Clip(msg)
	}
	reason := reasonPhrase(resp)
	if reason != "" && !strings.EqualFold(reason, http.StatusText(code)) {
		return Clip(reason)
	}
	if text := BodyText(resp.Header.Get("Content-Type"), body); text != "" {
		text = stripStatus(text, code)
		if text != "" && !strings.EqualFold(text, http.StatusText(code)) {
			return Clip(text)
		}
	}
	return ""
}

// StatusLine is "<code> <message>" for an index answer, with the most
// specific message available.
func StatusLine(resp *http.Response, body []byte) string {
	msg := Message(resp, body)
	if msg == "" {
		msg = Clip(reasonPhrase(resp))
	}
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	return strconv.Itoa(resp.StatusCode) + " " + msg
}

// reasonPhrase is resp.Status without the status code. Go's client keeps the
// reason phrase exactly as the server sent it.
func reasonPhrase(resp *http.Response) string {
	return strings.TrimSpace(stripStatus(resp.Status, resp.StatusCode))
}

// stripStatus removes a leading status code ("400 ") from s.
func stripStatus(s string, code int) string {
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, strconv.Itoa(code)); ok && (rest == "" || rest[0] == ' ' || rest[0] == ':') {
		return strings.TrimSpace(strings.TrimPrefix(rest, ":"))
	}
	return s
}

// jsonMessage reads Warehouse's JSON error body:
// {"message": ..., "code": "<status> <message>", "title": ...}.
func jsonMessage(body []byte, code int) string {
	b := bytes.TrimSpace(body)
	if len(b) == 0 || b[0] != '{' {
		return ""
	}
	var v struct {
		Code    any    `json:"code"`
		Message any    `json:"message"`
		Detail  string `json:"detail"`
		Error   any    `json:"error"`
	}
	if json.Unmarshal(b, &v) != nil {
		return ""
	}
	for _, c := range []any{v.Code, v.Message, v.Detail, v.Error} {
		s, ok := c.(string)
		if !ok {
			continue
		}
		if s = stripStatus(s, code); s != "" && !strings.EqualFold(s, http.StatusText(code)) {
			return s
		}
	}
	return ""
}

// BodyText renders an answer body as one line of text: HTML is reduced to
// its text (scripts and styles dropped), whitespace is collapsed.
func BodyText(contentType string, body []byte) string {
	if !utf8.Valid(body) {
		body = bytes.ToValidUTF8(body, []byte("\uFFFD"))
	}
	s := string(body)
	if strings.Contains(strings.ToLower(contentType), "html") || looksLikeHTML(s) {
		s = htmlText(s)
	}
	return strings.Join(strings.Fields(strings.Map(controlToSpace, s)), " ")
}

// controlToSpace blanks control characters: an index's message is printed
// to terminals and CI logs, where an escape sequence could rewrite what the
// user sees.
func controlToSpace(r rune) rune {
	if unicode.IsControl(r) {
		return ' '
	}
	return r
}

func looksLikeHTML(s string) bool {
	t := strings.ToLower(strings.TrimSpace(s))
	return strings.HasPrefix(t, "<!doctype html") || strings.HasPrefix(t, "<html") || strings.HasPrefix(t, "<head") || strings.HasPrefix(t, "<body")
}

// htmlText is the text of an HTML document. Warehouse's error pages repeat
// the message in <title> and <h1>; the title alone is dropped when the body
// has text, so the message shows once.
func htmlText(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var title, text strings.Builder
	skip := 0
	inTitle := false
	for {
		switch z.Next() {
		case html.ErrorToken:
			t := strings.TrimSpace(text.String())
			if t == "" {
				return strings.TrimSpace(title.String())
			}
			return t
		case html.StartTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style":
				skip++
			case "title":
				inTitle = true
			}
			text.WriteByte(' ')
		case html.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style":
				skip = max(skip-1, 0)
			case "title":
				inTitle = false
			}
			text.WriteByte(' ')
		case html.TextToken:
			if skip > 0 {
				continue
			}
			if inTitle {
				title.Write(z.Text())
				continue
			}
			text.Write(z.Text())
		}
	}
}

// clip shortens a message to maxMessage characters.
func Clip(s string) string {
	s = strings.Join(strings.Fields(strings.Map(controlToSpace, s)), " ")
	if utf8.RuneCountInString(s) <= maxMessage {
		return s
	}
	r := []rune(s)
	return string(r[:maxMessage]) + "…"
}

// ReadBounded reads at most limit bytes of r and discards up to a further
// limit so that the connection can be reused.
func ReadBounded(r io.Reader, limit int64) []byte {
	b, _ := io.ReadAll(io.LimitReader(r, limit))
	_, _ = io.CopyN(io.Discard, r, limit)
	return b
}
