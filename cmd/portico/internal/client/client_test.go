package client

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// server answers every request with status and body, and hands the request it got to seen.
func server(t *testing.T, status int, body string, seen chan<- *http.Request) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(b)))
		if seen != nil {
			seen <- r
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{Server: srv.URL + "/", Token: "tok"})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func TestRequests(t *testing.T) {
	cases := []struct {
		name       string
		call       func(c *Client) error
		method     string
		path       string
		query      string
		ctype      string
		body       string
		idempotent bool
		reply      string // the server's answer; "" = {}
	}{
		{"deploy", func(c *Client) error {
			_, err := c.Deploy(context.Background(), []byte("name: x"), "application/yaml", "")
			return err
		},
			"POST", "/v1/apis", "", "application/yaml", "name: x", true, ""},
		{"deploy waiting for none", func(c *Client) error {
			_, err := c.Deploy(context.Background(), []byte("name: x"), "application/yaml", WaitNone)
			return err
		},
			"POST", "/v1/apis", "", "application/yaml", "name: x", true, ""},
		{"deploy waiting for all", func(c *Client) error {
			_, err := c.Deploy(context.Background(), []byte("name: x"), "application/json", WaitAll)
			return err
		},
			"POST", "/v1/apis", "wait=all", "application/json", "name: x", true, ""},
		{"openapi", func(c *Client) error {
			_, err := c.DeployOpenAPI(context.Background(), []byte("{}"), "application/json", "", OpenAPIOptions{
				Name: "p", Version: "1.0", Context: "/p", Backend: "http://b", Security: []string{"api-key", "oauth2"}})
			return err
		}, "POST", "/v1/apis/openapi", "backend=http%3A%2F%2Fb&context=%2Fp&name=p&security=api-key%2Coauth2&version=1.0",
			"application/json", "{}", true, ""},
		{"openapi waiting for a quorum", func(c *Client) error {
			_, err := c.DeployOpenAPI(context.Background(), []byte("{}"), "application/json", WaitQuorum,
				OpenAPIOptions{Name: "p", Version: "1.0", Context: "/p", Backend: "http://b"})
			return err
		}, "POST", "/v1/apis/openapi", "backend=http%3A%2F%2Fb&context=%2Fp&name=p&version=1.0&wait=quorum",
			"application/json", "{}", true, ""},
		{"cluster status", func(c *Client) error { _, err := c.ClusterStatus(context.Background()); return err },
			"GET", "/v1/cluster", "", "", "", false, ""},
		{"remove node", func(c *Client) error { _, err := c.RemoveNode(context.Background(), "n 3"); return err },
			"DELETE", "/v1/cluster/nodes/n%203", "", "", "", true, ""},
		{"join", func(c *Client) error {
			_, err := c.Join(context.Background(), JoinRequest{ID: "n4", RaftAddr: "127.0.0.1:9093",
				AdminURL: "http://127.0.0.1:9083", GatewayURL: "http://127.0.0.1:8083"})
			return err
		}, "POST", "/v1/cluster/join", "", "application/json", `{"id":"n4","raftAddr":"127.0.0.1:9093",` +
			`"adminUrl":"http://127.0.0.1:9083","gatewayUrl":"http://127.0.0.1:8083"}`, true, ""},
		{"push plugin", func(c *Client) error {
			_, err := c.PushPlugin(context.Background(), "hdr", "1.0.0", []byte("\x00asm"))
			return err
		}, "PUT", "/v1/plugins/hdr/1.0.0", "", "application/wasm", "\x00asm", true, ""},
		{"list plugins", func(c *Client) error { _, err := c.ListPlugins(context.Background()); return err },
			"GET", "/v1/plugins", "", "", "", false, `[]`},
		{"delete plugin", func(c *Client) error {
			_, err := c.DeletePlugin(context.Background(), "hdr", "1.0.0")
			return err
		}, "DELETE", "/v1/plugins/hdr/1.0.0", "", "", "", true, ""},
		{"restore snapshot", func(c *Client) error {
			_, err := c.RestoreSnapshot(context.Background(), strings.NewReader("backup bytes"))
			return err
		}, "POST", "/v1/snapshot", "", "application/octet-stream", "backup bytes", true, ""},
		{"get api", func(c *Client) error { _, err := c.GetAPI(context.Background(), "a/b", "1.0"); return err },
			"GET", "/v1/apis/a%2Fb/1.0", "", "", "", false, ""},
		{"create key", func(c *Client) error {
			major := 0
			_, err := c.CreateKey(context.Background(), KeyRequest{App: "a", API: "b", Major: &major})
			return err
		}, "POST", "/v1/keys", "", "application/json", `{"app":"a","api":"b","major":0}`, true, ""},
		{"list keys of an app", func(c *Client) error { _, err := c.ListKeys(context.Background(), "web"); return err },
			"GET", "/v1/keys", "app=web", "", "", false, `[]`},
		{"delete app", func(c *Client) error { _, err := c.DeleteApp(context.Background(), "web"); return err },
			"DELETE", "/v1/apps/web", "", "", "", true, ""},
		{"put doc", func(c *Client) error {
			_, err := c.PutDoc(context.Background(), "greet", "1.0", "getting started/2", []byte("# Hi\n"),
				"text/markdown")
			return err
		}, "PUT", "/v1/apis/greet/1.0/docs/getting%20started%2F2", "", "text/markdown", "# Hi\n", true, ""},
		{"credentials with only some settings", func(c *Client) error {
			ttl, public := int64(60), false
			_, err := c.SetCredentials(context.Background(), "my app", CredentialRequest{Env: "sandbox",
				AccessTokenTTL: &ttl, Public: &public})
			return err
		}, "POST", "/v1/apps/my%20app/credentials", "", "application/json",
			`{"env":"sandbox","accessTokenTtl":60,"public":false}`, true, ""},
		{"subscribe to major 0", func(c *Client) error {
			_, err := c.CreateSubscription(context.Background(), SubscriptionRequest{App: "a", API: "b", Plan: "Gold"})
			return err
		}, "POST", "/v1/subscriptions", "", "application/json", `{"app":"a","api":"b","major":0,"plan":"Gold"}`, true,
			""},
		{"whoami", func(c *Client) error { _, err := c.WhoAmI(context.Background()); return err },
			"GET", "/v1/whoami", "", "", "", false, ""},
		{"login", func(c *Client) error { _, err := c.Login(context.Background(), "alice", "pw"); return err },
			"POST", "/v1/login", "", "application/json", `{"password":"pw","username":"alice"}`, true, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			seen := make(chan *http.Request, 1)
			reply := tc.reply
			if reply == "" {
				reply = `{}`
			}
			if err := tc.call(server(t, 200, reply, seen)); err != nil {
				t.Fatalf("call: %v", err)
			}
			r := <-seen
			body, _ := io.ReadAll(r.Body)
			if r.Method != tc.method || r.URL.EscapedPath() != tc.path || r.URL.RawQuery != tc.query {
				t.Errorf("request: got %s %s?%s, want %s %s?%s", r.Method, r.URL.Path, r.URL.RawQuery, tc.method, tc.path,
					tc.query)
			}
			if r.Header.Get("Content-Type") != tc.ctype || string(body) != tc.body {
				t.Errorf("body: got %q (%s), want %q (%s)", body, r.Header.Get("Content-Type"), tc.body, tc.ctype)
			}
			if got := r.Header.Get("Idempotency-Key") != ""; got != tc.idempotent {
				t.Errorf("Idempotency-Key sent: got %v, want %v", got, tc.idempotent)
			}
			if r.Header.Get("Authorization") != "Bearer tok" {
				t.Errorf("Authorization: got %q, want Bearer tok", r.Header.Get("Authorization"))
			}
		})
	}
}

func TestErrors(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		want   string
		code   string
	}{
		{"wire error", 400, `{"error":"invalid_request","message":"operations[1].path: bad","requestId":"r1"}`,
			"operations[1].path: bad", "invalid_request"},
		{"not JSON", 502, `<html>bad gateway</html>`, "the server answered 502 Bad Gateway without an error message",
			"unknown"},
		{"JSON without message", 500, `{}`, "the server answered 500 Internal Server Error", "unknown"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := server(t, tc.status, tc.body, nil).ListApps(context.Background())
			var e *Error
			if !errors.As(err, &e) || e.Status != tc.status || e.Code != tc.code || !strings.Contains(e.Error(), tc.want) {
				t.Errorf("error: got %#v, want status %d code %s message containing %q", err, tc.status, tc.code, tc.want)
			}
		})
	}
}

func TestListNeverNil(t *testing.T) {
	apps, err := server(t, 200, `null`, nil).ListApps(context.Background())
	if err != nil || apps == nil {
		t.Errorf("ListApps on null: got %v, %v, want an empty list", apps, err)
	}
}

func TestTransportErrors(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)

	cases := []struct {
		name, server string
		write        bool
		want         string
	}{
		{"read timeout", srv.URL, false, "no answer from " + srv.URL + " within 50ms"},
		{"write timeout", srv.URL, true, "may or may not have been applied (gave up after 3 attempts)"},
		{"unreachable", "http://127.0.0.1:1", false, "cannot reach the admin API at http://127.0.0.1:1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(Config{Server: tc.server, Timeout: 50 * time.Millisecond, RetryDelay: time.Millisecond})
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if tc.write {
				_, err = c.CreateApp(context.Background(), "a", "")
			} else {
				_, err = c.ListApps(context.Background())
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error: got %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestNewRefusesBadServer(t *testing.T) {
	for _, s := range []string{"", "127.0.0.1:9080", "ftp://x", "http://"} {
		if _, err := New(Config{Server: s}); err == nil {
			t.Errorf("New(%q): got no error, want one", s)
		}
	}
}
