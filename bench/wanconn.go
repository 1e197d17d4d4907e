package main

import (
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// This file emulates one TCP connection over a wide-area path, in user
// space, on the server side of the loopback connection: every byte the client
// sends reaches the server after the path's one-way delay plus its
// serialization time at the path's bandwidth, and the same holds for every
// byte the server sends back. TLS handshakes and HTTP requests on top of it
// pay their round trips as they would on the real path, and a new
// connection pays for the TCP handshake (one round trip before the client's
// first byte can arrive). Nothing outside the bench process is touched (no
// tc/netem, no root): the clients connect to 127.0.0.1 as usual.
//
// Not modelled: slow start, loss and reordering. A new connection starts at
// full rate, which understates what a connection costs on a real path (so it
// understates what connection reuse saves).

// link is one direction of an emulated path.
type link struct {
	rate   float64       // bytes per second; 0 = unlimited
	oneWay time.Duration // propagation delay
	free   time.Time     // when the link has serialized everything scheduled so far
}

// schedule returns when n bytes handed to the link at now arrive at the
// other end: after what is already queued, plus n/rate of serialization,
// plus the one-way delay.
func (l *link) schedule(now time.Time, n int) time.Time {
	start := now
	if l.free.After(start) {
		start = l.free
	}
	if l.rate > 0 {
		start = start.Add(time.Duration(float64(n) / l.rate * float64(time.Second)))
	}
	l.free = start
	return start.Add(l.oneWay)
}

// segment is data in flight and the time it arrives.
type segment struct {
	data []byte
	at   time.Time
}

// budget bounds the bytes in flight in one direction, like a TCP window: a
// sender that runs ahead of the path blocks (and, through the kernel's
// socket buffers, so does the client), so memory stays bounded whatever the
// file size.
type budget struct {
	mu     sync.Mutex
	cond   *sync.Cond
	free   int
	closed bool
}

func newBudget(n int) *budget {
	b := &budget{free: n}
	b.cond = sync.NewCond(&b.mu)
	return b
}

// acquire takes n bytes of window (or all of it when n is larger), waiting
// for room; false once closed.
func (b *budget) acquire(n, window int) bool {
	n = min(n, window)
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.free < n && !b.closed {
		b.cond.Wait()
	}
	if b.closed {
		return false
	}
	b.free -= n
	return true
}

func (b *budget) release(n, window int) {
	b.mu.Lock()
	b.free = min(b.free+n, window)
	b.mu.Unlock()
	b.cond.Broadcast()
}

func (b *budget) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.cond.Broadcast()
}

// shapedConn is the server's end of an emulated connection. Reads honour
// read deadlines (net/http's server interrupts its background read with a
// deadline in the past), and Close delivers what was written before closing.
type shapedConn struct {
	raw    net.Conn
	window int // bytes in flight per direction

	// client → server
	in       chan segment
	inBudget *budget
	inErr    error // set before in is closed
	cur      segment
	curLen   int // bytes of window cur still holds

	// server → client
	wmu       sync.Mutex // serializes Write and Close
	outLink   link       // guarded by wmu
	out       chan segment
	outBudget *budget
	wclosed   bool                  // guarded by wmu
	outErr    atomic.Pointer[error] // the first failed write to the client

	dmu          sync.Mutex
	readDeadline time.Time
	deadlineSet  chan struct{} // closed and replaced when the deadline changes

	closeOnce sync.Once
	closed    chan struct{}
}

// readChunk is the most the pump reads from the socket at once: at 20 MiB/s
// it is 1.6 ms of serialization, fine-grained enough for the pacing.
const readChunk = 32 << 10

// newShapedConn starts emulating the path p on a connection accepted at
// accepted.
func newShapedConn(raw net.Conn, p wanProfile, accepted time.Time) *shapedConn {
	oneWay := p.RTT / 2
	window := p.window()
	c := &shapedConn{
		raw:         raw,
		window:      window,
		in:          make(chan segment, 1024),
		inBudget:    newBudget(window),
		outLink:     link{rate: p.Bandwidth, oneWay: oneWay},
		out:         make(chan segment, 1024),
		outBudget:   newBudget(window),
		deadlineSet: make(chan struct{}),
		closed:      make(chan struct{}),
	}
	// The TCP handshake: the client's first byte leaves one round trip
	// after it called connect.
	in := &link{rate: p.Bandwidth, oneWay: oneWay, free: accepted.Add(p.RTT)}
	go c.pump(in)
	go c.deliver()
	return c
}

// pump reads what the client sends and schedules its arrival.
func (c *shapedConn) pump(l *link) {
	defer close(c.in)
	for {
		if !c.inBudget.acquire(readChunk, c.window) {
			c.inErr = net.ErrClosed
			return
		}
		buf := make([]byte, min(readChunk, c.window))
		n, err := c.raw.Read(buf)
		c.inBudget.release(len(buf)-n, c.window)
		if n > 0 {
			select {
			case c.in <- segment{data: buf[:n], at: l.schedule(time.Now(), n)}:
			case <-c.closed:
				c.inErr = net.ErrClosed
				return
			}
		}
		if err != nil {
			c.inErr = err
			return
		}
	}
}

// deliver writes what the server sent to the client when it arrives, then
// closes the socket once Close was called and everything was delivered.
func (c *shapedConn) deliver() {
	defer c.raw.Close()
	var failed error
	for s := range c.out {
		if failed == nil {
			sleepUntil(s.at)
			if _, err := c.raw.Write(s.data); err != nil {
				failed = err
				c.outErr.Store(&err)
			}
		}
		c.outBudget.release(len(s.data), c.window)
	}
}

func sleepUntil(t time.Time) {
	if d := time.Until(t); d > 0 {
		time.Sleep(d)
	}
}

// Read returns client data once it has arrived. One Read at a time (as
// crypto/tls and net/http call it).
func (c *shapedConn) Read(p []byte) (int, error) {
	if len(c.cur.data) == 0 {
		var ok bool
		var err error
		c.cur, ok, err = c.next()
		if err != nil {
			return 0, err
		}
		if !ok {
			if c.inErr == nil {
				return 0, net.ErrClosed
			}
			return 0, c.inErr
		}
		c.curLen = len(c.cur.data)
	}
	if err := c.waitUntil(c.cur.at); err != nil {
		return 0, err
	}
	n := copy(p, c.cur.data)
	c.cur.data = c.cur.data[n:]
	if len(c.cur.data) == 0 {
		// A segment's window is given back once it is consumed.
		c.inBudget.release(c.curLen, c.window)
		c.curLen = 0
	}
	return n, nil
}

// next waits for the next segment, the read deadline or Close.
func (c *shapedConn) next() (segment, bool, error) {
	for {
		deadline, changed := c.deadline()
		var timeout <-chan time.Time
		var t *time.Timer
		if !deadline.IsZero() {
			d := time.Until(deadline)
			if d <= 0 {
				return segment{}, false, os.ErrDeadlineExceeded
			}
			t = time.NewTimer(d)
			timeout = t.C
		}
		stop := func() {
			if t != nil {
				t.Stop()
			}
		}
		select {
		case s, ok := <-c.in:
			stop()
			return s, ok, nil
		case <-timeout:
			return segment{}, false, os.ErrDeadlineExceeded
		case <-changed:
			stop()
		case <-c.closed:
			stop()
			return segment{}, false, net.ErrClosed
		}
	}
}

// waitUntil sleeps until at, unless the read deadline comes first or the
// connection closes.
func (c *shapedConn) waitUntil(at time.Time) error {
	for {
		deadline, changed := c.deadline()
		if !deadline.IsZero() && !time.Now().Before(deadline) {
			return os.ErrDeadlineExceeded
		}
		wait := time.Until(at)
		if wait <= 0 {
			return nil
		}
		timeoutIsDeadline := false
		if !deadline.IsZero() && deadline.Before(at) {
			wait = time.Until(deadline)
			timeoutIsDeadline = true
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
			if timeoutIsDeadline {
				return os.ErrDeadlineExceeded
			}
			return nil
		case <-changed:
			t.Stop()
		case <-c.closed:
			t.Stop()
			return net.ErrClosed
		}
	}
}

func (c *shapedConn) deadline() (time.Time, chan struct{}) {
	c.dmu.Lock()
	defer c.dmu.Unlock()
	return c.readDeadline, c.deadlineSet
}

// Write queues p for delivery to the client; it blocks while the window is
// full, as a socket whose send buffer is full does.
func (c *shapedConn) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		n := min(len(p), c.window)
		if !c.outBudget.acquire(n, c.window) {
			return written, net.ErrClosed
		}
		c.wmu.Lock()
		if failed := c.outErr.Load(); c.wclosed || failed != nil {
			c.wmu.Unlock()
			c.outBudget.release(n, c.window)
			if failed != nil {
				return written, *failed
			}
			return written, net.ErrClosed
		}
		data := append([]byte(nil), p[:n]...)
		c.out <- segment{data: data, at: c.outLink.schedule(time.Now(), n)}
		c.wmu.Unlock()
		p = p[n:]
		written += n
	}
	return written, nil
}

// Close stops reading at once and closes the socket once what was written
// has been delivered (the client still receives the last response).
func (c *shapedConn) Close() error {
	c.closeOnce.Do(func() {
		close(c.closed)
		c.inBudget.close()
		c.wmu.Lock()
		c.wclosed = true
		close(c.out)
		c.wmu.Unlock()
	})
	return nil
}

func (c *shapedConn) LocalAddr() net.Addr  { return c.raw.LocalAddr() }
func (c *shapedConn) RemoteAddr() net.Addr { return c.raw.RemoteAddr() }

func (c *shapedConn) SetDeadline(t time.Time) error {
	return c.SetReadDeadline(t)
}

func (c *shapedConn) SetReadDeadline(t time.Time) error {
	c.dmu.Lock()
	c.readDeadline = t
	close(c.deadlineSet)
	c.deadlineSet = make(chan struct{})
	c.dmu.Unlock()
	return nil
}

// SetWriteDeadline is accepted and ignored: writes only wait for window,
// which the delivery goroutine always frees.
func (c *shapedConn) SetWriteDeadline(time.Time) error { return nil }

// shapedListener wraps every accepted connection in the emulated path.
type shapedListener struct {
	net.Listener
	profile  wanProfile
	accepted *atomic.Int64 // connections accepted
}

func (l shapedListener) Accept() (net.Conn, error) {
	raw, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.accepted.Add(1)
	return newShapedConn(raw, l.profile, time.Now()), nil
}
