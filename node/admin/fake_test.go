package admin

import (
	"context"
	"io"
	"maps"
	"sync"

	"portico/raftstore"
	"portico/raftstore/state"
)

// fakeStore stands in for raftstore where a test injects what a real single-node cluster cannot produce on demand:
// not being the leader, an unknown outcome. Applied commands are counted; the state is never changed.
type fakeStore struct {
	mu      sync.Mutex
	st      *state.State
	leader  string
	err     error // returned by every Apply
	applied int
}

func newFakeStore(tokens map[string]*state.AdminToken, err error) *fakeStore {
	st := state.Empty()
	st.AdminTokens = maps.Clone(tokens)
	return &fakeStore{st: st, leader: "n2", err: err}
}

func (f *fakeStore) State() *state.State {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.st
}

func (f *fakeStore) Apply(ctx context.Context, requestID string, cmd raftstore.Command) (any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.applied++
	return nil, f.err
}

func (f *fakeStore) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.applied
}

func (f *fakeStore) IsLeader() bool       { return false }
func (f *fakeStore) LeaderID() string     { return f.leader }
func (f *fakeStore) Ready() bool          { return false }
func (f *fakeStore) AppliedIndex() uint64 { return 7 }

func (f *fakeStore) ReadIndex(context.Context) (uint64, error)      { return 7, nil }
func (f *fakeStore) WaitApplied(context.Context, uint64) error      { return nil }
func (f *fakeStore) Join(context.Context, string, string) error     { return f.err }
func (f *fakeStore) Remove(context.Context, string) error           { return f.err }
func (f *fakeStore) Members() ([]raftstore.Member, error)           { return nil, f.err }
func (f *fakeStore) RaftState() string                              { return "follower" }
func (f *fakeStore) Term() uint64                                   { return 2 }
func (f *fakeStore) WriteBackup(io.Writer) error                    { return f.err }
func (f *fakeStore) RestoreBackup(context.Context, io.Reader) error { return f.err }

var _ Store = (*fakeStore)(nil)
