package admin

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"portico/raftstore/state"
)

// testSigningKeys makes real P-256 signing keys; the "sealed" private half is a stand-in, never shown.
func testSigningKeys(t *testing.T) func(time.Time) (state.SigningKey, error) {
	var n atomic.Int64
	return func(now time.Time) (state.SigningKey, error) {
		priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return state.SigningKey{}, err
		}
		pub, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
		if err != nil {
			return state.SigningKey{}, err
		}
		return state.SigningKey{KID: fmt.Sprintf("%016x", n.Add(1)), Alg: state.SigningAlgES256, Public: pub,
			Sealed: []byte("sealed-private-key"), CreatedAt: now.UnixMilli()}, nil
	}
}

func TestSigningKeys(t *testing.T) {
	t.Parallel()
	t.Run("no cluster key", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		wantError(t, e.do(request{method: "POST", path: "/v1/signing-keys/rotate"}), http.StatusServiceUnavailable,
			"unavailable", "no cluster key")
		if len(e.store.State().SigningKeys) != 0 {
			t.Errorf("signing keys stored without a cluster key")
		}
	})
	t.Run("rotate", func(t *testing.T) {
		t.Parallel()
		clk := newClock()
		e := newEnvWith(t, func(c *Config) { c.Now, c.NewSigningKey = clk.Now, testSigningKeys(t) })
		first := e.postJSON("/v1/signing-keys/rotate", ``, http.StatusOK)
		if first["kid"] != "0000000000000001" || first["retired"] != "" ||
			first["createdAt"] != float64(clk.Now().UnixMilli()) {
			t.Errorf("first rotation: got %v, want kid 1 retiring nothing", first)
		}
		clk.Advance(time.Minute)
		second := e.postJSON("/v1/signing-keys/rotate", ``, http.StatusOK)
		if second["kid"] != "0000000000000002" || second["retired"] != "0000000000000001" {
			t.Errorf("second rotation: got %v, want kid 2 retiring kid 1", second)
		}
		rec := e.do(request{method: "GET", path: "/v1/signing-keys"})
		list := decodeList(t, rec)
		if len(list) != 2 || list[0]["kid"] != "0000000000000001" ||
			list[0]["retiredAt"] != float64(clk.Now().UnixMilli()) || list[1]["retiredAt"] != float64(0) ||
			list[1]["alg"] != "ES256" {
			t.Errorf("list: got %v, want key 1 retired now and key 2 current", list)
		}
		if strings.Contains(rec.Body.String(), "sealed") || strings.Contains(rec.Body.String(), "public") {
			t.Errorf("list shows key material: %s", rec.Body)
		}
		if cur, ok := e.store.State().CurrentSigningKey(); !ok || cur.KID != "0000000000000002" {
			t.Errorf("current key: got %+v, want kid 2", cur)
		}
	})
}
