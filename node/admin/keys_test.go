package admin

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"portico/plugins/abi"
)

// keyEnv is an environment with greet 1.0 and 2.0 deployed and the application "mobile".
func keyEnv(t *testing.T) *env {
	e := newEnv(t)
	e.deploy("greet.yaml", http.StatusOK)
	e.deploy("greet-v2.yaml", http.StatusOK)
	e.postJSON("/v1/apps", `{"name":"mobile"}`, http.StatusCreated)
	return e
}

func TestCreateKey(t *testing.T) {
	t.Parallel()
	e := keyEnv(t)
	got := e.postJSON("/v1/keys", `{"app":"mobile","api":"greet","name":"ci"}`, http.StatusCreated)
	key, _ := got["key"].(string)
	id, _ := got["id"].(string)

	checkKeyFormat(t, key, id)
	stored := e.store.State().Keys[id]
	sum := sha256.Sum256([]byte(key))
	if stored == nil || !bytes.Equal(stored.Hash, sum[:]) {
		t.Fatalf("stored key: got %+v, want the key's sha256 %x", stored, sum)
	}
	if got["major"] != float64(2) || got["env"] != "production" || got["app"] != "mobile" || got["api"] != "greet" ||
		got["name"] != "ci" {
		t.Errorf("response: got %v, want major 2 (the highest), env production, app mobile, api greet, name ci", got)
	}
	sub := e.store.State().Subscriptions[got["subscription"].(string)]
	if sub == nil || sub.Major != 2 || sub.Plan != "Unlimited" || sub.AppID != stored.AppID {
		t.Errorf("subscription: got %+v, want mobile's Unlimited subscription to greet v2", sub)
	}

	later := []request{
		{method: "GET", path: "/v1/keys"},
		{method: "GET", path: "/v1/keys?app=mobile"},
		{method: "GET", path: "/v1/apps"},
		{method: "GET", path: "/v1/apis"},
		{method: "GET", path: "/v1/apis/greet/2.0"},
		{method: "GET", path: "/v1/status"},
	}
	secrets := []string{key, key[len(abi.KeyPrefix)+abi.KeyIDLen+1:], hex.EncodeToString(sum[:]),
		base64.StdEncoding.EncodeToString(sum[:])}
	for _, r := range later {
		body := e.do(r).Body.String()
		for _, s := range secrets {
			if strings.Contains(body, s) {
				t.Errorf("%s %s: response contains the key or its hash: %s", r.method, r.path, body)
			}
		}
	}
	for _, s := range secrets {
		if strings.Contains(e.logs.String(), s) {
			t.Errorf("logs contain the key or its hash")
		}
	}
}

// checkKeyFormat requires pk_<16 lowercase hex id>_<base64url of 32 bytes, no padding>.
func checkKeyFormat(t *testing.T, key, id string) {
	t.Helper()
	parsed, ok := abi.ParseAPIKey(key)
	if !ok || parsed != id || len(id) != abi.KeyIDLen {
		t.Fatalf("key %q: parsed id %q (ok %v), want id %q of %d characters", key, parsed, ok, id, abi.KeyIDLen)
	}
	if _, err := hex.DecodeString(id); err != nil || strings.ToLower(id) != id {
		t.Errorf("id %q: want lowercase hex", id)
	}
	secret := key[len(abi.KeyPrefix)+abi.KeyIDLen+1:]
	raw, err := base64.RawURLEncoding.DecodeString(secret)
	if err != nil || len(raw) != 32 {
		t.Errorf("secret %q: got %d bytes (err %v), want 32 bytes of unpadded base64url", secret, len(raw), err)
	}
}

func TestCreateKeyOptions(t *testing.T) {
	t.Parallel()
	e := keyEnv(t)
	cases := []struct {
		name, body string
		status     int
		code, msg  string
		wantMajor  float64
		wantEnv    string
	}{
		{"major and sandbox", `{"app":"mobile","api":"greet","major":1,"env":"sandbox","plan":"Gold"}`, 201, "", "", 1,
			"sandbox"},
		{"app by id", `{"app":"APPID","api":"greet"}`, 201, "", "", 2, "production"},
		{"unknown app", `{"app":"nope","api":"greet"}`, 404, "not_found", `application "nope"`, 0, ""},
		{"unknown API", `{"app":"mobile","api":"nope"}`, 404, "not_found", `API "nope"`, 0, ""},
		{"unknown major", `{"app":"mobile","api":"greet","major":7}`, 404, "not_found", "major version 7", 0, ""},
		{"bad env", `{"app":"mobile","api":"greet","env":"staging"}`, 400, "invalid_request", "env:", 0, ""},
		{"missing api", `{"app":"mobile"}`, 400, "invalid_request", "api: required", 0, ""},
		{"unknown field", `{"app":"mobile","api":"greet","hash":"x"}`, 400, "invalid_request", `"hash"`, 0, ""},
	}
	appID := ""
	for id := range e.store.State().Apps {
		appID = id
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			keys := len(e.store.State().Keys)
			body := strings.ReplaceAll(c.body, "APPID", appID)
			rec := e.do(request{method: "POST", path: "/v1/keys", ctype: "application/json", body: body})
			if c.code != "" {
				wantError(t, rec, c.status, c.code, c.msg)
				if got := len(e.store.State().Keys); got != keys {
					t.Errorf("keys: got %d, want %d", got, keys)
				}
				return
			}
			got := decodeObject(t, rec, c.status)
			if got["major"] != c.wantMajor || got["env"] != c.wantEnv {
				t.Errorf("major, env: got %v, %v, want %v, %v", got["major"], got["env"], c.wantMajor, c.wantEnv)
			}
		})
	}
}

func TestCreateKeyReusedIdempotencyKey(t *testing.T) {
	t.Parallel()
	e := keyEnv(t)
	r := request{method: "POST", path: "/v1/keys", ctype: "application/json", body: `{"app":"mobile","api":"greet"}`,
		header: map[string]string{"Idempotency-Key": "create-key-1"}}
	first := decodeObject(t, e.do(r), http.StatusCreated)
	wantError(t, e.do(r), http.StatusConflict, "conflict", "Idempotency-Key")
	keys := e.store.State().Keys
	if len(keys) != 1 || keys[first["id"].(string)] == nil {
		t.Errorf("keys: got %d, want only the first key %v", len(keys), first["id"])
	}
}

func TestListAndDeleteKeys(t *testing.T) {
	t.Parallel()
	e := keyEnv(t)
	e.postJSON("/v1/apps", `{"name":"web"}`, http.StatusCreated)
	a := e.postJSON("/v1/keys", `{"app":"mobile","api":"greet"}`, http.StatusCreated)
	b := e.postJSON("/v1/keys", `{"app":"web","api":"greet","major":1}`, http.StatusCreated)

	lists := []struct {
		name, query string
		want        []any
	}{
		{"all", "", []any{a["id"], b["id"]}},
		{"one app", "?app=web", []any{b["id"]}},
	}
	for _, c := range lists {
		t.Run("list "+c.name, func(t *testing.T) {
			list := decodeList(t, e.do(request{method: "GET", path: "/v1/keys" + c.query}))
			var ids []any
			for _, k := range list {
				ids = append(ids, k["id"])
				if _, ok := k["key"]; ok {
					t.Errorf("listed key has a key field: %v", k)
				}
				if _, ok := k["hash"]; ok {
					t.Errorf("listed key has a hash field: %v", k)
				}
			}
			if len(ids) != len(c.want) || !sameElements(ids, c.want) {
				t.Errorf("ids: got %v, want %v", ids, c.want)
			}
		})
	}
	wantError(t, e.do(request{method: "GET", path: "/v1/keys?app=nope"}), 404, "not_found", "nope")

	deletes := []struct {
		name, id string
		status   int
	}{
		{"existing", a["id"].(string), http.StatusOK},
		{"again", a["id"].(string), http.StatusNotFound},
		{"malformed id", "zz", http.StatusNotFound},
	}
	for _, c := range deletes {
		t.Run("delete "+c.name, func(t *testing.T) {
			rec := e.do(request{method: "DELETE", path: "/v1/keys/" + c.id})
			if c.status == http.StatusNotFound {
				wantError(t, rec, c.status, "not_found", c.id)
				return
			}
			if got := decodeObject(t, rec, c.status); got["id"] != c.id || got["deleted"] != true {
				t.Errorf("delete: got %v", got)
			}
		})
	}
	if _, ok := e.store.State().Keys[a["id"].(string)]; ok {
		t.Errorf("deleted key still stored")
	}
	if _, ok := e.store.State().Keys[b["id"].(string)]; !ok {
		t.Errorf("other key gone")
	}
}

func sameElements(a, b []any) bool {
	seen := map[any]int{}
	for _, x := range a {
		seen[x]++
	}
	for _, x := range b {
		seen[x]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return len(a) == len(b)
}

func TestRegenerateKey(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		grace time.Duration
		want  time.Duration
	}{
		{"default grace", 0, time.Hour},
		{"configured grace", 10 * time.Minute, 10 * time.Minute},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			clk := newClock()
			e := newEnvWith(t, func(cfg *Config) { cfg.Now, cfg.KeyGrace = clk.Now, c.grace })
			e.deploy("greet.yaml", http.StatusOK)
			e.postJSON("/v1/apps", `{"name":"mobile"}`, http.StatusCreated)
			old := e.postJSON("/v1/keys", `{"app":"mobile","api":"greet","env":"sandbox","name":"ci"}`, http.StatusCreated)
			oldID := old["id"].(string)
			clk.Advance(time.Minute)

			got := e.postJSON("/v1/keys/"+oldID+"/regenerate", ``, http.StatusCreated)
			key, id := got["key"].(string), got["id"].(string)
			checkKeyFormat(t, key, id)
			graceUntil := clk.Now().Add(c.want).UnixMilli()
			if id == oldID || got["previous"] != oldID || got["graceUntil"] != float64(graceUntil) ||
				got["env"] != "sandbox" || got["name"] != "ci" || key == old["key"] {
				t.Errorf("regenerate: got %v, want a new sandbox key ci, previous %s valid until %d", got, oldID,
					graceUntil)
			}
			st := e.store.State()
			sum := sha256.Sum256([]byte(key))
			if k := st.Keys[id]; k == nil || !bytes.Equal(k.Hash, sum[:]) || k.AppID != st.Keys[oldID].AppID ||
				k.ExpiresAt != 0 {
				t.Errorf("new stored key: got %+v", k)
			}
			if k := st.Keys[oldID]; k == nil || k.ExpiresAt != graceUntil {
				t.Errorf("old stored key: got %+v, want it expiring at %d", k, graceUntil)
			}
			for _, k := range decodeList(t, e.do(request{method: "GET", path: "/v1/keys"})) {
				exp, has := k["expiresAt"]
				if k["id"] == oldID && exp != float64(graceUntil) || k["id"] == id && has {
					t.Errorf("listed key %v: want expiresAt only on the old key", k)
				}
			}

			clk.Advance(c.want)
			wantError(t, e.do(request{method: "POST", path: "/v1/keys/" + oldID + "/regenerate"}),
				http.StatusConflict, "conflict", "has expired")
			wantError(t, e.do(request{method: "POST", path: "/v1/keys/0123456789abcdef/regenerate"}),
				http.StatusNotFound, "not_found", "0123456789abcdef")
			wantError(t, e.do(request{method: "POST", path: "/v1/keys/zz/regenerate"}),
				http.StatusNotFound, "not_found", "zz")
		})
	}
}

func TestCreateKeyRefusedForUnsubscribableAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.deploy("draft.yaml", http.StatusOK)
	e.postJSON("/v1/apps", `{"name":"mobile"}`, http.StatusCreated)
	wantError(t, e.do(request{method: "POST", path: "/v1/keys", ctype: "application/json",
		body: `{"app":"mobile","api":"draft"}`}), http.StatusBadRequest, "invalid_request", "1.0 is Created")
	if n := len(e.store.State().Keys) + len(e.store.State().Subscriptions); n != 0 {
		t.Errorf("keys and subscriptions: got %d, want none", n)
	}
}
