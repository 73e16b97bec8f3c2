package plugins

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Every guest call has a deadline and ends early when its request goes away. A context.WithTimeout per call costs a
// timer and a registration with the request's context on every policy call; instead each instance owns one callCtx,
// re-armed per call, and one watchdog goroutine per host ends the calls that are past their deadline or whose request
// is done. Ending a call closes the context's Done channel; wazero (WithCloseOnContextDone) then stops the guest at
// its next loop back-edge or call, and the instance is discarded.

// End reasons of a callCtx.
const (
	ctxRunning int32 = iota
	ctxDeadline
	ctxCanceled
)

// callCtx is the context.Context of an instance's request-time calls. It carries the call state to host functions.
type callCtx struct {
	st   *callState
	done chan struct{} // closed once, when a call must end; the instance is then discarded
	code atomic.Int32  // ctxRunning, or why done was closed

	mu       sync.Mutex      // guards parent and deadline against the watchdog
	parent   context.Context // the request's context; nil between calls
	deadline time.Time
}

func newCallCtx(st *callState) *callCtx { return &callCtx{st: st, done: make(chan struct{})} }

// arm starts a call bound to parent that must end within timeout.
func (c *callCtx) arm(parent context.Context, timeout time.Duration) {
	c.mu.Lock()
	c.parent, c.deadline = parent, time.Now().Add(timeout)
	c.mu.Unlock()
}

// disarm ends a call; it returns the context's error if the watchdog ended it.
func (c *callCtx) disarm() error {
	c.mu.Lock()
	c.parent, c.deadline = nil, time.Time{}
	c.mu.Unlock()
	return c.Err()
}

// end closes Done with reason code, once.
func (c *callCtx) end(code int32) {
	if c.code.CompareAndSwap(ctxRunning, code) {
		close(c.done)
	}
}

// check ends the current call if it is past its deadline or its request is done.
func (c *callCtx) check(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.parent == nil:
	case now.After(c.deadline):
		c.end(ctxDeadline)
	case c.parent.Err() != nil:
		c.end(ctxCanceled)
	}
}

// Deadline implements context.Context.
func (c *callCtx) Deadline() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.deadline, !c.deadline.IsZero()
}

// Done implements context.Context.
func (c *callCtx) Done() <-chan struct{} { return c.done }

// Err implements context.Context.
func (c *callCtx) Err() error {
	switch c.code.Load() {
	case ctxDeadline:
		return context.DeadlineExceeded
	case ctxCanceled:
		return context.Canceled
	}
	return nil
}

// Value implements context.Context: the call state for host functions, else the request context's values.
func (c *callCtx) Value(key any) any {
	if _, ok := key.(stateKey); ok {
		return c.st
	}
	c.mu.Lock()
	p := c.parent
	c.mu.Unlock()
	if p == nil {
		return nil
	}
	return p.Value(key)
}

// watchdog checks the live instances' call contexts every tick.
type watchdog struct {
	tick time.Duration
	mu   sync.Mutex
	ctxs map[*callCtx]struct{}
	stop chan struct{}
	done chan struct{}
}

// newWatchdog starts a watchdog whose tick is a twentieth of the call timeout, between 1 and 50 ms.
func newWatchdog(callTimeout time.Duration) *watchdog {
	w := &watchdog{
		tick: min(max(callTimeout/20, time.Millisecond), 50*time.Millisecond),
		ctxs: make(map[*callCtx]struct{}), stop: make(chan struct{}), done: make(chan struct{}),
	}
	go w.run()
	return w
}

func (w *watchdog) add(c *callCtx) {
	w.mu.Lock()
	w.ctxs[c] = struct{}{}
	w.mu.Unlock()
}

func (w *watchdog) remove(c *callCtx) {
	w.mu.Lock()
	delete(w.ctxs, c)
	w.mu.Unlock()
}

func (w *watchdog) run() {
	defer close(w.done)
	t := time.NewTicker(w.tick)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case now := <-t.C:
			w.mu.Lock()
			for c := range w.ctxs {
				c.check(now)
			}
			w.mu.Unlock()
		}
	}
}

// close stops the watchdog.
func (w *watchdog) close() {
	close(w.stop)
	<-w.done
}

var _ context.Context = (*callCtx)(nil)
