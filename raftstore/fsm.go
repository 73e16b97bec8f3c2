package raftstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/hashicorp/raft"

	"portico/raftstore/state"
)

// requestWindow is how many log indices an idempotency key is remembered for: a key applied at index i is forgotten
// by the first application at index i+requestWindow or later. Each entry records at most one key, so at most
// requestWindow keys are kept. Pruning depends on the entry index only, so every node prunes alike.
const requestWindow = 10000

// handler applies one payload version of a command kind.
type handler struct {
	// apply changes next, a shallow copy of the current state, replacing every map it modifies by a copy, and fills
	// rec with what a retry needs. It returns the command's result, an *ApplyError, or another error (a payload
	// this node cannot decode).
	apply func(next *state.State, payload json.RawMessage, rec *state.Request) (any, error)
	// replay answers a retry of an already applied request from the current state and the first application's rec.
	replay func(cur *state.State, payload json.RawMessage, rec state.Request) (any, error)
}

// commands is the dispatch table: command kind → payload version → handler. Add versions; never change or drop a
// released one while entries written with it may remain in a log.
var commands = map[string]map[int]handler{
	PutAPI{}.Kind():    {1: handle(putAPI, replayPutAPI)},
	DeleteAPI{}.Kind(): {1: handle(deleteAPI, replayDelete[DeleteAPI])},
	CreateApp{}.Kind(): {
		1: handle(createAppUniqueName, replayCreateApp),
		2: handle(createApp, replayCreateApp),
	},
	DeleteApp{}.Kind():        {1: handle(deleteApp, replayDelete[DeleteApp])},
	CreateKey{}.Kind():        {1: handle(createKey, replayCreateKey)},
	DeleteKey{}.Kind():        {1: handle(deleteKey, replayDelete[DeleteKey])},
	CreateAdminToken{}.Kind(): {1: handle(createAdminToken, replayCreateAdminToken)},
	RegisterNode{}.Kind():     {1: handle(registerNode, replayRegisterNode)},
	DeregisterNode{}.Kind():   {1: handle(deregisterNode, replayDelete[DeregisterNode])},
	PutPluginChunk{}.Kind():   {1: handle(putPluginChunk, replayPutPluginChunk)},
	PutPlugin{}.Kind():        {1: handle(putPlugin, replayPutPlugin)},
	DeletePlugin{}.Kind():     {1: handle(deletePlugin, replayDelete[DeletePlugin])},

	SetLifecycle{}.Kind():   {1: handle(setLifecycle, replaySetLifecycle)},
	PutDocument{}.Kind():    {1: handle(putDocument, replayPutDocument)},
	DeleteDocument{}.Kind(): {1: handle(deleteDocument, replayDelete[DeleteDocument])},
	CreateUser{}.Kind():     {1: handle(createUser, replayCreateUser)},
	DeleteUser{}.Kind():     {1: handle(deleteUser, replayDelete[DeleteUser])},
	SetPassword{}.Kind(): {
		1: handle(setPasswordKeepSessions, replayUpdate[SetPassword]),
		2: handle(setPassword, replayUpdate[SetPassword]),
	},
	DeleteAdminToken{}.Kind():      {1: handle(deleteAdminToken, replayDelete[DeleteAdminToken])},
	ShareApp{}.Kind():              {1: handle(shareApp, replayUpdate[ShareApp])},
	SetCredentials{}.Kind():        {1: handle(setCredentials, replaySetCredentials)},
	CreateSubscription{}.Kind():    {1: handle(createSubscription, replayCreateSubscription)},
	SetSubscriptionStatus{}.Kind(): {1: handle(setSubscriptionStatus, replayUpdate[SetSubscriptionStatus])},
	DeleteSubscription{}.Kind():    {1: handle(deleteSubscription, replayDelete[DeleteSubscription])},
	RegenerateKey{}.Kind():         {1: handle(regenerateKey, replayRegenerateKey)},
	CreatePlan{}.Kind():            {1: handle(createPlan, replayCreatePlan)},
	AddSigningKey{}.Kind():         {1: handle(addSigningKey, replayAddSigningKey)},
	RevokeTokens{}.Kind():          {1: handle(revokeTokens, replayRevokeTokens)},
}

// handle binds a typed transition and its replay to the payload decoding.
func handle[C any](
	apply func(*state.State, *C, *state.Request) (any, error),
	replay func(*state.State, *C, state.Request) any,
) handler {
	return handler{
		apply: func(next *state.State, raw json.RawMessage, rec *state.Request) (any, error) {
			var c C
			if err := decodeStrict(raw, &c); err != nil {
				return nil, fmt.Errorf("decoding payload: %w", err)
			}
			return apply(next, &c, rec)
		},
		replay: func(cur *state.State, raw json.RawMessage, rec state.Request) (any, error) {
			var c C
			if err := decodeStrict(raw, &c); err != nil {
				return nil, fmt.Errorf("decoding payload: %w", err)
			}
			return replay(cur, &c, rec), nil
		},
	}
}

// latestVersion is the payload version new entries of a kind are written with.
func latestVersion(kind string) (int, bool) {
	latest := 0
	for v := range commands[kind] {
		latest = max(latest, v)
	}
	return latest, latest > 0
}

func lookupHandler(kind string, version int) (handler, error) {
	versions, ok := commands[kind]
	if !ok {
		return handler{}, fmt.Errorf("unknown command kind %q", kind)
	}
	h, ok := versions[version]
	if !ok {
		return handler{}, fmt.Errorf("unknown version %d of command kind %q", version, kind)
	}
	return h, nil
}

// fsm is the raft.FSM: it applies committed entries deterministically (no clock, no randomness, no I/O besides
// logging a rejected entry) and publishes each new state with one atomic pointer store. raft calls Apply, Snapshot
// and Restore from one goroutine; State and AppliedIndex may be read from any.
type fsm struct {
	cur      atomic.Pointer[state.State]
	applied  atomic.Uint64 // index of the last entry applied, including refused ones
	watchers *watchers
	logger   *slog.Logger
}

func newFSM(logger *slog.Logger) *fsm {
	f := &fsm{watchers: newWatchers(), logger: logger}
	f.cur.Store(state.Empty())
	return f
}

func (f *fsm) state() *state.State { return f.cur.Load() }

// publish makes st the current state and wakes the watchers. st must not be modified afterwards.
func (f *fsm) publish(st *state.State) {
	f.cur.Store(st)
	f.watchers.notify()
}

// Apply applies one committed entry. It returns the command's result, an *ApplyError if the command was refused, or
// another error if the entry cannot be understood (unknown kind or version, bad payload); the latter is logged at
// error level and leaves the state unchanged.
func (f *fsm) Apply(l *raft.Log) any {
	res, err := f.apply(l)
	f.applied.Store(l.Index)
	if err == nil {
		return res
	}
	if _, refused := errors.AsType[*ApplyError](err); !refused {
		f.logger.Error("rejecting raft log entry", "index", l.Index, "error", err)
	}
	return err
}

func (f *fsm) apply(l *raft.Log) (any, error) {
	env, err := decodeEnvelope(l.Data)
	if err != nil {
		return nil, fmt.Errorf("applying entry %d: %w", l.Index, err)
	}
	h, err := lookupHandler(env.Kind, env.Version)
	if err != nil {
		return nil, fmt.Errorf("applying entry %d: %w", l.Index, err)
	}
	cur := f.cur.Load()
	if rec, ok := cur.Requests[env.RequestID]; ok {
		return replay(h, cur, env, rec)
	}
	next := *cur
	rec := state.Request{Index: l.Index, Kind: env.Kind}
	res, err := h.apply(&next, env.Payload, &rec)
	if err != nil {
		if ae, refused := errors.AsType[*ApplyError](err); refused {
			return nil, ae
		}
		return nil, fmt.Errorf("applying entry %d (%s v%d): %w", l.Index, env.Kind, env.Version, err)
	}
	next.Requests = recordRequest(cur.Requests, env.RequestID, rec)
	next.Index = l.Index
	f.publish(&next)
	return res, nil
}

// replay answers a request ID that was already applied, without changing the state.
func replay(h handler, cur *state.State, env envelope, rec state.Request) (any, error) {
	if rec.Kind != env.Kind {
		return nil, invalid("request id %q was already used for a %s command", env.RequestID, rec.Kind)
	}
	res, err := h.replay(cur, env.Payload, rec)
	if err != nil {
		return nil, fmt.Errorf("replaying request %q (%s v%d): %w", env.RequestID, env.Kind, env.Version, err)
	}
	return res, nil
}

// recordRequest returns a copy of reqs with id added and every key older than requestWindow indices dropped.
func recordRequest(reqs map[string]state.Request, id string, rec state.Request) map[string]state.Request {
	out := make(map[string]state.Request, min(len(reqs)+1, requestWindow))
	for k, r := range reqs {
		if r.Index+requestWindow > rec.Index {
			out[k] = r
		}
	}
	out[id] = rec
	return out
}

var _ raft.FSM = (*fsm)(nil)
