package token

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"portico/raftstore/state"
)

// TestVerifiedCacheRechecks checks that a token verified once is refused later when the state or the clock says
// so: the cache only spares the signature check.
func TestVerifiedCacheRechecks(t *testing.T) {
	tests := []struct {
		name   string
		use    string
		change func(f *fixture, c *Claims) *state.State
		want   error
		reason string
	}{
		{name: "revoked afterwards", change: func(f *fixture, c *Claims) *state.State {
			st := *f.st
			st.Revoked = map[string]int64{c.ID: c.ExpiresAt.Unix()}
			return &st
		}, want: ErrRevoked, reason: "revoked"},
		{name: "expired afterwards", change: func(f *fixture, c *Claims) *state.State {
			f.now = c.ExpiresAt.Time
			return f.st
		}, want: ErrExpired, reason: "expired"},
		{name: "key dropped", change: func(f *fixture, c *Claims) *state.State {
			st := *f.st
			st.SigningKeys = map[string]*state.SigningKey{}
			return &st
		}, want: ErrInvalid, reason: "unknown kid"},
		{name: "key replaced under the same kid", change: func(f *fixture, c *Claims) *state.State {
			other, err := NewSigningKey(f.ck, testNow)
			if err != nil {
				t.Fatal(err)
			}
			other.KID = f.sk.KID
			st := *f.st
			st.SigningKeys = map[string]*state.SigningKey{f.sk.KID: &other}
			return &st
		}, want: ErrInvalid, reason: "signature is invalid"},
		{name: "other use", use: UseRefresh, change: func(f *fixture, c *Claims) *state.State { return f.st },
			want: ErrInvalid, reason: "wrong typ"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			tok, err := f.keys.Issue(Claims{Use: UseAccess}, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			first, err := f.keys.Verify(f.st, tok, UseAccess)
			if err != nil {
				t.Fatal(err)
			}
			if f.keys.verified.get(tok) == nil {
				t.Fatal("got no cache entry after a successful verification, want one")
			}
			st := tc.change(f, first)
			use := tc.use
			if use == "" {
				use = UseAccess
			}
			c, err := f.keys.Verify(st, tok, use)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("got %v, %v, want %v with %q", c, err, tc.want, tc.reason)
			}
			if wantClaims := tc.want == ErrRevoked; (c != nil) != wantClaims {
				t.Fatalf("got claims %v, want claims %v (only a revoked token returns them)", c, wantClaims)
			}
		})
	}
}

func TestVerifiedCacheReturnsCopies(t *testing.T) {
	f := newFixture(t)
	tok, err := f.keys.Issue(Claims{Use: UseAccess, Scope: "read"}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	a, err := f.keys.Verify(f.st, tok, UseAccess)
	if err != nil {
		t.Fatal(err)
	}
	a.Scope = "admin"
	a.Audience[0] = "other"
	a.ExpiresAt.Time = a.ExpiresAt.Add(time.Hour)
	b, err := f.keys.Verify(f.st, tok, UseAccess)
	if err != nil {
		t.Fatal(err)
	}
	if b.Scope != "read" || b.Audience[0] != "portico" || !b.ExpiresAt.Equal(testNow.Add(time.Minute)) {
		t.Fatalf("got scope %q aud %v exp %v after a caller changed its copy, want read [portico] %v",
			b.Scope, b.Audience, b.ExpiresAt, testNow.Add(time.Minute))
	}
}

func TestVerifiedCacheSkipsRefusedTokens(t *testing.T) {
	f := newFixture(t)
	tok := f.forge(t, with(f.header(), "kid", "0000000000000000"), f.claims())
	if _, err := f.keys.Verify(f.st, tok, UseAccess); err == nil {
		t.Fatal("got nil, want a refusal")
	}
	if f.keys.verified.get(tok) != nil {
		t.Fatal("got a cache entry for a refused token, want none")
	}
}

func TestVerifiedCacheBounded(t *testing.T) {
	var c verifiedCache
	tok := strings.Repeat("a", 4000)
	for i := range 5000 {
		c.put(fmt.Sprintf("%s%d", tok, i), &verified{})
		if c.bytes > verifiedCacheBytes {
			t.Fatalf("got %d bytes after %d entries, want at most %d", c.bytes, i+1, verifiedCacheBytes)
		}
	}
	if len(c.entries) == 0 || c.get(fmt.Sprintf("%s%d", tok, 4999)) == nil {
		t.Fatal("got no entry for the last token, want it kept")
	}
}
