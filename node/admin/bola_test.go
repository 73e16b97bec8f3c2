package admin

import (
	"net/http"
	"strings"
	"testing"
)

// TestBOLA has subscriber A try every read and write on subscriber B's application, its keys, subscription and
// credentials, by name and by ID: every attempt answers as if the object did not exist, and nothing changes.
func TestBOLA(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.deploy("greet.yaml", http.StatusOK)
	e.deploy("greet-v2.yaml", http.StatusOK)
	a, b := e.addUser("alice", "subscriber"), e.addUser("bob", "subscriber")
	e.postAs(a, "/v1/apps", `{"name":"a-app"}`, http.StatusCreated)
	bApp := e.postAs(b, "/v1/apps", `{"name":"b-app"}`, http.StatusCreated)
	bKey := e.postAs(b, "/v1/keys", `{"app":"b-app","api":"greet","major":1}`, http.StatusCreated)
	e.postAs(b, "/v1/apps/b-app/credentials", `{}`, http.StatusCreated)
	bID, keyID, subID := bApp["id"].(string), bKey["id"].(string), bKey["subscription"].(string)
	bTokenID := findToken(e.store.State(), b).ID

	attempts := []struct {
		name, method, path, body string
	}{
		{"get by name", "GET", "/v1/apps/b-app", ""},
		{"get by id", "GET", "/v1/apps/" + bID, ""},
		{"delete", "DELETE", "/v1/apps/b-app", ""},
		{"delete by id", "DELETE", "/v1/apps/" + bID, ""},
		{"credentials", "POST", "/v1/apps/b-app/credentials", `{"env":"sandbox"}`},
		{"share", "POST", "/v1/apps/b-app/share", `{"users":["alice"]}`},
		{"subscribe", "POST", "/v1/subscriptions", `{"app":"b-app","api":"greet","major":2}`},
		{"subscribe by id", "POST", "/v1/subscriptions", `{"app":"` + bID + `","api":"greet","major":2}`},
		{"list subscriptions", "GET", "/v1/subscriptions?app=b-app", ""},
		{"delete subscription", "DELETE", "/v1/subscriptions/" + subID, ""},
		{"key create", "POST", "/v1/keys", `{"app":"b-app","api":"greet","major":1,"env":"sandbox"}`},
		{"key list", "GET", "/v1/keys?app=b-app", ""},
		{"key list by id", "GET", "/v1/keys?app=" + bID, ""},
		{"key delete", "DELETE", "/v1/keys/" + keyID, ""},
		{"key regenerate", "POST", "/v1/keys/" + keyID + "/regenerate", ""},
		{"token revoke", "DELETE", "/v1/tokens/" + bTokenID, ""},
	}
	before := e.store.State()
	for _, c := range attempts {
		t.Run(c.name, func(t *testing.T) {
			rec := e.as(a, request{method: c.method, path: c.path, ctype: "application/json", body: c.body})
			wantError(t, rec, http.StatusNotFound, "not_found", "not found")
			if strings.Contains(rec.Body.String(), "bob") {
				t.Errorf("the refusal names B: %s", rec.Body)
			}
		})
	}
	if after := e.store.State(); after.Index != before.Index {
		t.Errorf("state index: got %d, want %d (nothing applied)", after.Index, before.Index)
	}

	t.Run("an absent key answers the same", func(t *testing.T) {
		got := decodeObject(t, e.as(a, request{method: "DELETE", path: "/v1/keys/" + keyID}), http.StatusNotFound)
		absent := decodeObject(t, e.as(a, request{method: "DELETE", path: "/v1/keys/0123456789abcdef"}),
			http.StatusNotFound)
		if strings.ReplaceAll(got["message"].(string), keyID, "ID") !=
			strings.ReplaceAll(absent["message"].(string), "0123456789abcdef", "ID") {
			t.Errorf("messages differ: %q and %q", got["message"], absent["message"])
		}
	})
	lists := []string{"/v1/apps", "/v1/keys", "/v1/subscriptions", "/v1/tokens"}
	for _, p := range lists {
		t.Run("list "+p, func(t *testing.T) {
			body := e.as(a, request{method: "GET", path: p}).Body.String()
			for _, leak := range []string{"b-app", bID, keyID, subID, bTokenID, "bob"} {
				if strings.Contains(body, leak) {
					t.Errorf("A's list %s shows B's %s: %s", p, leak, body)
				}
			}
		})
	}
	t.Run("B still has everything", func(t *testing.T) {
		st := e.store.State()
		app, ok := st.Apps[bID]
		if !ok || len(app.SharedWith) != 0 || len(app.Credentials) != 1 || st.Keys[keyID] == nil ||
			st.Keys[keyID].ExpiresAt != 0 || st.Subscriptions[subID] == nil {
			t.Errorf("B's objects changed: app %+v, key %+v, subscription %+v", app, st.Keys[keyID],
				st.Subscriptions[subID])
		}
	})
}

// TestAppNamesPerOwner: application names are unique per owner, so that a user can neither take nor learn another
// user's application names. A name resolves to the caller's own application first, else to the only one of that
// name the caller may read; an ambiguous name answers 409 with the IDs to use instead, and only to a caller who may
// read every one of them.
func TestAppNamesPerOwner(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, b, c := e.addUser("alice", "subscriber"), e.addUser("bob", "subscriber"), e.addUser("carol", "subscriber")
	aApp := e.postAs(a, "/v1/apps", `{"name":"mobile","description":"alice's"}`, http.StatusCreated)
	bApp := e.postAs(b, "/v1/apps", `{"name":"mobile","description":"bob's"}`, http.StatusCreated)
	wantError(t, e.as(a, request{method: "POST", path: "/v1/apps", ctype: "application/json",
		body: `{"name":"mobile"}`}), http.StatusConflict, "conflict", `"mobile" is taken`)
	aID, bID := aApp["id"].(string), bApp["id"].(string)

	get := func(token, ref string) map[string]any {
		t.Helper()
		return decodeObject(t, e.as(token, request{method: "GET", path: "/v1/apps/" + ref}), http.StatusOK)
	}
	if got := get(a, "mobile")["id"]; got != aID {
		t.Errorf("alice's mobile: got %v, want %s", got, aID)
	}
	if got := get(b, "mobile")["id"]; got != bID {
		t.Errorf("bob's mobile: got %v, want %s", got, bID)
	}
	wantError(t, e.do(request{method: "GET", path: "/v1/apps/mobile"}), http.StatusConflict, "conflict",
		"name one by its ID ("+min(aID, bID)+", "+max(aID, bID)+")")
	if got := get(testToken, bID)["description"]; got != "bob's" {
		t.Errorf("admin by ID: got %v, want bob's", got)
	}
	// carol sees alice's mobile only once it is shared, and then by name; shared by both, the name is ambiguous.
	wantError(t, e.as(c, request{method: "GET", path: "/v1/apps/mobile"}), http.StatusNotFound, "not_found",
		"not found")
	e.postAs(a, "/v1/apps/mobile/share", `{"users":["carol"]}`, http.StatusOK)
	if got := get(c, "mobile")["id"]; got != aID {
		t.Errorf("carol's view of mobile: got %v, want alice's %s", got, aID)
	}
	e.postAs(b, "/v1/apps/mobile/share", `{"users":["carol"]}`, http.StatusOK)
	wantError(t, e.as(c, request{method: "GET", path: "/v1/apps/mobile"}), http.StatusConflict, "conflict",
		"2 applications are named")
	cApp := e.postAs(c, "/v1/apps", `{"name":"mobile"}`, http.StatusCreated)
	if got := get(c, "mobile")["id"]; got != cApp["id"] {
		t.Errorf("carol's own mobile: got %v, want %v", got, cApp["id"])
	}
}
