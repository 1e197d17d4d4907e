package upload

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// heldBack is how much of a file's end waits at its release's gate: the
// last 64 KiB, or the whole file when smaller. It is part of the file, not
// only the closing boundary, so a body cut off while it waits (the run was
// interrupted) is shorter than its digests say and no index can store it.
const heldBack = 64 << 10

// maxHold bounds how long a body waits at its gate with its connection
// open. An index's front end closes a request whose body stops for long
// (nginx's client_body_timeout is 60 s): past maxHold the attempt is cut
// off, uncounted, and the file is sent again once the release's first file
// is answered. A variable for tests.
var maxHold = 30 * time.Second

// releaseGate keeps the files of one release from reaching the index
// complete before the release exists. Warehouse creates the release inside
// the upload request of its first file; two first files processed at once
// race on the release's unique row. But an index only processes an upload
// once its body is complete (the digests must be checked), so the files
// after the first can be sent while the first one is stored, as long as
// their last bytes wait for its answer: that overlap is the gate's point
// (BENCHMARKS.md, B7).
//
// One file at a time holds the gate: its body completes, the others' wait.
// When a file is on the index (uploaded or skipped) the release exists and
// the gate opens for good; when the holder fails, the next waiting file
// takes its place.
type releaseGate struct {
	mu     sync.Mutex
	exists bool          // a file of the release is on the index
	held   bool          // a file's complete body may be on its way
	change chan struct{} // closed (and replaced) whenever exists or held changes
}

func newReleaseGate() *releaseGate { return &releaseGate{change: make(chan struct{})} }

// errGateClosed ends a wait whose body was closed by the transport.
var errGateClosed = errors.New("upload body closed while waiting for the release's first file")

// errHeldTooLong ends a wait that lasted maxHold.
var errHeldTooLong = errors.New("waited too long with the connection open")

// errRunStopped ends a wait when the run stops new uploads (fail-fast, no
// credentials): a file held back has not been sent, and is not.
var errRunStopped = errors.New("the run stopped new uploads")

// heldBackError is why a body held back at its gate was cut short: the
// index never saw the file whole, so it cannot have stored it.
type heldBackError struct{ err error }

func (e *heldBackError) Error() string { return "held back until the release exists: " + e.err.Error() }
func (e *heldBackError) Unwrap() error { return e.err }

// enter blocks until the caller may complete its body: the release exists
// (held is false), or the caller now holds the gate (held is true). It
// returns early with an error when ctx ends or closed is closed, and
// instead of becoming a new first file when stopped is closed.
func (g *releaseGate) enter(ctx context.Context, closed, stopped <-chan struct{}) (held bool, err error) {
	timer := time.NewTimer(maxHold)
	defer timer.Stop()
	for {
		g.mu.Lock()
		switch {
		case g.exists:
			g.mu.Unlock()
			return false, nil
		case isClosed(stopped):
			g.mu.Unlock()
			return false, errRunStopped
		case !g.held:
			g.held = true
			g.mu.Unlock()
			return true, nil
		}
		ch := g.change
		g.mu.Unlock()
		select {
		case <-ctx.Done():
			return false, context.Cause(ctx)
		case <-closed:
			return false, errGateClosed
		case <-stopped:
		case <-timer.C:
			return false, errHeldTooLong
		case <-ch:
		}
	}
}

// await blocks, without holding a connection, until a file may complete its
// body at once: the release exists or nobody holds the gate.
func (g *releaseGate) await(ctx context.Context) error {
	for {
		g.mu.Lock()
		if g.exists || !g.held {
			g.mu.Unlock()
			return nil
		}
		ch := g.change
		g.mu.Unlock()
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-ch:
		}
	}
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// settle records a file's outcome: on the index (the release exists) or
// not; held says whether the file held the gate.
func (g *releaseGate) settle(held, onIndex bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !held && !onIndex {
		return
	}
	if onIndex {
		g.exists = true
	}
	if held {
		g.held = false
	}
	close(g.change)
	g.change = make(chan struct{})
}

// turn is one file's passage through its release's gate, across all its
// attempts: once it holds the gate it keeps it until its outcome is known.
type turn struct {
	gate *releaseGate
	held atomic.Bool

	sentOnce sync.Once
	onSent   func() // called once, when a body of the file was sent whole
}

// wait is called before the held-back part of a body is sent.
func (t *turn) wait(ctx context.Context, closed, stopped <-chan struct{}) error {
	if t.held.Load() {
		return nil
	}
	held, err := t.gate.enter(ctx, closed, stopped)
	if held {
		t.held.Store(true)
	}
	return err
}

// await waits for the gate without a connection (after errHeldTooLong).
func (t *turn) await(ctx context.Context) error { return t.gate.await(ctx) }

// sent is called when a body of the file was read to its end.
func (t *turn) sent() { t.sentOnce.Do(t.onSent) }

// settle opens the gate (the file is on the index) or passes it on.
func (t *turn) settle(r Result) {
	t.gate.settle(t.held.Load(), r.Status == StatusUploaded || r.Status == StatusSkipped)
}
