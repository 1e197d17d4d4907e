package pypitest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Warehouse reports upload errors in the HTTP status line: "400 <message>"
// (twine prints the reason phrase, nothing else). Go's ResponseWriter always
// writes the standard reason phrase, so error responses are written on the
// hijacked connection instead. The body is Pyramid's HTTPException page,
// negotiated by Accept: HTML by default, JSON for application/json (what uv
// reads), plain text otherwise.

// explanations are Pyramid's HTTPException explanations.
var explanations = map[int]string{
	http.StatusBadRequest:        "The server could not comply with the request since it is either malformed or otherwise incorrect.",
	http.StatusForbidden:         "Access was denied to this resource.",
	http.StatusNotFound:          "The resource could not be found.",
	http.StatusGone:              "This resource is no longer available.  No forwarding address is given.",
	http.StatusTooManyRequests:   "The client has sent too many requests in a given amount of time.",
	http.StatusPermanentRedirect: "The resource has been moved to",
}

// statusReply is a response whose reason phrase carries a message.
type statusReply struct {
	status int
	// message goes in the status line (and is the JSON "code").
	message string
	// detail is the body's detail text; Warehouse sets it to the message,
	// except for the username/password refusal, whose body has none.
	detail string
	header http.Header
}

// reply builds the usual reply: the message in both the status line and
// the body.
func reply(status int, message string) *statusReply {
	return &statusReply{status: status, message: message, detail: message}
}

// statusLineText is what Warehouse puts after the code: the message
// encoded as ISO-8859-1 with "?" for anything else. Line breaks and other
// control characters become spaces so the status line stays one line.
func statusLineText(msg string) []byte {
	out := make([]byte, 0, len(msg))
	for _, r := range msg {
		switch {
		case r < 0x20 || r == 0x7f:
			out = append(out, ' ')
		case r <= 0xff:
			out = append(out, byte(r))
		default:
			out = append(out, '?')
		}
	}
	return out
}

// latin1String decodes the status line bytes back to text, as Python does.
func latin1String(b []byte) string {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

// errorBody renders Pyramid's exception page for the negotiated type.
func errorBody(r *http.Request, rep *statusReply) (contentType string, body []byte) {
	status := fmt.Sprintf("%d %s", rep.status, latin1String(statusLineText(rep.message)))
	explanation := explanations[rep.status]
	title := http.StatusText(rep.status)
	switch negotiate(r.Header.Get("Accept"), "text/html", "application/json") {
	case "application/json":
		b, _ := json.Marshal(map[string]string{
			"message": explanation + "\n\n\n" + rep.detail + "\n\n",
			"code":    status,
			"title":   title,
		})
		return "application/json", b
	case "text/html":
		page := "<html>\n <head>\n  <title>" + html.EscapeString(status) + "</title>\n </head>\n <body>\n  <h1>" +
			html.EscapeString(status) + "</h1>\n  " + html.EscapeString(explanation) + "<br/><br/>\n" +
			html.EscapeString(rep.detail) + "\n\n\n </body>\n</html>"
		return "text/html; charset=UTF-8", []byte(page)
	default:
		return "text/plain; charset=UTF-8", []byte(status + "\n\n" + explanation + "\n\n\n" + rep.detail + "\n\n")
	}
}

// writeStatusReply sends rep with its message as the reason phrase. The
// request body must have been read to the end: the connection is taken
// over and closed after the response.
func writeStatusReply(w http.ResponseWriter, r *http.Request, rep *statusReply) {
	contentType, body := errorBody(r, rep)
	noteStatus(r, rep.status)
	hj, ok := w.(http.Hijacker)
	if !ok {
		// HTTP/2 has no reason phrase: clients read the body (JSON "code").
		for k, vs := range rep.header {
			w.Header()[k] = vs
		}
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(rep.status)
		_, _ = w.Write(body)
		return
	}
	conn, rw, err := hj.Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	writeRawResponse(rw.Writer, rep.status, statusLineText(rep.message), rep.header, contentType, body)
}

// writeRawResponse writes a complete HTTP/1.1 response with the given
// reason phrase and "Connection: close".
func writeRawResponse(bw *bufio.Writer, status int, reason []byte, extra http.Header, contentType string, body []byte) {
	fmt.Fprintf(bw, "HTTP/1.1 %03d ", status)
	_, _ = bw.Write(reason)
	bw.WriteString("\r\n")
	h := http.Header{}
	for k, vs := range extra {
		h[k] = vs
	}
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Connection", "close")
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	_ = h.Write(bw)
	bw.WriteString("\r\n")
	_, _ = bw.Write(body)
	_ = bw.Flush()
}

// negotiate picks the offer the Accept header prefers (webob's
// acceptable_offers: highest quality wins, ties go to the earlier offer; no
// header accepts everything). It returns "" when nothing is acceptable.
func negotiate(accept string, offers ...string) string {
	if strings.TrimSpace(accept) == "" {
		return offers[0]
	}
	type rng struct {
		typ, sub string
		q        float64
	}
	var ranges []rng
	for _, item := range strings.Split(accept, ",") {
		parts := strings.Split(item, ";")
		mt := strings.ToLower(strings.TrimSpace(parts[0]))
		typ, sub, ok := strings.Cut(mt, "/")
		if !ok {
			continue
		}
		q := 1.0
		for _, p := range parts[1:] {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				}
			}
		}
		ranges = append(ranges, rng{typ, sub, q})
	}
	best, bestQ := "", 0.0
	for _, offer := range offers {
		typ, sub, _ := strings.Cut(offer, "/")
		q, specificity := 0.0, -1
		for _, r := range ranges {
			s := -1
			switch {
			case r.typ == typ && r.sub == sub:
				s = 2
			case r.typ == typ && r.sub == "*":
				s = 1
			case r.typ == "*" && r.sub == "*":
				s = 0
			}
			if s > specificity {
				specificity, q = s, r.q
			}
		}
		if q > bestQ {
			best, bestQ = offer, q
		}
	}
	return best
}
