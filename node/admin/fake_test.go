package admin

import (
	"context"
	"fmt"
	"io"
	"maps"
	"sync"

	"portico/raftstore"
	"portico/raftstore/state"
)

// fakeStore stands in for raftstore where a test injects what a real single-node cluster cannot produce on demand:
// not being the leader, an unknown outcome, a lost quorum, other members. Applied commands are recorded; the state is
// never changed by them.
type fakeStore struct {
	mu      sync.Mutex
	st      *state.State
	leader  string
	leading bool  // IsLeader's answer
	err     error // returned by every Apply, Join and Remove
	applied int
	cmds    []raftstore.Command // commands applied, in order
	keys    []string            // the idempotency key of each applied command

	readIdx    uint64 // ReadIndex's answer
	readErr    error  // ReadIndex's error
	waitErr    error  // WaitApplied's error
	members    []raftstore.Member
	membersErr error
	log        []string // calls of ReadIndex, WaitApplied, Apply, Join and Remove, in order
}

func newFakeStore(tokens map[string]*state.AdminToken, err error) *fakeStore {
	st := state.Empty()
	st.AdminTokens = maps.Clone(tokens)
	return &fakeStore{st: st, leader: "n2", err: err, readIdx: 7}
}

func (f *fakeStore) State() *state.State {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.st
}

// Apply records cmd and answers with the result the state machine would give a first application, or with f.err.
func (f *fakeStore) Apply(ctx context.Context, requestID string, cmd raftstore.Command) (any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.applied++
	f.cmds = append(f.cmds, cmd)
	f.keys = append(f.keys, requestID)
	f.log = append(f.log, "Apply "+cmd.Kind())
	if f.err != nil {
		return nil, f.err
	}
	switch c := cmd.(type) {
	case raftstore.CreateApp:
		return raftstore.CreateAppResult{App: &c.App}, nil
	case raftstore.PutAPI:
		c.API.Revision = 1
		return raftstore.PutAPIResult{API: &c.API, Changed: true}, nil
	case raftstore.RegisterNode:
		return raftstore.RegisterNodeResult{Changed: true}, nil
	}
	return nil, nil
}

func (f *fakeStore) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.applied
}

// applies returns the commands applied so far and their idempotency keys.
func (f *fakeStore) applies() ([]raftstore.Command, []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]raftstore.Command(nil), f.cmds...), append([]string(nil), f.keys...)
}

// calledLog returns the recorded calls so far.
func (f *fakeStore) calledLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.log...)
}

// setLeader changes the leader this node knows and whether it is the leader.
func (f *fakeStore) setLeader(id string, leading bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.leader, f.leading = id, leading
}

func (f *fakeStore) IsLeader() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.leading
}

func (f *fakeStore) LeaderID() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.leader
}

func (f *fakeStore) Ready() bool          { return false }
func (f *fakeStore) AppliedIndex() uint64 { return 7 }

func (f *fakeStore) ReadIndex(context.Context) (uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, "ReadIndex")
	return f.readIdx, f.readErr
}

func (f *fakeStore) WaitApplied(_ context.Context, idx uint64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, fmt.Sprintf("WaitApplied %d", idx))
	return f.waitErr
}

func (f *fakeStore) Join(_ context.Context, id, raftAddr string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, "Join "+id+" "+raftAddr)
	return f.err
}

func (f *fakeStore) Remove(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, "Remove "+id)
	return f.err
}

func (f *fakeStore) Members() ([]raftstore.Member, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]raftstore.Member(nil), f.members...), f.membersErr
}

func (f *fakeStore) RaftState() string {
	if f.IsLeader() {
		return "leader"
	}
	return "follower"
}

func (f *fakeStore) Term() uint64                                   { return 2 }
func (f *fakeStore) WriteBackup(io.Writer) error                    { return f.err }
func (f *fakeStore) RestoreBackup(context.Context, io.Reader) error { return f.err }

var _ Store = (*fakeStore)(nil)
