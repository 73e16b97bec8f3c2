package oauth

import (
	"bytes"
	"context"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"portico/node/token"
	"portico/raftstore"
	"portico/raftstore/state"
)

// Client IDs and secrets of testdata/state.json.
const (
	confID     = "cl_a11ce0000000000000000001" // app-alice production: every grant
	publicID   = "cl_a11ce0000000000000000002" // app-alice sandbox: public, PKCE required
	bobID      = "cl_b0b000000000000000000001" // app-bob: client_credentials only
	carolID    = "cl_ca201000000000000000001a" // app-carol (owned by a publisher)
	confSecret = "conf secret:+/%é-1"          // needs form-url-encoding inside HTTP Basic
	bobSecret  = "bob-secret-2b7f0c"
	carolSec   = "carol-secret-91aa"
	confRedir  = "https://shop.example/callback"
	publicRed  = "http://127.0.0.1:8765/callback"
	testIter   = 1000 // PBKDF2 iterations of the test users: real hashing, fast tests
)

// passwords of the users of testdata/state.json (nopass has none).
var passwords = map[string]string{"alice": "alice-pw-Q7x", "bob": "bob-pw-Z2k", "carol": "carol-pw-M4n",
	"root": "root-pw-P9v"}

// fixture is a Server over a hand-made state, with a clock, a fake proposer and a captured log.
type fixture struct {
	t       testing.TB
	srv     *Server
	keys    *token.Keys
	st      atomic.Pointer[state.State]
	clock   atomic.Int64 // unix nanoseconds
	prop    *fakeProposer
	logs    *syncBuffer
	mu      sync.Mutex
	secrets []string
}

// newFixture builds the fixture and checks, when the test ends, that no secret reached the log.
func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{t: t, logs: &syncBuffer{}}
	f.clock.Store(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC).UnixNano())
	ck, err := token.NewClusterKey(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatalf("cluster key: %v", err)
	}
	st := loadState(t)
	sk, err := token.NewSigningKey(ck, f.now())
	if err != nil {
		t.Fatalf("signing key: %v", err)
	}
	st.SigningKeys[sk.KID] = &sk
	f.st.Store(st)
	f.keys = token.NewKeys(token.Config{Key: ck, Now: f.now})
	if err := f.keys.Update(st); err != nil {
		t.Fatalf("keys: %v", err)
	}
	f.prop = &fakeProposer{f: f}
	f.srv, err = New(Config{State: f.st.Load, Keys: f.keys, Proposer: f.prop, Now: f.now,
		Logger: slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	f.addSecrets(confSecret, bobSecret, carolSec)
	for _, pw := range passwords {
		f.addSecrets(pw)
	}
	t.Cleanup(f.checkLogs)
	return f
}

// loadState reads testdata/state.json and adds what JSON cannot hold readably: secret hashes, password hashes and
// the client index.
func loadState(t testing.TB) *state.State {
	t.Helper()
	b, err := os.ReadFile("testdata/state.json")
	if err != nil {
		t.Fatal(err)
	}
	st := state.Empty()
	if err := json.Unmarshal(b, st); err != nil {
		t.Fatalf("decoding testdata/state.json: %v", err)
	}
	secrets := map[string]string{confID: confSecret, bobID: bobSecret, carolID: carolSec}
	for _, app := range st.Apps {
		for _, c := range app.Credentials {
			st.ClientIndex[c.ClientID] = app.ID
			if s, ok := secrets[c.ClientID]; ok {
				sum := sha256.Sum256([]byte(s))
				c.SecretHash = sum[:]
			}
		}
	}
	for name, pw := range passwords {
		u := st.Users[name]
		u.Salt = []byte("salt-of-" + name)
		u.Iterations = testIter
		if u.PasswordHash, err = pbkdf2.Key(sha256.New, pw, u.Salt, testIter, 32); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

func (f *fixture) now() time.Time { return time.Unix(0, f.clock.Load()) }

func (f *fixture) advance(d time.Duration) { f.clock.Add(int64(d)) }

// addSecrets records values that must never appear in the log.
func (f *fixture) addSecrets(s ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, v := range s {
		if v != "" {
			f.secrets = append(f.secrets, v)
		}
	}
}

// checkLogs fails the test if a secret, a password, a token or a code is in the log.
func (f *fixture) checkLogs() {
	logs := f.logs.String()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.secrets {
		if strings.Contains(logs, s) || strings.Contains(logs, url.QueryEscape(s)) {
			f.t.Errorf("log holds a secret %.12q…", s)
		}
	}
}

// update replaces the state with a modified copy (copy-on-write, as the FSM does).
func (f *fixture) update(change func(st *state.State)) {
	cur := f.st.Load()
	next := *cur
	next.Apps = maps.Clone(cur.Apps)
	next.Users = maps.Clone(cur.Users)
	next.Revoked = maps.Clone(cur.Revoked)
	change(&next)
	f.st.Store(&next)
}

// fakeProposer applies RevokeTokens to the fixture's state like the FSM does. With lag set it applies them to a
// leader-side map only, as if this node had not caught up yet. With fail set it refuses everything.
type fakeProposer struct {
	f     *fixture
	mu    sync.Mutex
	calls int
	lag   bool
	fail  bool
	// leader is the revocation set of the lagging leader.
	leader map[string]int64
	// shape turns the result into what a proposer may return: the value (nil shape), a pointer, or nothing.
	shape func(raftstore.RevokeResult) any
}

func (p *fakeProposer) Propose(_ context.Context, requestID string, cmd raftstore.Command) (any, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	if requestID == "" {
		return nil, errors.New("empty request ID")
	}
	if p.fail {
		return nil, errors.New("no leader")
	}
	rt, ok := cmd.(raftstore.RevokeTokens)
	if !ok {
		return nil, errors.New("unexpected command " + cmd.Kind())
	}
	var res raftstore.RevokeResult
	if p.lag {
		res = p.applyTo(&p.leader, rt)
	} else {
		p.f.update(func(st *state.State) { res = p.applyTo(&st.Revoked, rt) })
	}
	if p.shape != nil {
		return p.shape(res), nil
	}
	return res, nil
}

func (p *fakeProposer) applyTo(revoked *map[string]int64, rt raftstore.RevokeTokens) raftstore.RevokeResult {
	if *revoked == nil {
		*revoked = map[string]int64{}
	}
	added := 0
	for _, tok := range rt.Tokens {
		if _, ok := (*revoked)[tok.ID]; !ok && tok.Exp >= rt.Now/1000 {
			added++
			(*revoked)[tok.ID] = tok.Exp
		}
	}
	return raftstore.RevokeResult{Added: added}
}

func (p *fakeProposer) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
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

// auth is how a request authenticates its client.
type auth struct {
	basic      bool
	id, secret string
}

// basicAuth authenticates with HTTP Basic (form-url-encoded parts, RFC 6749 §2.3.1).
func basicAuth(id, secret string) auth { return auth{basic: true, id: id, secret: secret} }

// formAuth authenticates with the client_id and client_secret form fields (no secret for a public client).
func formAuth(id, secret string) auth { return auth{id: id, secret: secret} }

// post sends a form to path.
func (f *fixture) post(path string, form url.Values, a auth) *httptest.ResponseRecorder {
	form = cloneValues(form)
	if !a.basic && a.id != "" {
		form.Set("client_id", a.id)
		if a.secret != "" {
			form.Set("client_secret", a.secret)
		}
	}
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if a.basic {
		r.SetBasicAuth(url.QueryEscape(a.id), url.QueryEscape(a.secret))
	}
	return f.serve(r)
}

func (f *fixture) serve(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, r)
	return w
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// tokenResult is a decoded token endpoint answer, success or error.
type tokenResult struct {
	Status       int
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	Scope        string `json:"scope"`
	RefreshToken string `json:"refresh_token"`
	Error        string `json:"error"`
	Description  string `json:"error_description"`
	Header       http.Header
}

// token calls the token endpoint and records the tokens it returns as secrets.
func (f *fixture) token(form url.Values, a auth) tokenResult {
	f.t.Helper()
	w := f.post(pathToken, form, a)
	res := tokenResult{Status: w.Code, Header: w.Header()}
	if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil {
		f.t.Fatalf("token response %d is not JSON: %v: %q", w.Code, err, w.Body.String())
	}
	f.addSecrets(res.AccessToken, res.RefreshToken)
	if got := w.Header().Get("Cache-Control"); got != "no-store" {
		f.t.Errorf("Cache-Control: got %q, want no-store", got)
	}
	if got := w.Header().Get("Pragma"); got != "no-cache" {
		f.t.Errorf("Pragma: got %q, want no-cache", got)
	}
	return res
}

// mustToken calls the token endpoint and fails the test unless it issued a token.
func (f *fixture) mustToken(form url.Values, a auth) tokenResult {
	f.t.Helper()
	res := f.token(form, a)
	if res.Status != http.StatusOK || res.AccessToken == "" {
		f.t.Fatalf("token: got %d %s (%s), want 200 with a token", res.Status, res.Error, res.Description)
	}
	return res
}

// verify checks a token with the fixture's keys against the current state.
func (f *fixture) verify(raw, use string) (*token.Claims, error) {
	return f.keys.Verify(f.st.Load(), raw, use)
}

// wantError fails the test unless res is the error code with the status.
func wantError(t *testing.T, res tokenResult, status int, code string) {
	t.Helper()
	if res.Status != status || res.Error != code {
		t.Errorf("got %d %q (%s), want %d %q", res.Status, res.Error, res.Description, status, code)
	}
	if res.AccessToken != "" || res.RefreshToken != "" {
		t.Errorf("got tokens with an error response")
	}
}

func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

func jsonDecode(b []byte, v any) error { return json.Unmarshal(b, v) }
