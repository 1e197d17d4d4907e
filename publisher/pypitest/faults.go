package pypitest

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Fault is a misbehaviour injected into the index's answer to a request,
// for reliability tests: what a flaky network, proxy or overloaded index
// does. Fields combine: Delay applies first, then the first of Drop,
// RedirectTo, AcceptThenFail, or an error reply (Status, HTML, HugeBody).
// A Fault with only Delay set delays the request and then serves it.
type Fault struct {
	// Path selects requests by URL path prefix. Empty means the upload
	// endpoint ("/legacy/"); e.g. "/_/oidc/mint-token" or "/simple/".
	Path string

	// Status is the status code to answer with: 500, 502, 503, 429...
	// (default 500 for error replies, 503 for AcceptThenFail, 307 for
	// RedirectTo).
	Status int
	// RetryAfter, when set, is sent as the Retry-After header.
	RetryAfter string
	// Message is the reason phrase and body text (default: the standard
	// status text).
	Message string
	// HTML answers with an HTML error page, as a proxy or CDN in front of
	// the index does, with the standard reason phrase.
	HTML bool
	// HugeBody answers with a body of this many bytes.
	HugeBody int64

	// Delay waits this long before handling the request.
	Delay time.Duration

	// Drop closes the connection without an answer after reading
	// DropAfter bytes of the request body.
	Drop      bool
	DropAfter int64

	// RedirectTo answers with a redirect (Status 307 or 308) to this URL,
	// after reading the request body.
	RedirectTo string

	// AcceptThenFail handles the request normally (an upload is stored)
	// and then answers with Status (default 503) instead of the real
	// answer: a retried upload must then find its file already there.
	AcceptThenFail bool
}

// Faults is the fault plan of a Server. The zero plan injects nothing.
type Faults struct {
	mu    sync.Mutex
	rules []*faultRule
}

type faultRule struct {
	fault    Fault
	filename string // "" = any request on the path
	left     int    // < 0: forever
}

// Next injects f into the next n matching requests (n < 0: all of them,
// until Clear). Upload faults match before the filename is known, so a
// Drop fault can cut the body anywhere.
func (fs *Faults) Next(n int, f Fault) {
	fs.add(&faultRule{fault: f, left: n})
}

// ForFile injects f into the next n uploads of the distribution filename
// (n < 0: all of them). It applies once the file part's name has been read.
func (fs *Faults) ForFile(filename string, n int, f Fault) {
	fs.add(&faultRule{fault: f, filename: filename, left: n})
}

// Clear removes every planned fault.
func (fs *Faults) Clear() {
	fs.mu.Lock()
	fs.rules = nil
	fs.mu.Unlock()
}

func (fs *Faults) add(r *faultRule) {
	if r.left == 0 {
		return
	}
	fs.mu.Lock()
	fs.rules = append(fs.rules, r)
	fs.mu.Unlock()
}

// take consumes and returns the first fault matching the request, or nil.
// filename "" matches rules without a filename; a filename matches rules
// for it.
func (fs *Faults) take(path, filename string) *Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i, r := range fs.rules {
		p := r.fault.Path
		if p == "" {
			p = "/legacy/"
		}
		if !strings.HasPrefix(path, p) || r.filename != filename {
			continue
		}
		if r.left > 0 {
			r.left--
			if r.left == 0 {
				fs.rules = append(fs.rules[:i:i], fs.rules[i+1:]...)
			}
		}
		f := r.fault
		return &f
	}
	return nil
}

// Faults returns the server's fault plan.
func (s *Server) Faults() *Faults { return s.core.faults }

// errorStatus is the status of a fault's error reply.
func (f *Fault) errorStatus() int {
	if f.Status != 0 {
		return f.Status
	}
	if f.AcceptThenFail {
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// replies reports whether the fault answers the request itself (as
// opposed to only delaying it).
func (f *Fault) replies() bool {
	return f.Drop || f.RedirectTo != "" || f.AcceptThenFail || f.Status != 0 || f.HTML || f.HugeBody > 0
}

// writeFaultReply sends the error reply of f (the request body has been
// read).
func writeFaultReply(w http.ResponseWriter, r *http.Request, f *Fault) {
	status := f.errorStatus()
	if f.RedirectTo != "" && !f.AcceptThenFail {
		if f.Status == 0 {
			status = http.StatusTemporaryRedirect
		}
		w.Header().Set("Location", f.RedirectTo)
		w.WriteHeader(status)
		return
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	text := f.Message
	if text == "" {
		text = http.StatusText(status)
	}
	switch {
	case f.HugeBody > 0:
		w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
		w.Header().Set("Content-Length", strconv.FormatInt(f.HugeBody, 10))
		w.WriteHeader(status)
		chunk := bytes.Repeat([]byte("x"), 64<<10)
		for left := f.HugeBody; left > 0; {
			n := min(left, int64(len(chunk)))
			if _, err := w.Write(chunk[:n]); err != nil {
				return
			}
			left -= n
		}
	case f.HTML:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, "<html>\r\n<head><title>"+strconv.Itoa(status)+" "+http.StatusText(status)+
			"</title></head>\r\n<body>\r\n<center><h1>"+strconv.Itoa(status)+" "+http.StatusText(status)+
			"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
	case f.Message != "":
		rep := reply(status, text)
		if f.RetryAfter != "" {
			rep.header = http.Header{"Retry-After": {f.RetryAfter}}
		}
		writeStatusReply(w, r, rep)
	default:
		w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, text+"\n")
	}
}

// dropConnection closes the client connection without an answer.
func dropConnection(w http.ResponseWriter, r *http.Request) {
	noteStatus(r, 0)
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// sleep waits d or until the request is cancelled.
func sleep(r *http.Request, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	}
}

// applyFault applies f to a request other than an upload; serve runs the
// real handler. It reports whether the response has been sent.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f *Fault, serve func(http.ResponseWriter)) bool {
	sleep(r, f.Delay)
	if !f.replies() {
		return false
	}
	if f.Drop {
		_, _ = io.CopyN(io.Discard, r.Body, f.DropAfter)
		dropConnection(w, r)
		return true
	}
	if f.AcceptThenFail {
		serve(&discardWriter{header: http.Header{}}) // the work happens; its answer is lost
	}
	_, _ = io.Copy(io.Discard, r.Body)
	writeFaultReply(w, r, f)
	return true
}

// discardWriter is a ResponseWriter whose response goes nowhere.
type discardWriter struct{ header http.Header }

func (d *discardWriter) Header() http.Header         { return d.header }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}
