package admin

import (
	"net/http"
	"strings"
	"testing"
)

func TestDocs(t *testing.T) {
	t.Parallel()
	e := newRoleEnv(t)
	put := func(token, path, ctype, body string) map[string]any {
		t.Helper()
		return decodeObject(t, e.as(token, request{method: "PUT", path: path, ctype: ctype, body: body}),
			http.StatusOK)
	}
	pub, sub := e.tokens["pub"], e.tokens["sub"]
	got := put(pub, "/v1/apis/greet/1.0/docs/guide", "text/markdown", "# Guide\n\nSay hello.\n")
	if got["name"] != "guide" || got["updatedAt"] == float64(0) {
		t.Errorf("put: got %v, want name guide and an update time", got)
	}
	put(testToken, "/v1/apis/greet/1.0/docs/faq.md", "text/plain; charset=utf-8", "Q: why?\n")
	put(pub, "/v1/apis/greet/1.0/docs/guide", "text/markdown", "# Guide v2\n")
	put(testToken, "/v1/apis/vault/1.0/docs/secret", "text/markdown", "private notes")

	refused := []struct {
		name, token, method, path, ctype, body string
		status                                 int
		msg                                    string
	}{
		{"subscriber cannot write", sub, "PUT", "/v1/apis/greet/1.0/docs/x", "text/markdown", "x", 403,
			"role subscriber cannot edit API documents"},
		{"other publisher cannot write", e.tokens["pub2"], "PUT", "/v1/apis/greet/1.0/docs/x", "text/markdown", "x",
			403, "publisher pub2 does not own API greet"},
		{"bad name", pub, "PUT", "/v1/apis/greet/1.0/docs/a%20b", "text/markdown", "x", 400, "doc:"},
		{"wrong media type", pub, "PUT", "/v1/apis/greet/1.0/docs/x", "text/html", "<p>x</p>", 415, "text/markdown"},
		{"too large", pub, "PUT", "/v1/apis/greet/1.0/docs/x", "text/markdown", strings.Repeat("a", maxDocument+1),
			413, "larger than"},
		{"not UTF-8", pub, "PUT", "/v1/apis/greet/1.0/docs/x", "text/plain", "\xff\xfe", 400, "UTF-8"},
		{"unknown API", testToken, "PUT", "/v1/apis/nope/1.0/docs/x", "text/markdown", "x", 404, "API nope 1.0"},
		{"subscriber cannot read a private API's docs", sub, "GET", "/v1/apis/vault/1.0/docs", "", "", 404,
			"API vault 1.0 not found"},
		{"subscriber cannot read a private API's doc", sub, "GET", "/v1/apis/vault/1.0/docs/secret", "", "", 404,
			"API vault 1.0 not found"},
		{"absent doc", sub, "GET", "/v1/apis/greet/1.0/docs/nope", "", "", 404, `document "nope"`},
		{"subscriber cannot delete", sub, "DELETE", "/v1/apis/greet/1.0/docs/guide", "", "", 403,
			"cannot edit API documents"},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			before := e.store.State().Index
			rec := e.as(c.token, request{method: c.method, path: c.path, ctype: c.ctype, body: c.body})
			wantError(t, rec, c.status, "", c.msg)
			if e.store.State().Index != before {
				t.Errorf("state index: got %d, want %d (nothing applied)", e.store.State().Index, before)
			}
		})
	}

	list := decodeList(t, e.as(sub, request{method: "GET", path: "/v1/apis/greet/1.0/docs"}))
	if len(list) != 2 || list[0]["name"] != "faq.md" || list[1]["name"] != "guide" ||
		list[1]["size"] != float64(len("# Guide v2\n")) {
		t.Errorf("list: got %v, want faq.md then guide of %d bytes", list, len("# Guide v2\n"))
	}
	rec := e.as(sub, request{method: "GET", path: "/v1/apis/greet/1.0/docs/guide"})
	if rec.Code != http.StatusOK || rec.Body.String() != "# Guide v2\n" ||
		rec.Header().Get("Content-Type") != "text/markdown; charset=utf-8" {
		t.Errorf("get: got %d %q (%s), want 200 with the replaced Markdown", rec.Code, rec.Body,
			rec.Header().Get("Content-Type"))
	}
	decodeObject(t, e.as(pub, request{method: "DELETE", path: "/v1/apis/greet/1.0/docs/guide"}), http.StatusOK)
	wantError(t, e.as(pub, request{method: "GET", path: "/v1/apis/greet/1.0/docs/guide"}), 404, "not_found",
		`document "guide"`)
	wantError(t, e.as(pub, request{method: "DELETE", path: "/v1/apis/greet/1.0/docs/guide"}), 404, "not_found",
		"guide")
}
