package admin

import (
	"net/http"
	"testing"
)

func TestPlans(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	created := e.postJSON("/v1/plans", `{"name":"Team","rpm":300,"burst":50}`, http.StatusCreated)
	if created["name"] != "Team" || created["rpm"] != float64(300) || created["burst"] != float64(50) ||
		created["builtIn"] != false {
		t.Errorf("create: got %v, want Team 300/min burst 50, not built in", created)
	}
	refused := []struct {
		name, body string
		status     int
		msg        string
	}{
		{"exists", `{"name":"Team","rpm":10}`, 409, `plan "Team" exists`},
		{"built-in name", `{"name":"Gold","rpm":10}`, 400, `"Gold" is a built-in plan`},
		{"no rate", `{"name":"Free","rpm":0}`, 400, "rpm: 0 must be at least 1"},
		{"negative burst", `{"name":"Free","rpm":5,"burst":-1}`, 400, "burst: -1 must not be negative"},
		{"bad name", `{"name":"a plan","rpm":5}`, 400, "name:"},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			rec := e.do(request{method: "POST", path: "/v1/plans", ctype: "application/json", body: c.body})
			wantError(t, rec, c.status, "", c.msg)
		})
	}
	list := decodeList(t, e.as(e.addUser("sue", "subscriber"), request{method: "GET", path: "/v1/plans"}))
	want := []struct {
		name    string
		rpm     float64
		builtIn bool
	}{
		{"Bronze", 1000, true}, {"Silver", 2000, true}, {"Gold", 5000, true}, {"Unlimited", 0, true},
		{"10KPerMin", 10000, true}, {"20KPerMin", 20000, true}, {"50KPerMin", 50000, true}, {"Team", 300, false},
	}
	if len(list) != len(want) {
		t.Fatalf("plans: got %v, want %d", list, len(want))
	}
	for i, w := range want {
		if p := list[i]; p["name"] != w.name || p["rpm"] != w.rpm || p["builtIn"] != w.builtIn {
			t.Errorf("plan %d: got %v, want %s %v built-in %v", i, p, w.name, w.rpm, w.builtIn)
		}
	}
}

func TestSubscriptions(t *testing.T) {
	t.Parallel()
	e := newRoleEnv(t)
	e.deploy("draft.yaml", http.StatusOK)
	sub := e.tokens["sub"]
	created := e.postAs(sub, "/v1/subscriptions", `{"app":"sub-app","api":"greet","major":1,"plan":"Gold"}`,
		http.StatusCreated)
	id, _ := created["id"].(string)
	if len(id) != 16 || created["app"] != "sub-app" || created["api"] != "greet" || created["major"] != float64(1) ||
		created["plan"] != "Gold" || created["status"] != "active" {
		t.Fatalf("create: got %v", created)
	}
	refused := []struct {
		name, body string
		status     int
		msg        string
	}{
		{"twice", `{"app":"sub-app","api":"greet","major":1}`, 409, "subscription " + id},
		{"unknown plan", `{"app":"sub-app","api":"greet","plan":"Platinum"}`, 400, `plan: "Platinum" is not one of`},
		{"created API", `{"app":"sub-app","api":"draft"}`, 400, "accepts no new subscriptions: 1.0 is Created"},
		{"unknown API", `{"app":"sub-app","api":"nope"}`, 404, `API "nope" not found`},
		{"private API", `{"app":"sub-app","api":"vault"}`, 404, `API "vault" not found`},
		{"unknown major", `{"app":"sub-app","api":"greet","major":3}`, 404, "no deployed major version 3"},
		{"unknown app", `{"app":"other","api":"greet"}`, 404, `application "other" not found`},
		{"missing api", `{"app":"sub-app"}`, 400, "api: required"},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			before := e.store.State().Index
			rec := e.as(sub, request{method: "POST", path: "/v1/subscriptions", ctype: "application/json", body: c.body})
			wantError(t, rec, c.status, "", c.msg)
			if c.status != http.StatusConflict && c.status != 400 && e.store.State().Index != before {
				t.Errorf("state index: got %d, want %d", e.store.State().Index, before)
			}
		})
	}

	status := []struct {
		name, who, action string
		code              int
		want              string
	}{
		{"subscriber cannot block", "sub", "block", 403, "role subscriber cannot block subscriptions"},
		{"other publisher does not see it", "pub2", "block", 404, "not found"},
		{"owner blocks", "pub", "block", 200, "blocked"},
		{"admin unblocks", "admin", "unblock", 200, "active"},
		{"owner blocks again", "pub", "block", 200, "blocked"},
	}
	for _, c := range status {
		t.Run(c.name, func(t *testing.T) {
			rec := e.as(e.tokens[c.who], request{method: "POST", path: "/v1/subscriptions/" + id + "/" + c.action})
			want := "blocked"
			if c.code != http.StatusOK {
				wantError(t, rec, c.code, "", c.want)
			} else {
				got := decodeObject(t, rec, c.code)
				want = c.want
				if got["status"] != want || got["id"] != id {
					t.Errorf("response: got %v, want %s", got, want)
				}
			}
			if st := e.store.State().Subscriptions[id].Status; c.code == http.StatusOK && st != want {
				t.Errorf("stored status: got %s, want %s", st, want)
			}
		})
	}

	consumers := decodeList(t, e.as(e.tokens["pub"], request{method: "GET", path: "/v1/apis/greet/consumers"}))
	if len(consumers) != 1 || consumers[0]["subscription"] != id || consumers[0]["app"] != "sub-app" ||
		consumers[0]["owner"] != "sub" || consumers[0]["plan"] != "Gold" || consumers[0]["status"] != "blocked" ||
		consumers[0]["major"] != float64(1) {
		t.Errorf("consumers: got %v", consumers)
	}
	wantError(t, e.do(request{method: "GET", path: "/v1/apis/nope/consumers"}), 404, "not_found", `API "nope"`)

	lists := []struct {
		name, who, query string
		want             int
	}{
		{"subscriber's own", "sub", "", 1},
		{"by app", "sub", "?app=sub-app", 1},
		{"API owner", "pub", "", 1},
		{"other publisher", "pub2", "", 0},
		{"admin", "admin", "", 1},
	}
	for _, c := range lists {
		t.Run("list "+c.name, func(t *testing.T) {
			got := decodeList(t, e.as(e.tokens[c.who], request{method: "GET", path: "/v1/subscriptions" + c.query}))
			if len(got) != c.want {
				t.Errorf("got %v, want %d subscriptions", got, c.want)
			}
		})
	}

	wantError(t, e.as(e.tokens["pub"], request{method: "DELETE", path: "/v1/subscriptions/" + id}), 403, "forbidden",
		"cannot delete the subscriptions")
	decodeObject(t, e.as(sub, request{method: "DELETE", path: "/v1/subscriptions/" + id}), http.StatusOK)
	if _, ok := e.store.State().Subscriptions[id]; ok {
		t.Errorf("subscription still stored after delete")
	}
	wantError(t, e.as(sub, request{method: "DELETE", path: "/v1/subscriptions/" + id}), 404, "not_found", id)
}
