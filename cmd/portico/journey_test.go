package main

import (
	"os"
	"strings"
	"testing"
)

// journey runs the CLI against the real admin API as the test admin, or as a user through the current context.
type journey struct {
	t *testing.T
	c *cluster
}

// admin runs a command with the test admin token.
func (j journey) admin(args ...string) string { j.t.Helper(); return j.c.run(args...).ok(j.t) }

// user runs a command with the current context's server and token.
func (j journey) user(args ...string) string { j.t.Helper(); return runCLI(args...).ok(j.t) }

// json runs a command that prints JSON and decodes it into v.
func (j journey) json(v any, out string) { j.t.Helper(); decodeOne(j.t, out, v) }

func TestConsumerJourney(t *testing.T) {
	c := newCluster(t)
	useConfig(t)
	j := journey{t: t, c: c}
	const alicePassword = "alice-pass-1"
	j.admin("deploy", "-f", "testdata/greet.yaml")

	var alice map[string]any
	j.json(&alice, c.runInputAs(alicePassword+"\n", "-o", "json", "user", "create", "alice", "--role", "subscriber",
		"--password-stdin"))
	if alice["token"] == "" || alice["role"] != "subscriber" {
		t.Fatalf("user create: got %v, want a subscriber with a token", alice)
	}
	out := runInput(alicePassword+"\n", "--server", c.url, "login", "--user", "alice", "--password-stdin",
		"--save", "alice").ok(t)
	if !strings.Contains(out, "saved as context alice, the current context") {
		t.Fatalf("login --save: got %q", out)
	}
	if out := j.user("whoami"); !strings.Contains(out, "alice  subscriber") {
		t.Errorf("whoami: got %q, want alice the subscriber", out)
	}

	j.user("app", "create", "web", "--description", "the web app")
	var cred map[string]any
	j.json(&cred, j.user("-o", "json", "app", "credentials", "web", "--env", "production", "--token-ttl", "10m"))
	secret, _ := cred["clientSecret"].(string)
	clientID, _ := cred["clientId"].(string)
	if !strings.HasPrefix(secret, "cs_") || !strings.HasPrefix(clientID, "cl_") || cred["accessTokenTtl"] != 600.0 {
		t.Fatalf("app credentials: got %v, want a cs_ secret, a cl_ client ID and a 600 s token", cred)
	}
	var app map[string]any
	j.json(&app, j.user("app", "get", "web", "-o", "json"))
	creds, _ := app["credentials"].(map[string]any)
	prod, _ := creds["production"].(map[string]any)
	if app["owner"] != "alice" || prod["clientId"] != clientID {
		t.Errorf("app get: got %v, want alice's app with client %s", app, clientID)
	}

	j.admin("plan", "create", "Platinum", "--rpm", "9000", "--burst", "10")
	var plans []map[string]any
	j.json(&plans, j.user("plan", "list", "-o", "json"))
	if !hasItem(plans, "name", "Platinum") || !hasItem(plans, "name", "Gold") {
		t.Errorf("plan list: got %v, want the built-in plans and Platinum", plans)
	}

	var sub map[string]any
	j.json(&sub, j.user("-o", "json", "sub", "create", "--app", "web", "--api", "greet", "--major", "1", "--plan",
		"Platinum"))
	subID, _ := sub["id"].(string)
	if subID == "" || sub["status"] != "active" || sub["plan"] != "Platinum" {
		t.Fatalf("sub create: got %v, want an active Platinum subscription", sub)
	}
	var consumers []map[string]any
	j.json(&consumers, j.admin("api", "consumers", "greet", "-o", "json"))
	if len(consumers) != 1 || consumers[0]["subscription"] != subID || consumers[0]["owner"] != "alice" {
		t.Errorf("api consumers: got %v, want alice's subscription %s", consumers, subID)
	}
	if out := j.admin("sub", "block", subID); !strings.Contains(out, "blocked") {
		t.Errorf("sub block: got %q", out)
	}
	if out := j.admin("sub", "unblock", subID, "-o", "json"); !strings.Contains(out, `"status": "active"`) {
		t.Errorf("sub unblock: got %q", out)
	}
	runCLI("sub", "block", subID).failed(t, exitError, "subscriber cannot block subscriptions")

	keys := j.regenerate()
	j.lifecycleAndDocs()
	j.signingKeys()
	j.otherUser()

	secrets := append([]string{secret, alicePassword, alice["token"].(string)}, keys...)
	for _, args := range [][]string{
		{"app", "get", "web", "-o", "json"}, {"app", "list", "-o", "yaml"}, {"key", "list"}, {"sub", "list", "-o", "json"},
		{"whoami", "-o", "json"}, {"context", "list", "-o", "json"},
	} {
		out := j.user(args...)
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%v shows a secret: %q", args, out)
			}
		}
	}
	if out := j.admin("user", "list", "-o", "json"); strings.Contains(out, alicePassword) ||
		!strings.Contains(out, `"name": "alice"`) {
		t.Errorf("user list: got %q, want alice without her password", out)
	}
}

// regenerate creates an API key, regenerates it and checks that the old one shows its expiry; it returns both keys.
func (j journey) regenerate() []string {
	t := j.t
	var created, again map[string]any
	j.json(&created, j.user("-o", "json", "key", "create", "--app", "web", "--api", "greet"))
	oldID, _ := created["id"].(string)
	j.json(&again, j.user("-o", "json", "key", "regenerate", oldID))
	newKey, _ := again["key"].(string)
	if !strings.HasPrefix(newKey, "pk_") || again["previous"] != oldID || again["graceUntil"] == 0.0 {
		t.Fatalf("key regenerate: got %v, want a new key replacing %s with a grace period", again, oldID)
	}
	var keys []map[string]any
	j.json(&keys, j.user("key", "list", "--app", "web", "-o", "json"))
	for _, k := range keys {
		if k["id"] == oldID && k["expiresAt"] != again["graceUntil"] {
			t.Errorf("key list: old key %v, want it to expire at %v", k, again["graceUntil"])
		}
	}
	if out := j.user("key", "list"); !strings.Contains(out, "EXPIRES") || !strings.Contains(out, millis(
		int64(again["graceUntil"].(float64)))) {
		t.Errorf("key list: got %q, want the old key's expiry", out)
	}
	return []string{created["key"].(string), newKey}
}

func (j journey) lifecycleAndDocs() {
	t := j.t
	j.c.run("api", "lifecycle", "greet", "1.0", "Created").failed(t, exitError, "Deprecated")
	if out := j.admin("api", "lifecycle", "greet", "1.0", "Deprecated"); out != "API greet 1.0 moved from "+
		"Published to Deprecated\n" {
		t.Errorf("api lifecycle: got %q", out)
	}
	guide, err := os.ReadFile("testdata/guide.md")
	if err != nil {
		t.Fatal(err)
	}
	j.admin("api", "doc", "add", "greet", "1.0", "guide", "--file", "testdata/guide.md")
	if out := j.admin("api", "doc", "list", "greet", "1.0"); !strings.Contains(out, "guide") {
		t.Errorf("doc list: got %q", out)
	}
	if out := j.user("api", "doc", "get", "greet", "1.0", "guide"); out != string(guide) {
		t.Errorf("doc get: got %q, want %q", out, guide)
	}
	j.admin("api", "doc", "delete", "greet", "1.0", "guide")
	j.c.run("api", "doc", "get", "greet", "1.0", "guide").failed(t, exitError, "guide")
}

func (j journey) signingKeys() {
	t := j.t
	var first, second map[string]any
	j.json(&first, j.admin("keys", "rotate", "-o", "json"))
	j.json(&second, j.admin("keys", "rotate", "-o", "json"))
	if first["kid"] == "" || second["retired"] != first["kid"] {
		t.Errorf("keys rotate: got %v then %v, want the second to retire the first", first, second)
	}
	out := j.admin("keys", "list")
	if !strings.Contains(out, first["kid"].(string)) || !strings.Contains(out, "current") ||
		!strings.Contains(out, "retired") {
		t.Errorf("keys list: got %q, want a current and a retired key", out)
	}
	runCLI("keys", "rotate").failed(t, exitError, "subscriber cannot rotate signing keys")
}

// otherUser checks that another subscriber neither sees nor reaches alice's application.
func (j journey) otherUser() {
	t := j.t
	var bob map[string]any
	j.json(&bob, j.admin("-o", "json", "user", "create", "bob", "--role", "subscriber"))
	asBob := func(args ...string) result {
		return runCLI(append([]string{"--server", j.c.url, "--token", bob["token"].(string)}, args...)...)
	}
	if out := asBob("app", "list", "-o", "json").ok(t); strings.TrimSpace(out) != "[]" {
		t.Errorf("bob's app list: got %q, want []", out)
	}
	for _, args := range [][]string{
		{"app", "get", "web"}, {"app", "credentials", "web", "--env", "sandbox"}, {"app", "share", "web", "--user", "bob"},
		{"key", "list", "--app", "web"}, {"app", "delete", "web"},
	} {
		asBob(args...).failed(t, exitError, "not found")
	}
	if out := j.user("app", "get", "web"); !strings.Contains(out, "the web app") {
		t.Errorf("alice's app after bob's attempts: got %q", out)
	}
}

// hasItem says whether a list holds an item whose key is value.
func hasItem(list []map[string]any, key string, value any) bool {
	for _, m := range list {
		if m[key] == value {
			return true
		}
	}
	return false
}
