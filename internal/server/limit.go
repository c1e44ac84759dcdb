package server

import (
	"context"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// ReservedConnections is how many connections each limited listener
// accepts beyond its limit when every ordinary slot is busy and none can
// be taken back. They answer /-/healthy and /-/ready, then close, so that
// a liveness probe is answered whatever the other clients do; another
// request waits a moment for an ordinary slot (promoteWait), else gets a
// 503.
const ReservedConnections = 4

// promoteWait is how long a request other than a probe, on a reserved
// connection, waits for an ordinary slot: long enough for a stuck write
// to count as stuck, short enough that the reserve stays free for probes.
const promoteWait = 2 * stuckAfter

// stuckAfter is how long a connection may sit without moving before a new
// client may take its slot when the limit is reached: a write that has not
// returned (the client does not read), or a new connection that has not
// sent its request.
const stuckAfter = time.Second

// recheck is how often a full listener looks again for a slot to take
// back: a write becomes stuck without any event to wake it.
const recheck = 100 * time.Millisecond

// LimitListener returns a listener that serves at most limit connections
// at a time (as x/net's netutil.LimitListener), plus ReservedConnections
// for the health endpoints. When the limit is reached, a new connection
// takes the slot of a connection that holds it without use, oldest first:
// an idle keep-alive connection (as nginx does when it runs out of
// connections), a connection that has not sent its request for a second,
// or a response whose write has not returned for a second because its
// client reads slowly or not at all. That connection is closed. Only when
// every slot is in real use does a new connection wait, or use the
// reserve.
//
// The server must report connection states with ConnState and put the
// connection in the request context with ConnContext.
func LimitListener(l net.Listener, limit int) net.Listener {
	return &limitListener{
		Listener: l,
		limit:    limit,
		reserve:  ReservedConnections,
		conns:    map[*limitedConn]struct{}{},
		changed:  make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
}

type limitListener struct {
	net.Listener
	limit, reserve int

	mu        sync.Mutex
	conns     map[*limitedConn]struct{}
	ordinary  int // slots in use below the limit
	reserved  int // slots in use of the reserve
	changed   chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

// Accept waits for a connection and for a slot to serve it.
func (l *limitListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	for {
		l.mu.Lock()
		lc, victim := l.admit(c, time.Now())
		l.mu.Unlock()
		if victim != nil {
			victim.evict() // its slot is lc's already
		}
		if lc != nil {
			return lc, nil
		}
		select {
		case <-l.changed:
		case <-time.After(recheck):
		case <-l.done:
			_ = c.Close()
			return nil, net.ErrClosed
		}
	}
}

// admit finds c a slot: a free one, one taken back from a victim (which
// the caller closes), or one of the reserve. Called with l.mu held.
func (l *limitListener) admit(c net.Conn, now time.Time) (lc, victim *limitedConn) {
	lc = &limitedConn{Conn: c, l: l, state: http.StateNew, since: now}
	switch {
	case l.ordinary < l.limit:
		l.ordinary++
	case l.take(false, now, &victim):
	case l.reserved < l.reserve:
		l.reserved++
		lc.reserve.Store(true)
	case l.take(true, now, &victim):
		lc.reserve.Store(true)
	default:
		return nil, nil
	}
	l.conns[lc] = struct{}{}
	return lc, victim
}

// take picks the connection among the ordinary (or reserve) ones whose
// slot is held without use the longest, and removes it, its slot kept
// for the caller. Idle keep-alive connections go first.
func (l *limitListener) take(reserve bool, now time.Time, victim **limitedConn) bool {
	var best *limitedConn
	bestIdle, bestSince := false, time.Time{}
	for c := range l.conns {
		if c.reserve.Load() != reserve || c.released {
			continue
		}
		idle, since, ok := c.unused(now)
		if !ok {
			continue
		}
		if best == nil || (idle && !bestIdle) || (idle == bestIdle && since.Before(bestSince)) {
			best, bestIdle, bestSince = c, idle, since
		}
	}
	if best == nil {
		return false
	}
	best.released = true
	delete(l.conns, best)
	*victim = best
	return true
}

func (l *limitListener) release(c *limitedConn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.released {
		return
	}
	c.released = true
	delete(l.conns, c)
	if c.reserve.Load() {
		l.reserved--
	} else {
		l.ordinary--
	}
	l.signal()
}

// promote moves c, a reserved connection, to an ordinary slot, free or
// taken back, waiting up to promoteWait or until ctx ends; it reports
// whether it did.
func (l *limitListener) promote(ctx context.Context, c *limitedConn) bool {
	deadline := time.Now().Add(promoteWait)
	for {
		l.mu.Lock()
		var victim *limitedConn
		ok := !c.released && (l.ordinary < l.limit || l.take(false, time.Now(), &victim))
		if ok {
			if victim == nil {
				l.ordinary++
			}
			l.reserved--
			c.reserve.Store(false)
			l.signal() // a reserved slot is free
		}
		l.mu.Unlock()
		if victim != nil {
			victim.evict()
		}
		if ok || time.Now().After(deadline) {
			return ok
		}
		select {
		case <-time.After(recheck):
		case <-ctx.Done():
			return false
		}
	}
}

// signal wakes a waiting Accept. Called with l.mu held or not.
func (l *limitListener) signal() {
	select {
	case l.changed <- struct{}{}:
	default:
	}
}

// Close stops accepting; a waiting Accept returns.
func (l *limitListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// limitedConn is a connection holding a slot of its listener.
type limitedConn struct {
	net.Conn
	l       *limitListener
	reserve atomic.Bool // holds a reserved slot
	// writing is when the write in progress began (UnixNano), 0 if none.
	writing atomic.Int64

	// Guarded by l.mu.
	state    http.ConnState
	since    time.Time // when it entered state
	released bool
}

// unused says whether the connection holds its slot without use at now:
// idle, silent since it was accepted, or stuck in a write. since is when
// that began.
func (c *limitedConn) unused(now time.Time) (idle bool, since time.Time, ok bool) {
	switch c.state {
	case http.StateIdle:
		return true, c.since, true
	case http.StateNew:
		return false, c.since, now.Sub(c.since) >= stuckAfter
	case http.StateActive:
		if w := c.writing.Load(); w != 0 {
			since := time.Unix(0, w)
			return false, since, now.Sub(since) >= stuckAfter
		}
	}
	return false, time.Time{}, false
}

// Write records when a write began, so that a stuck one can be told.
func (c *limitedConn) Write(b []byte) (int, error) {
	c.writing.Store(time.Now().UnixNano())
	defer c.writing.Store(0)
	return c.Conn.Write(b)
}

// evict closes a connection whose slot was taken, which ends its
// requests. A stuck write is abandoned with a reset (SO_LINGER 0), so that
// the kernel drops the unsent data at once rather than keep it for a
// client that does not read.
func (c *limitedConn) evict() {
	if tcp, ok := c.Conn.(*net.TCPConn); ok && c.writing.Load() != 0 {
		_ = tcp.SetLinger(0)
	}
	_ = c.Conn.Close()
}

// Close frees the connection's slot.
func (c *limitedConn) Close() error {
	c.l.release(c)
	return c.Conn.Close()
}

// limitedConnOf returns the limited connection under c (a TLS connection
// wraps it), or nil.
func limitedConnOf(c net.Conn) *limitedConn {
	for {
		switch v := c.(type) {
		case *limitedConn:
			return v
		case interface{ NetConn() net.Conn }:
			c = v.NetConn()
		default:
			return nil
		}
	}
}

// ConnState is the http.Server ConnState hook that LimitListener needs: it
// tells an idle connection from a busy one.
func ConnState(c net.Conn, state http.ConnState) {
	lc := limitedConnOf(c)
	if lc == nil {
		return
	}
	lc.l.mu.Lock()
	lc.state, lc.since = state, time.Now()
	lc.l.mu.Unlock()
	if state == http.StateIdle {
		lc.l.signal()
	}
}

type connKey struct{}

// ConnContext is the http.Server ConnContext hook that LimitListener
// needs: it tells the handler whether a request came on a reserved
// connection.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	if lc := limitedConnOf(c); lc != nil {
		return context.WithValue(ctx, connKey{}, lc)
	}
	return ctx
}

// reserveGate lets a request that came on a reserved connection through
// if it is a probe (/-/healthy, /-/ready: the connection closes after it)
// or once it has an ordinary slot; else it answers 503 and reports false.
// A request on an ordinary connection always goes through.
func reserveGate(w http.ResponseWriter, r *http.Request) bool {
	lc, _ := r.Context().Value(connKey{}).(*limitedConn)
	if lc == nil || !lc.reserve.Load() {
		return true
	}
	if r.URL.Path == "/-/healthy" || r.URL.Path == "/-/ready" {
		w.Header().Set("Connection", "close")
		return true
	}
	if lc.l.promote(r.Context(), lc) {
		return true
	}
	w.Header().Set("Connection", "close")
	w.Header().Set("Retry-After", "1")
	http.Error(w, "too many connections: every slot is busy, the reserved ones answer /-/healthy and /-/ready only", http.StatusServiceUnavailable)
	return false
}
