package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"portico/node/nodetest"
)

// rawStatus sends raw bytes to addr and returns the status code of the first response (0 if the connection closed
// without one).
func rawStatus(t *testing.T, addr, raw string) int {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte(raw)); err != nil {
		return 0
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return 0
	}
	var proto string
	var code int
	if _, err := fmt.Sscanf(line, "%s %d", &proto, &code); err != nil {
		t.Fatalf("status line %q: %v", line, err)
	}
	return code
}

// rawStatuses sends raw bytes and returns the status codes of every response read until the server closes.
func rawStatuses(t *testing.T, addr, raw string) []int {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	var codes []int
	for i := 0; i < 10; i++ {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			break
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		codes = append(codes, resp.StatusCode)
	}
	return codes
}

// headerRecorder is a backend that keeps the headers of the last request.
type headerRecorder struct {
	*httptest.Server
	mu   sync.Mutex
	last http.Header
}

func newHeaderRecorder(t *testing.T) *headerRecorder {
	h := &headerRecorder{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.last = r.Header.Clone()
		h.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *headerRecorder) header() http.Header {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.last
}

// TestHostileInputs sends malformed and hostile requests to a real node and checks that each is refused (or
// neutralised) the way RELIABILITY.md expects.
func TestHostileInputs(t *testing.T) {
	be := newHeaderRecorder(t)
	n := nodetest.NewNode(t, "h1")
	n.Start("--bootstrap")
	n.MustCLI("deploy", "-f", apiFile(t, "greet.yaml", be.URL, nil))
	gw := n.GatewayAddr
	req := func(target string, headers ...string) string {
		return "GET " + target + " HTTP/1.1\r\nHost: x\r\n" + strings.Join(headers, "") + "Connection: close\r\n\r\n"
	}
	cases := []struct {
		name string
		raw  string
		want int
	}{
		{"baseline", req("/greet/v1/open"), 200},
		{"dot segments resolved before matching", req("/greet/v1/x/../open"), 200},
		{"dot segments above the API", req("/greet/v1/../../admin"), 404},
		{"encoded slash", req("/greet/v1/items/a%2Fb"), 400},
		{"encoded backslash", req("/greet/v1/items/a%5Cb"), 400},
		{"encoded NUL", req("/greet/v1/items/a%00"), 400},
		{"overlong UTF-8 dot", req("/greet/v1/%c0%ae%c0%ae/open"), 400},
		{"fragment in the target", req("/greet/v1/open#x"), 400},
		{"absolute-form target", req("http://127.0.0.1:1/greet/v1/open"), 400},
		{"CONNECT", "CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n", 400},
		{"two Content-Length values", "POST /greet/v1/open HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n" +
			"Content-Length: 2\r\n\r\nab", 400},
		{"unknown Transfer-Encoding", "POST /greet/v1/open HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n", 501},
		{"space before colon", req("/greet/v1/open", "X-A : a\r\n"), 400},
		{"oversized headers", req("/greet/v1/open", "X-Big: "+strings.Repeat("a", 100<<10)+"\r\n"), 431},
		{"debug endpoint on the gateway", req("/debug/pprof/"), 404},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := rawStatus(t, gw, c.raw); got != c.want {
				t.Fatalf("got %d, want %d", got, c.want)
			}
		})
	}
	t.Run("Content-Length with Transfer-Encoding is framed by Transfer-Encoding alone", func(t *testing.T) {
		// Go's server follows RFC 9112 §6.3 for intermediaries: Content-Length is removed and the chunked framing
		// wins, so a request that tries to hide a second one in its body gets exactly two well-framed answers.
		raw := "GET /greet/v1/open HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n" +
			"0\r\n\r\nGET /greet/v1/nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
		if got := rawStatuses(t, gw, raw); fmt.Sprint(got) != "[200 404]" {
			t.Fatalf("got statuses %v, want [200 404]", got)
		}
		if cl := be.header().Get("Content-Length"); cl == "4" {
			t.Fatal("the client's Content-Length reached the backend")
		}
	})
	t.Run("obs-fold header is unfolded into one value", func(t *testing.T) {
		if got := rawStatus(t, gw, req("/greet/v1/open", "X-A: a\r\n b\r\n")); got != 200 {
			t.Fatalf("got %d, want 200", got)
		}
		if v := be.header().Get("X-A"); strings.ContainsAny(v, "\r\n") || !strings.HasPrefix(v, "a") {
			t.Fatalf("X-A at the backend: got %q, want one line starting with a", v)
		}
	})
	t.Run("client-sent forwarding and internal headers do not reach the backend", func(t *testing.T) {
		raw := req("/greet/v1/open", "X-Forwarded-For: 10.9.9.9\r\n", "X-Real-Ip: 10.9.9.9\r\n",
			"X-Portico-App: admin\r\n", "Forwarded: for=10.9.9.9\r\n")
		if got := rawStatus(t, gw, raw); got != 200 {
			t.Fatalf("got %d, want 200", got)
		}
		h := be.header()
		if got := h.Values("X-Forwarded-For"); len(got) != 1 || got[0] != "127.0.0.1" {
			t.Errorf("X-Forwarded-For: got %q, want only the socket peer 127.0.0.1", got)
		}
		for _, name := range []string{"X-Real-Ip", "X-Portico-App", "Forwarded"} {
			if v := h.Get(name); v != "" {
				t.Errorf("%s reached the backend: %q", name, v)
			}
		}
	})
}
