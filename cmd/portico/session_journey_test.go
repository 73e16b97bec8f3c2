package main

import (
	"math"
	"strings"
	"testing"
)

// TestSessionJourney runs the session commands against the real admin API: a user changes their password, lists and
// revokes their tokens and logs out, and each revoked token is refused at once.
func TestSessionJourney(t *testing.T) {
	c := newCluster(t)
	path := useConfig(t)
	j := journey{t: t, c: c}
	const first, second = "carol-first-pass", "carol-second-pass"
	var created map[string]any
	j.json(&created, c.runInputAs(first+"\n", "-o", "json", "user", "create", "carol", "--role", "subscriber",
		"--password-stdin"))
	firstToken, _ := created["token"].(string)
	login := func(password string) result {
		return runInput(password+"\n", "--server", c.url, "login", "--user", "carol", "--password-stdin", "--save",
			"carol")
	}
	login(first).ok(t)
	firstLogin := readConfig(t, path).Contexts["carol"].Token

	out := runInput("wrong-pass-1\n"+second+"\n", "user", "passwd", "--password-stdin")
	out.failed(t, exitError, "invalid username or password")
	if out := runInput(first+"\n"+second+"\n", "user", "passwd", "--password-stdin").ok(t); out !=
		"changed the password of user carol; the user's other sessions are ended\n" {
		t.Errorf("user passwd: got %q", out)
	}
	// The change ended carol's other session (the token of user create); the one that made it goes on.
	runCLI("--server", c.url, "--token", firstToken, "whoami").failed(t, exitError, "a valid admin token is required")
	runCLI("--server", c.url, "--token", firstLogin, "whoami").ok(t)
	login(first).failed(t, exitError, "invalid username or password")
	login(second).ok(t)

	var tokens []map[string]any
	j.json(&tokens, j.user("token", "list", "-o", "json"))
	if len(tokens) != 2 { // the login that changed the password, and the login with the new one
		t.Fatalf("token list as carol: got %v, want her 2 tokens", tokens)
	}
	var firstID string
	oldest := math.MaxFloat64
	for _, tok := range tokens {
		if tok["user"] != "carol" || len(tok) != 6 {
			t.Errorf("listed token: got %v, want one of carol's with 6 fields", tok)
		}
		if created, _ := tok["createdAt"].(float64); created < oldest {
			oldest, firstID = created, tok["id"].(string)
		}
	}
	if out := j.admin("token", "list"); !strings.Contains(out, "(bootstrap)") || strings.Count(out, "subscriber") != 2 {
		t.Errorf("token list as the admin: got %q, want the bootstrap token and carol's 2", out)
	}
	j.admin("token", "revoke", firstID)
	runCLI("--server", c.url, "--token", firstLogin, "whoami").failed(t, exitError, "a valid admin token is required")
	c.run("token", "revoke", "tok1").failed(t, exitError, "bootstrap")

	if out := j.user("logout"); !strings.Contains(out, "removed the token from context carol") {
		t.Errorf("logout: got %q", out)
	}
	if cfg := readConfig(t, path); cfg.Contexts["carol"].Token != "" {
		t.Errorf("context carol after logout: got a token, want none")
	}
	runCLI("whoami").failed(t, exitError, "a valid admin token is required")
	c.run("logout").failed(t, exitError, "the bootstrap token cannot log out")
}
