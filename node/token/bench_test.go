package token

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"portico/raftstore/state"
)

// BenchmarkVerify measures the verification of a genuine access token, the work the gateway does on every request
// to an oauth2-protected API.
func BenchmarkVerify(b *testing.B) {
	f, tok := benchToken(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.keys.Verify(f.st, tok, UseAccess); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyGrant is BenchmarkVerify for a token of a sign-in (it carries a grant ID, checked against the
// revocation list too) with 10,000 revoked tokens and grants in the list.
func BenchmarkVerifyGrant(b *testing.B) {
	f := newFixture(b)
	gid, err := NewGrantID()
	if err != nil {
		b.Fatal(err)
	}
	c := Claims{ClientID: "cl_0123456789abcdef01234567", Scope: "read write", Env: "production", App: "app-1",
		Use: UseAccess, Grant: gid}
	tok, err := f.keys.Issue(c, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	for i := range 10000 {
		other, _ := NewGrantID()
		f.st.Revoked[other] = f.now.Add(time.Hour).Unix()
		f.st.Revoked[fmt.Sprintf("%032x", i)] = f.now.Add(time.Hour).Unix()
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.keys.Verify(f.st, tok, UseAccess); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyFirstSeen measures a token the node has not verified before: parsing and the ECDSA check.
func BenchmarkVerifyFirstSeen(b *testing.B) {
	f, tok := benchToken(b)
	b.ReportAllocs()
	for b.Loop() {
		f.keys.verified.mu.Lock()
		f.keys.verified.entries = nil
		f.keys.verified.mu.Unlock()
		if _, err := f.keys.Verify(f.st, tok, UseAccess); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyParallel(b *testing.B) {
	f, tok := benchToken(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := f.keys.Verify(f.st, tok, UseAccess); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func benchToken(b *testing.B) (*fixture, string) {
	f := newFixture(b)
	c := Claims{ClientID: "cl_0123456789abcdef01234567", Scope: "read write", Env: "production", App: "app-1", Use: UseAccess}
	tok, err := f.keys.Issue(c, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	return f, tok
}

func BenchmarkVerifyRefusedBySize(b *testing.B) {
	f := newFixture(b)
	tok := string(make([]byte, 1<<20))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.keys.Verify(f.st, tok, UseAccess); err == nil {
			b.Fatal("accepted")
		}
	}
}

func BenchmarkIssue(b *testing.B) {
	f := newFixture(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.keys.Issue(Claims{ClientID: "cl_1", Use: UseAccess}, time.Hour); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkExternalVerify(b *testing.B) {
	p := newIDP(b)
	v := newTestVerifier(p)
	iss := []state.ExternalIssuer{p.issuer()}
	tok := sign(b, jwt.SigningMethodRS256, p.rsa, p.header("RS256", "rsa1"), p.claims())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(context.Background(), iss, tok); err != nil {
			b.Fatal(err)
		}
	}
}
