package plugins

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"

	"portico/plugins/abi"
)

// Pool is a bounded set of instances of one module with one config. Instances are created on demand up to
// Config.MaxInstances; a request waits up to Config.AcquireTimeout for one, then fails with ErrBusy. A pool is shared
// and reference-counted by the Host.
type Pool struct {
	h      *Host
	key    poolKey
	mod    *Module
	name   string
	config []byte
	log    *slog.Logger
	modcfg wazero.ModuleConfig

	idle  chan *instance // free instances
	slots chan struct{}  // one token per live instance, cap MaxInstances
	done  chan struct{}  // closed when the pool closes

	refs     int // guarded by h.mu
	closed   atomic.Bool
	freed    atomic.Bool // the pool's reference on mod is given back (closed, no instance left)
	live     atomic.Int32
	owed     atomic.Int32 // handle_response calls owed to requests that hold no instance (response_any_instance)
	failures atomic.Int32 // consecutive failed calls or instantiations
	until    atomic.Int64 // quarantine end, unix nanoseconds; 0 = not quarantined
}

type poolKey struct{ module, config string }

type poolEntry struct {
	ready chan struct{}
	pool  *Pool
	err   error
}

// Pending is the handle_response owed to a request that continues upstream. It holds the instance that ran
// handle_request until then, unless the guest declared that its response handler may run on any instance
// (abi.FuncResponseAnyInstance): then it holds nothing but req_ctx and the request's features, and the response
// runs on whichever instance is free.
type Pending struct {
	pool     *Pool
	inst     *instance // nil once handled, and for a response that may run on any instance
	reqCtx   uint32
	features uint32 // of the request, for a response that may run on any instance
	anyInst  bool
	done     bool
}

// Pool returns the pool for (m, config), creating it with one warm instance, or the existing one with its reference
// count raised. name is used in logs; an existing pool keeps the name it was created with.
func (h *Host) Pool(ctx context.Context, m *Module, name string, config []byte) (*Pool, error) {
	if m == nil {
		return nil, fmt.Errorf("opening pool %q: nil module", name)
	}
	sum := sha256.Sum256(config)
	key := poolKey{module: m.digest, config: hex.EncodeToString(sum[:])}
	for range 8 { // retries only while a pool with this key is being closed
		p, retry, err := h.openPool(ctx, key, m, name, config)
		if !retry {
			return p, err
		}
	}
	return nil, fmt.Errorf("opening pool %q: pool is being closed", name)
}

func (h *Host) openPool(ctx context.Context, key poolKey, m *Module, name string, config []byte) (*Pool, bool, error) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, false, ErrClosed
	}
	e, ok := h.pools[key]
	if !ok {
		e = &poolEntry{ready: make(chan struct{})}
		h.pools[key] = e
		h.mu.Unlock()
		h.startPool(ctx, key, e, m, name, config)
		return e.pool, false, e.err
	}
	h.mu.Unlock()
	select {
	case <-e.ready:
	case <-ctx.Done():
		return nil, false, fmt.Errorf("opening pool %q: %w", name, ctx.Err())
	}
	if e.err != nil {
		return nil, false, e.err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if e.pool.refs == 0 {
		return nil, true, nil
	}
	e.pool.refs++
	return e.pool, false, nil
}

// startPool creates the pool of entry e and publishes the result.
func (h *Host) startPool(ctx context.Context, key poolKey, e *poolEntry, m *Module, name string, config []byte) {
	defer close(e.ready)
	p, err := h.newPool(ctx, key, m, name, config)
	h.mu.Lock()
	defer h.mu.Unlock()
	if err == nil && h.closed {
		p.close()
		err = ErrClosed
	}
	if err != nil {
		e.err = err
		if h.pools[key] == e {
			delete(h.pools, key)
		}
		return
	}
	e.pool = p
}

func (h *Host) newPool(ctx context.Context, key poolKey, m *Module, name string, config []byte) (*Pool, error) {
	n := h.cfg.MaxInstances
	p := &Pool{
		h: h, key: key, mod: m, name: name, config: bytes.Clone(config),
		log:   h.log.With("policy", name),
		idle:  make(chan *instance, n),
		slots: make(chan struct{}, n),
		done:  make(chan struct{}),
		refs:  1,
	}
	p.modcfg = wazero.NewModuleConfig().WithName("").
		WithStartFunctions(abi.ExportStart, abi.ExportInitialize).
		WithSysWalltime().WithSysNanotime().WithRandSource(rand.Reader)
	if h.guestOutput {
		sink := newLogSink(p.log)
		p.modcfg = p.modcfg.WithStdout(sink.stream("stdout", slog.LevelInfo)).
			WithStderr(sink.stream("stderr", slog.LevelWarn))
	}
	h.retain(m)
	p.slots <- struct{}{}
	inst, err := p.instantiate(ctx)
	if err != nil {
		h.unref(ctx, m.entry)
		return nil, fmt.Errorf("starting policy %q: %w", name, err)
	}
	p.idle <- inst
	return p, nil
}

// Release drops one reference. After the last one the pool closes: idle instances are closed at once, instances in
// use when they are returned; later calls fail with ErrClosed.
func (p *Pool) Release() {
	h := p.h
	h.mu.Lock()
	if p.refs == 0 {
		h.mu.Unlock()
		return
	}
	p.refs--
	last := p.refs == 0
	if last {
		if e := h.pools[p.key]; e != nil && e.pool == p {
			delete(h.pools, p.key)
		}
	}
	h.mu.Unlock()
	if last {
		p.close()
	}
}

func (p *Pool) close() {
	if p.closed.Swap(true) {
		return
	}
	close(p.done)
	p.drainIdle()
	p.freeModule()
}

// retired reports that the pool is closed and owes no response: no instance of it will be used again.
func (p *Pool) retired() bool {
	return p.closed.Load() && p.owed.Load() == 0
}

// freeModule gives back the pool's reference on its module once the pool is retired and holds no instance (a slot
// is taken before an instantiation starts and freed after the instance is closed).
func (p *Pool) freeModule() {
	if !p.retired() || len(p.slots) > 0 || p.freed.Swap(true) {
		return
	}
	p.h.unref(context.Background(), p.mod.entry)
}

// drainIdle closes every idle instance.
func (p *Pool) drainIdle() {
	for range cap(p.idle) {
		select {
		case inst := <-p.idle:
			p.discard(inst)
		default:
			return
		}
	}
}

// Request runs handle_request on a pooled instance. next reports whether the request continues upstream. When next
// is true and the guest did not call skip_response, pending holds the instance until pending.Response (or Release)
// is called, exactly once. On error the instance is discarded and the request must fail closed.
func (p *Pool) Request(ctx context.Context, x *Exchange) (next bool, pending *Pending, err error) {
	inst, err := p.acquire(ctx)
	if err != nil {
		return false, nil, fmt.Errorf("policy %q: %w", p.name, err)
	}
	inst.stack[0] = 0
	err = inst.call(ctx, inst.handleReq, x, phaseRequest, p.h.cfg.CallTimeout)
	if err != nil {
		p.fail(inst, err)
		return false, nil, fmt.Errorf("policy %q: %s: %w", p.name, abi.ExportHandleRequest, err)
	}
	p.succeed()
	ctxNext := inst.stack[0]
	if uint32(ctxNext) == 0 {
		x.responded = true
		p.put(inst)
		return false, nil, nil
	}
	if inst.st.skip {
		p.put(inst)
		return true, nil, nil
	}
	pd := &Pending{pool: p, reqCtx: uint32(ctxNext >> 32)}
	if !inst.anyInstance {
		pd.inst = inst
		return true, pd, nil
	}
	pd.anyInst, pd.features = true, inst.st.features
	p.owed.Add(1) // before the instance is back: a pool closed meanwhile keeps serving what it owes
	p.put(inst)
	return true, pd, nil
}

// Response runs handle_response for the request that produced pd, then returns the instance to its pool. isError
// reports that the upstream call failed.
func (pd *Pending) Response(ctx context.Context, x *Exchange, isError bool) error {
	p, inst := pd.pool, pd.inst
	if pd.done {
		return fmt.Errorf("policy %q: response already handled", p.name)
	}
	pd.done, pd.inst = true, nil
	if pd.anyInst {
		var err error
		inst, err = p.acquireOwed(ctx)
		if err != nil {
			p.settleOwed()
			return fmt.Errorf("policy %q: %s: %w", p.name, abi.ExportHandleResponse, err)
		}
		inst.st.features = pd.features
		p.owed.Add(-1) // the instance itself now keeps the pool's module until it is returned
	}
	inst.stack[0] = uint64(pd.reqCtx)
	inst.stack[1] = 0
	if isError {
		inst.stack[1] = 1
	}
	err := inst.call(ctx, inst.handleResp, x, phaseResponse, p.h.cfg.CallTimeout)
	if err != nil {
		p.fail(inst, err)
		return fmt.Errorf("policy %q: %s: %w", p.name, abi.ExportHandleResponse, err)
	}
	p.succeed()
	p.put(inst)
	return nil
}

// Release returns the instance without running handle_response, for a request abandoned before its response
// phase. It is a no-op after Response or Release.
func (pd *Pending) Release() {
	if pd.done {
		return
	}
	pd.done = true
	if inst := pd.inst; inst != nil {
		pd.inst = nil
		pd.pool.put(inst)
		return
	}
	pd.pool.settleOwed()
}

// settleOwed drops one owed response that will not run; the last one lets a closed pool go.
func (p *Pool) settleOwed() {
	if p.owed.Add(-1) == 0 && p.closed.Load() {
		p.drainIdle()
		p.freeModule()
	}
}

// acquire takes an idle instance, or creates one while the pool is below MaxInstances, or waits for one.
func (p *Pool) acquire(ctx context.Context) (*instance, error) {
	if p.closed.Load() {
		return nil, ErrClosed
	}
	if err := p.checkQuarantine(); err != nil {
		return nil, err
	}
	return p.take(ctx, p.done)
}

// acquireOwed takes an instance for a response owed to a request that holds none: like acquire, but also from a
// pool closed or quarantined since the request passed.
func (p *Pool) acquireOwed(ctx context.Context) (*instance, error) {
	return p.take(ctx, nil)
}

// take takes an idle instance, or creates one while the pool is below MaxInstances, or waits for one; a closed done
// ends the wait with ErrClosed.
func (p *Pool) take(ctx context.Context, done <-chan struct{}) (*instance, error) {
	select {
	case inst := <-p.idle:
		return inst, nil
	default:
	}
	select {
	case p.slots <- struct{}{}:
		return p.grow(ctx)
	default:
	}
	return p.waitFor(ctx, done)
}

// waitFor waits up to Config.AcquireTimeout for an instance; a closed done ends the wait with ErrClosed.
func (p *Pool) waitFor(ctx context.Context, done <-chan struct{}) (*instance, error) {
	t := time.NewTimer(p.h.cfg.AcquireTimeout)
	defer t.Stop()
	select {
	case inst := <-p.idle:
		return inst, nil
	case p.slots <- struct{}{}:
		return p.grow(ctx)
	case <-done:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.C:
		return nil, ErrBusy
	}
}

// grow creates an instance for a slot the caller already holds.
func (p *Pool) grow(ctx context.Context) (*instance, error) {
	inst, err := p.instantiate(ctx)
	if err != nil {
		<-p.slots
		p.countFailure()
		p.freeModule()
		return nil, err
	}
	if p.retired() {
		p.discard(inst)
		return nil, ErrClosed
	}
	return inst, nil
}

// put returns a healthy instance to the pool, or closes it if the pool is closed or its memory passed the recycle
// watermark.
func (p *Pool) put(inst *instance) {
	if inst.mem.Size()/65536 > p.h.cfg.RecyclePages {
		p.log.Debug("recycling instance", "pages", inst.mem.Size()/65536)
		p.discard(inst)
		p.refill()
		return
	}
	p.idle <- inst // never blocks: live instances <= cap(idle)
	if p.retired() {
		p.drainIdle()
	}
}

// fail discards an instance whose call failed and counts the failure.
func (p *Pool) fail(inst *instance, err error) {
	p.log.Debug("discarding instance after failed call", "err", err)
	p.discard(inst)
	p.countFailure()
	p.refill()
}

// discard closes an instance and frees its slot.
func (p *Pool) discard(inst *instance) {
	inst.close(p.h.watch)
	p.live.Add(-1)
	<-p.slots
	p.freeModule()
}

// refill starts one instance in the background when the pool has none left, so that it keeps one warm.
func (p *Pool) refill() {
	if p.closed.Load() || p.live.Load() > 0 || p.until.Load() != 0 {
		return
	}
	p.h.goBackground(func() {
		select {
		case p.slots <- struct{}{}:
		default:
			return
		}
		inst, err := p.grow(context.Background())
		if err != nil {
			p.log.Warn("starting warm instance", "err", err)
			return
		}
		p.put(inst)
	})
}

func (p *Pool) succeed() {
	if p.failures.Load() != 0 {
		p.failures.Store(0)
		p.until.Store(0)
	}
}

// countFailure quarantines the pool after QuarantineAfter consecutive failures.
func (p *Pool) countFailure() {
	n := p.failures.Add(1)
	if int(n) < p.h.cfg.QuarantineAfter {
		return
	}
	until := time.Now().Add(p.h.cfg.QuarantineFor)
	p.until.Store(until.UnixNano())
	if int(n) == p.h.cfg.QuarantineAfter {
		p.log.Warn("quarantining policy after repeated failures", "failures", n, "until", until)
	}
}

// checkQuarantine fails while the pool is quarantined. After the cooldown calls are let through again; one more
// failure quarantines the pool anew, one success clears it.
func (p *Pool) checkQuarantine() error {
	until := p.until.Load()
	if until != 0 && time.Now().UnixNano() < until {
		return ErrQuarantined
	}
	return nil
}
