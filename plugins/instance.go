package plugins

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tetratelabs/wazero/api"

	"portico/plugins/abi"
)

// instance is one guest module instance. It serves one call at a time: it is either idle in its pool's channel or
// held by exactly one request.
type instance struct {
	mod        api.Module
	mem        api.Memory
	handleReq  api.Function
	handleResp api.Function
	features   uint32 // enabled during initialisation; apply to every request
	// anyInstance: the guest declared that its handle_response may run on any instance (response_any_instance).
	anyInstance bool
	stack       [2]uint64 // params and results of handle_request / handle_response
	st          callState
	ctx         *callCtx // the context of every request-time call, re-armed per call
}

// instantiate creates an instance of the pool's module; the guest's _start or _initialize runs with the pool's
// config readable through get_config.
func (p *Pool) instantiate(ctx context.Context) (*instance, error) {
	inst := &instance{}
	inst.st.pool = p
	inst.st.phase = phaseInit
	cctx, cancel := context.WithTimeout(ctx, p.h.cfg.initTimeout())
	defer cancel()
	mod, err := p.h.rt.InstantiateModule(&initCtx{Context: cctx, st: &inst.st}, p.mod.compiled, p.modcfg)
	if err != nil {
		return nil, fmt.Errorf("instantiating: %w", err)
	}
	if mod.IsClosed() {
		return nil, errors.New("instantiating: guest exited during start")
	}
	inst.mod = mod
	inst.mem = mod.ExportedMemory(abi.ExportMemory)
	inst.handleReq = mod.ExportedFunction(abi.ExportHandleRequest)
	inst.handleResp = mod.ExportedFunction(abi.ExportHandleResponse)
	inst.features = inst.st.features
	inst.anyInstance = inst.st.anyInstance
	inst.ctx = newCallCtx(&inst.st)
	p.h.watch.add(inst.ctx)
	p.live.Add(1)
	return inst, nil
}

// call runs fn (handle_request or handle_response) with x bound and a deadline; params and results are in
// inst.stack. The call also ends when ctx is done. On error the instance must be discarded.
func (inst *instance) call(ctx context.Context, fn api.Function, x *Exchange, ph phase, timeout time.Duration) error {
	inst.ctx.arm(ctx, timeout)
	inst.st.begin(x, ph, inst.features)
	err := fn.CallWithStack(inst.ctx, inst.stack[:])
	if ended := inst.ctx.disarm(); ended != nil && err == nil {
		err = ended // the watchdog fired as the call returned: the instance's context is spent
	}
	if err != nil {
		inst.st.x = nil
		return err
	}
	inst.st.end()
	return nil
}

// close closes the guest module.
func (inst *instance) close(w *watchdog) {
	w.remove(inst.ctx)
	_ = inst.mod.Close(context.Background())
}
