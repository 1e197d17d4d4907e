package upload

import (
	"fmt"
	"github.com/goreleaser-pypi/goreleaser-pypi/internal/bytesize"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// progressMin is the size from which a file shows in the progress line:
// smaller files finish before a line would be worth drawing.
const progressMin = 4 << 20

// progressEvery throttles redrawing.
const progressEvery = 250 * time.Millisecond

// progress draws one line on a terminal with the bytes sent of the large
// files in flight, redrawn in place and cleared when the run ends. Log lines
// are written through progress.pause so that they never mix with it.
type progress struct {
	w io.Writer // nil: no progress line, pause just runs its function

	mu     sync.Mutex
	shown  bool
	files  int   // large files in flight
	total  int64 // their sizes
	start  time.Time
	sent   atomic.Int64 // bytes of the files in flight sent so far
	moved  atomic.Int64 // bytes sent since the line appeared, for the rate
	stop   chan struct{}
	ticker sync.WaitGroup
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w, stop: make(chan struct{})}
	if w != nil {
		p.ticker.Add(1)
		go p.loop()
	}
	return p
}

// track registers a file of size bytes. It returns nil (whose methods do
// nothing) when the file is too small to show or there is no terminal.
func (p *progress) track(size int64) *fileProgress {
	if p.w == nil || size < progressMin {
		return nil
	}
	p.mu.Lock()
	if p.files == 0 {
		p.start = time.Now()
		p.sent.Store(0)
		p.moved.Store(0)
		p.total = 0
	}
	p.files++
	p.total += size
	p.mu.Unlock()
	return &fileProgress{p: p, size: size}
}

// fileProgress is one file's share of the progress line.
type fileProgress struct {
	p    *progress
	size int64
	mine atomic.Int64
}

// read counts n more bytes sent.
func (f *fileProgress) read(n int) {
	if f == nil {
		return
	}
	f.mine.Add(int64(n))
	f.p.sent.Add(int64(n))
	f.p.moved.Add(int64(n))
}

// restart forgets what was sent: a new attempt reads the body from its start.
func (f *fileProgress) restart() {
	if f == nil {
		return
	}
	f.p.sent.Add(-f.mine.Swap(0))
}

// done removes the file from the line.
func (f *fileProgress) done() {
	if f == nil {
		return
	}
	p := f.p
	p.mu.Lock()
	defer p.mu.Unlock()
	p.files--
	p.total -= f.size
	p.sent.Add(-f.mine.Swap(0))
	if p.files == 0 {
		p.clearLocked()
	}
}

func (p *progress) loop() {
	defer p.ticker.Done()
	t := time.NewTicker(progressEvery)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.mu.Lock()
			p.drawLocked()
			p.mu.Unlock()
		}
	}
}

func (p *progress) drawLocked() {
	if p.files == 0 || p.total <= 0 {
		return
	}
	sent := min(max(p.sent.Load(), 0), p.total)
	elapsed := time.Since(p.start).Seconds()
	rate := ""
	if elapsed > 0.5 {
		rate = fmt.Sprintf(" %s/s", bytesize.Format(int64(float64(p.moved.Load())/elapsed)))
	}
	plural := ""
	if p.files > 1 {
		plural = "s"
	}
	if sent == p.total {
		// The index hashes and stores a file before it answers.
		fmt.Fprintf(p.w, "\r\033[K    uploading %d large file%s: %s sent, waiting for the index to store it", p.files, plural, bytesize.Format(p.total))
	} else {
		fmt.Fprintf(p.w, "\r\033[K    uploading %d large file%s: %s of %s (%d%%)%s",
			p.files, plural, bytesize.Format(sent), bytesize.Format(p.total), sent*100/p.total, rate)
	}
	p.shown = true
}

func (p *progress) clearLocked() {
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
}

// pause clears the line, runs f (which logs), and lets the line come back
// at the next tick.
func (p *progress) pause(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.w != nil {
		p.clearLocked()
	}
	f()
}

// close stops drawing and clears the line.
func (p *progress) close() {
	if p.w == nil {
		return
	}
	close(p.stop)
	p.ticker.Wait()
	p.mu.Lock()
	p.clearLocked()
	p.mu.Unlock()
}
