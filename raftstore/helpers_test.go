package raftstore

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"testing"

	"github.com/hashicorp/raft"

	"portico/raftstore/state"
)

// fsmHarness applies commands to an fsm as raft would, with increasing log indices.
type fsmHarness struct {
	t     *testing.T
	f     *fsm
	index uint64
	seq   int
	logs  *syncBuffer
}

func newFSMHarness(t *testing.T) *fsmHarness {
	t.Helper()
	logs := &syncBuffer{}
	return &fsmHarness{t: t, f: newFSM(slog.New(slog.NewTextHandler(logs, nil))), logs: logs}
}

// applyRaw applies an encoded entry at the next index and returns the FSM's response.
func (h *fsmHarness) applyRaw(data []byte) any {
	h.index++
	return h.f.Apply(&raft.Log{Index: h.index, Term: 1, Type: raft.LogCommand, Data: data})
}

// applyID applies cmd under requestID.
func (h *fsmHarness) applyID(requestID string, cmd Command) (any, error) {
	h.t.Helper()
	data, err := encodeEntry(requestID, cmd)
	if err != nil {
		h.t.Fatalf("encoding %s: %v", cmd.Kind(), err)
	}
	res := h.applyRaw(data)
	if err, ok := res.(error); ok {
		return nil, err
	}
	return res, nil
}

// apply applies cmd under a fresh request ID.
func (h *fsmHarness) apply(cmd Command) (any, error) {
	h.seq++
	return h.applyID(fmt.Sprintf("req-%d", h.seq), cmd)
}

// must applies cmd and fails the test if it is refused.
func (h *fsmHarness) must(cmd Command) any {
	h.t.Helper()
	res, err := h.apply(cmd)
	if err != nil {
		h.t.Fatalf("applying %s: got error %v, want success", cmd.Kind(), err)
	}
	return res
}

// testAPI loads testdata/api.json and applies edit to it.
func testAPI(t *testing.T, edit func(*state.API)) state.API {
	t.Helper()
	data, err := os.ReadFile("testdata/api.json")
	if err != nil {
		t.Fatalf("reading fixture: %v", err)
	}
	var api state.API
	if err := decodeStrict(data, &api); err != nil {
		t.Fatalf("decoding fixture: %v", err)
	}
	if edit != nil {
		edit(&api)
	}
	return api
}

func testApp(id, name string) *CreateApp {
	return &CreateApp{App: state.Application{ID: id, Name: name, Owner: "team-a", CreatedAt: 1700000000000}}
}

func testKey(id, app string, sub *state.Subscription) *CreateKey {
	return &CreateKey{
		Key: state.APIKey{ID: id, AppID: app, API: "greet", Major: 1, Env: state.Production,
			Hash: []byte{1, 2, 3}, CreatedAt: 1700000000000},
		Subscription: sub,
	}
}

func testSub(id, app string) *state.Subscription {
	return &state.Subscription{ID: id, AppID: app, API: "greet", Major: 1, Plan: "Gold", Status: state.SubActive}
}

// stateJSON is the canonical form used to compare states.
func stateJSON(t *testing.T, st *state.State) string {
	t.Helper()
	data, err := json.Marshal(st)
	if err != nil {
		t.Fatalf("encoding state: %v", err)
	}
	return string(data)
}

func applyCode(err error) string {
	if ae, ok := errors.AsType[*ApplyError](err); ok {
		return ae.Code
	}
	if err != nil {
		return "error: " + err.Error()
	}
	return ""
}

// syncBuffer is a bytes.Buffer safe for a logger used from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func testUser(name, role string) *CreateUser {
	return &CreateUser{User: state.User{Name: name, Role: role, PasswordHash: []byte{1}, Salt: []byte{2},
		Iterations: 600000, CreatedAt: 1700000000000}}
}

// testClientID returns a well-formed client ID numbered n.
func testClientID(n int) string { return fmt.Sprintf("%s%024x", state.ClientIDPrefix, n) }

// testCred returns a confidential client credential with the client credentials and refresh token grants.
func testCred(clientID, env string) state.ClientCredential {
	return state.ClientCredential{ClientID: clientID, SecretHash: []byte{4, 5, 6}, Env: env,
		GrantTypes: []string{state.GrantClientCredentials, state.GrantRefreshToken}, CreatedAt: 1700000000000}
}

// testKID returns a well-formed signing key ID numbered n.
func testKID(n int) string { return fmt.Sprintf("%016x", n) }

// testSigningKey returns a signing key with a fresh P-256 public key; its sealed private key is a placeholder.
func testSigningKey(t *testing.T, kid string, createdAt int64) state.SigningKey {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("generating key: %v", err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatalf("encoding public key: %v", err)
	}
	return state.SigningKey{KID: kid, Alg: state.SigningAlgES256, Public: pub, Sealed: []byte("sealed"), CreatedAt: createdAt}
}
