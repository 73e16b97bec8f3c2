package token

import (
	"strings"
	"testing"
	"time"
)

// FuzzVerify checks that Verify never panics and accepts nothing but the genuine tokens it was seeded with: a
// mutation that still verified would be a forgery.
func FuzzVerify(f *testing.F) {
	fx := newFixture(f)
	genuine := map[string]bool{}
	for _, use := range []string{UseAccess, UseRefresh, UseCode} {
		tok, err := fx.keys.Issue(Claims{ClientID: "cl_1", Scope: "a", Env: "production", App: "app", Use: use}, time.Hour)
		if err != nil {
			f.Fatal(err)
		}
		genuine[tok] = true
		f.Add(tok, use)
		parts := strings.Split(tok, ".")
		f.Add(parts[0]+"."+parts[1]+".", use)
		f.Add(tok+"."+parts[2], use)
	}
	f.Add("eyJhbGciOiJub25lIn0.e30.", UseAccess)
	f.Fuzz(func(t *testing.T, token, use string) {
		c, err := fx.keys.Verify(fx.st, token, use)
		if err == nil && (!genuine[token] || c == nil || c.Use != use) {
			t.Fatalf("accepted %q for use %q", token, use)
		}
	})
}
