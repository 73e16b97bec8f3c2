package plugins

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"portico/plugins/abi"
)

// Sentinel errors of the host and its pools.
var (
	// ErrBusy reports that no instance became free within Config.AcquireTimeout.
	ErrBusy = errors.New("plugin pool busy")
	// ErrClosed reports a call on a closed host or pool.
	ErrClosed = errors.New("plugin host or pool closed")
	// ErrQuarantined reports a pool whose calls failed Config.QuarantineAfter times in a row, during its cooldown.
	ErrQuarantined = errors.New("plugin quarantined after repeated failures")
	// ErrInvalidModule wraps the reasons Compile rejects a module.
	ErrInvalidModule = errors.New("invalid plugin module")
)

// MaxModuleSize is the largest module Compile accepts.
const MaxModuleSize = 32 << 20

// Config is the node's static configuration of the wasm host.
type Config struct {
	CacheDir         string        // on-disk wazero compilation cache dir (created 0700); "" = in-memory cache only
	MemoryLimitPages uint32        // per-instance linear-memory cap; 0 = 1024 pages (64 MiB)
	CallTimeout      time.Duration // deadline of every guest call; 0 = 2s
	MaxInstances     int           // per pool; 0 = 4 * GOMAXPROCS
	AcquireTimeout   time.Duration // how long a request waits for a free instance; 0 = 1s
	Logger           *slog.Logger  // nil = discard

	// RecyclePages: an instance whose memory has grown past this many pages is closed after its call instead of
	// being reused (linear memory never shrinks); 0 = 3/4 of MemoryLimitPages. Go guests start at about 40 pages.
	RecyclePages uint32
	// QuarantineAfter consecutive failed calls or instantiations quarantine a pool; 0 = 5.
	QuarantineAfter int
	// QuarantineFor is how long a quarantined pool refuses requests with ErrQuarantined; 0 = 30s.
	QuarantineFor time.Duration
}

func (c Config) withDefaults() Config {
	if c.MemoryLimitPages == 0 {
		c.MemoryLimitPages = 1024
	}
	if c.CallTimeout <= 0 {
		c.CallTimeout = 2 * time.Second
	}
	if c.MaxInstances <= 0 {
		c.MaxInstances = 4 * runtime.GOMAXPROCS(0)
	}
	if c.AcquireTimeout <= 0 {
		c.AcquireTimeout = time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.RecyclePages == 0 {
		c.RecyclePages = c.MemoryLimitPages / 4 * 3
	}
	if c.QuarantineAfter <= 0 {
		c.QuarantineAfter = 5
	}
	if c.QuarantineFor <= 0 {
		c.QuarantineFor = 30 * time.Second
	}
	return c
}

// initTimeout bounds an instantiation, which runs the guest's _start or _initialize.
func (c Config) initTimeout() time.Duration {
	return max(c.CallTimeout, time.Second)
}

// Host is the node's wasm runtime with its host modules, compiled modules and instance pools.
type Host struct {
	cfg     Config
	log     *slog.Logger
	rt      wazero.Runtime
	cache   wazero.CompilationCache
	imports map[string]map[string]api.FunctionDefinition // host module -> function -> definition
	// guestOutput: guest stdout/stderr go to the logger; without a configured logger they are discarded.
	guestOutput bool

	mu      sync.Mutex
	closed  bool
	modules map[string]*compileEntry
	pools   map[poolKey]*poolEntry
	bg      sync.WaitGroup // background instance refills
	watch   *watchdog      // ends guest calls past their deadline
}

// Module is a validated, compiled guest module. It is reference-counted: every Compile takes a reference that the
// caller gives back with Host.ReleaseModule, and every pool of the module holds one until its last instance is
// closed. The compiled code is freed after the last reference.
type Module struct {
	digest   string
	compiled wazero.CompiledModule
	entry    *compileEntry
}

// Digest returns the hex SHA-256 of the module bytes.
func (m *Module) Digest() string { return m.digest }

type compileEntry struct {
	ready chan struct{}
	mod   *Module
	err   error
	refs  int // guarded by Host.mu: callers of Compile (also while compiling) and pools not yet emptied
}

// New starts the node's wazero runtime and instantiates the host modules (WASI, http_handler, portico_v1) once.
func New(ctx context.Context, cfg Config) (*Host, error) {
	guestOutput := cfg.Logger != nil
	cfg = cfg.withDefaults()
	cache, err := newCache(cfg.CacheDir)
	if err != nil {
		return nil, err
	}
	rc := wazero.NewRuntimeConfig().
		WithCloseOnContextDone(true).
		WithMemoryLimitPages(cfg.MemoryLimitPages).
		WithCompilationCache(cache)
	h := &Host{
		cfg:         cfg,
		log:         cfg.Logger,
		rt:          wazero.NewRuntimeWithConfig(ctx, rc),
		cache:       cache,
		guestOutput: guestOutput,
		modules:     map[string]*compileEntry{},
		pools:       map[poolKey]*poolEntry{},
	}
	if err := h.instantiateHostModules(ctx); err != nil {
		_ = h.rt.Close(ctx)
		_ = cache.Close(ctx)
		return nil, err
	}
	h.watch = newWatchdog(cfg.CallTimeout)
	return h, nil
}

// newCache returns the compilation cache: on disk in dir (created owner-only) or in memory.
func newCache(dir string) (wazero.CompilationCache, error) {
	if dir == "" {
		return wazero.NewCompilationCache(), nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating compilation cache dir: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("restricting compilation cache dir: %w", err)
	}
	cache, err := wazero.NewCompilationCacheWithDir(dir)
	if err != nil {
		return nil, fmt.Errorf("opening compilation cache: %w", err)
	}
	return cache, nil
}

func (h *Host) instantiateHostModules(ctx context.Context) error {
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, h.rt); err != nil {
		return fmt.Errorf("instantiating wasi: %w", err)
	}
	if _, err := httpHandlerModule(h.rt).Instantiate(ctx); err != nil {
		return fmt.Errorf("instantiating %s: %w", abi.ModuleHTTPHandler, err)
	}
	if _, err := porticoModule(h.rt).Instantiate(ctx); err != nil {
		return fmt.Errorf("instantiating %s: %w", abi.ModulePortico, err)
	}
	h.imports = map[string]map[string]api.FunctionDefinition{}
	for _, name := range []string{wasi_snapshot_preview1.ModuleName, abi.ModuleHTTPHandler, abi.ModulePortico} {
		h.imports[name] = h.rt.Module(name).ExportedFunctionDefinitions()
	}
	return nil
}

// Close closes every pool, instance and compiled module, then the runtime and the compilation cache.
func (h *Host) Close(ctx context.Context) error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	pools := make([]*Pool, 0, len(h.pools))
	for _, e := range h.pools {
		if e.pool != nil {
			pools = append(pools, e.pool)
		}
	}
	h.mu.Unlock()
	for _, p := range pools {
		p.close()
	}
	h.bg.Wait()
	h.watch.close()
	return errors.Join(h.rt.Close(ctx), h.cache.Close(ctx))
}

// goBackground runs f on a goroutine that Close waits for, unless the host is closed.
func (h *Host) goBackground(f func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.bg.Add(1)
	go func() {
		defer h.bg.Done()
		f()
	}()
}

// Compile validates and compiles a module once per digest; concurrent compiles of the same bytes share one result.
func (h *Host) Compile(ctx context.Context, wasm []byte) (*Module, error) {
	if len(wasm) > MaxModuleSize {
		return nil, fmt.Errorf("compiling module: %w: %d bytes, limit %d", ErrInvalidModule, len(wasm), MaxModuleSize)
	}
	sum := sha256.Sum256(wasm)
	digest := hex.EncodeToString(sum[:])
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, ErrClosed
	}
	e, ok := h.modules[digest]
	if !ok {
		e = &compileEntry{ready: make(chan struct{})}
		h.modules[digest] = e
	}
	e.refs++
	h.mu.Unlock()
	if !ok {
		h.compile(ctx, e, digest, wasm)
	}
	select {
	case <-e.ready:
		if e.err != nil {
			h.unref(ctx, e)
			return nil, e.err
		}
		return e.mod, nil
	case <-ctx.Done():
		h.unref(ctx, e)
		return nil, fmt.Errorf("compiling module %s: %w", digest[:12], ctx.Err())
	}
}

// ReleaseModule gives back the reference a Compile call returned. The module stays usable by its pools; its compiled
// code is freed once no caller and no pool holds it, and a later Compile of the same bytes compiles them again.
func (h *Host) ReleaseModule(ctx context.Context, m *Module) {
	if m != nil {
		h.unref(ctx, m.entry)
	}
}

// retain takes one more reference on a module (a pool's).
func (h *Host) retain(m *Module) {
	h.mu.Lock()
	m.entry.refs++
	h.mu.Unlock()
}

// unref drops one reference on e and, after the last one, forgets the module and closes its compiled code (unless
// the host is closed, which closes everything itself).
func (h *Host) unref(ctx context.Context, e *compileEntry) {
	h.mu.Lock()
	if e.refs <= 0 {
		h.mu.Unlock()
		return
	}
	e.refs--
	last := e.refs == 0 && e.mod != nil && !h.closed
	if last && h.modules[e.mod.digest] == e {
		delete(h.modules, e.mod.digest)
	}
	h.mu.Unlock()
	if last {
		_ = e.mod.compiled.Close(context.WithoutCancel(ctx))
		h.log.Debug("freed module", "digest", e.mod.digest)
	}
}

// Modules reports how many compiled modules the host holds (a gauge: plugin versions no longer used are freed).
func (h *Host) Modules() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, e := range h.modules {
		if e.mod != nil {
			n++
		}
	}
	return n
}

// compile fills e; the compilation is not cancelled by ctx because other callers may be waiting for it.
func (h *Host) compile(ctx context.Context, e *compileEntry, digest string, wasm []byte) {
	defer close(e.ready)
	cm, err := h.rt.CompileModule(context.WithoutCancel(ctx), wasm)
	if err == nil {
		if err = h.validate(cm); err != nil {
			_ = cm.Close(ctx)
		}
	}
	if err != nil {
		e.err = fmt.Errorf("compiling module %s: %w: %w", digest[:12], ErrInvalidModule, err)
		h.mu.Lock()
		delete(h.modules, digest)
		h.mu.Unlock()
		return
	}
	e.mod = &Module{digest: digest, compiled: cm, entry: e}
	h.log.Debug("compiled module", "digest", digest)
}

// validate checks the guest's exports and that every import is a host function with the expected signature.
func (h *Host) validate(cm wazero.CompiledModule) error {
	if _, ok := cm.ExportedMemories()[abi.ExportMemory]; !ok {
		return fmt.Errorf("missing export %q", abi.ExportMemory)
	}
	if len(cm.ImportedMemories()) > 0 {
		return errors.New("imports a memory")
	}
	exports := cm.ExportedFunctions()
	if err := checkExport(exports, abi.ExportHandleRequest, nil, []api.ValueType{api.ValueTypeI64}); err != nil {
		return err
	}
	i32 := api.ValueTypeI32
	if err := checkExport(exports, abi.ExportHandleResponse, []api.ValueType{i32, i32}, nil); err != nil {
		return err
	}
	for _, imp := range cm.ImportedFunctions() {
		module, name, _ := imp.Import()
		defs, ok := h.imports[module]
		if !ok {
			return fmt.Errorf("imports from unknown module %q", module)
		}
		def, ok := defs[name]
		if !ok {
			return fmt.Errorf("imports unknown function %s.%s", module, name)
		}
		if !sameSignature(def, imp.ParamTypes(), imp.ResultTypes()) {
			return fmt.Errorf("imports %s.%s with a wrong signature", module, name)
		}
	}
	return nil
}

func checkExport(exports map[string]api.FunctionDefinition, name string, params, results []api.ValueType) error {
	def, ok := exports[name]
	if !ok {
		return fmt.Errorf("missing export %q", name)
	}
	if !sameSignature(def, params, results) {
		return fmt.Errorf("export %q has a wrong signature", name)
	}
	return nil
}

func sameSignature(def api.FunctionDefinition, params, results []api.ValueType) bool {
	return string(def.ParamTypes()) == string(params) && string(def.ResultTypes()) == string(results)
}
