package client

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestSaveSnapshot(t *testing.T) {
	backup := strings.Repeat("raft snapshot bytes ", 5000)
	cases := []struct {
		name      string
		handler   http.HandlerFunc
		wantBytes string
		wantIndex uint64
		wantErr   string
	}{
		{"streamed with its index", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set(IndexHeader, "123")
			_, _ = io.WriteString(w, backup)
		}, backup, 123, ""},
		{"without an index", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "x")
		}, "x", 0, ""},
		{"bad index", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set(IndexHeader, "twelve")
			_, _ = io.WriteString(w, "x")
		}, "", 0, `"twelve" is not an index`},
		{"refused", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `{"error":"unavailable","message":"no leader: election"}`)
		}, "", 0, "no leader: election"},
		{"broken off", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "1000")
			_, _ = io.WriteString(w, "only part")
		}, "only part", 0, "broke off after 9 bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var seen *http.Request
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen = r
				tc.handler(w, r)
			}))
			defer srv.Close()
			c, err := New(Config{Server: srv.URL, Token: "tok", Stale: true})
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			n, index, err := c.SaveSnapshot(context.Background(), &buf)
			if seen.Method != "GET" || seen.URL.Path != "/v1/snapshot" || seen.URL.RawQuery != "stale=true" ||
				seen.Header.Get("Authorization") != "Bearer tok" {
				t.Errorf("request: got %s %s?%s, want an authorised GET /v1/snapshot?stale=true", seen.Method,
					seen.URL.Path, seen.URL.RawQuery)
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("error: got %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || n != int64(len(tc.wantBytes)) || index != tc.wantIndex || buf.String() != tc.wantBytes {
				t.Errorf("got %d bytes at index %d (%v), want %d at %d", n, index, err, len(tc.wantBytes), tc.wantIndex)
			}
		})
	}
}

func TestSaveSnapshotWriteError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "backup")
	}))
	defer srv.Close()
	c, err := New(Config{Server: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	full := errors.New("disk full")
	_, _, err = c.SaveSnapshot(context.Background(), failingWriter{full})
	if !errors.Is(err, full) || !strings.Contains(err.Error(), "writing the snapshot") {
		t.Errorf("error: got %v, want writing the snapshot: disk full", err)
	}
}

type failingWriter struct{ err error }

func (f failingWriter) Write([]byte) (int, error) { return 0, f.err }

func TestDecodesAnswers(t *testing.T) {
	t.Run("cluster status", func(t *testing.T) {
		c := server(t, 200, `{"leader":"n1","term":3,"index":123,"nodes":[{"id":"n1","state":"leader","voter":true,`+
			`"appliedIndex":123,"servedIndex":122,"adminAddr":"127.0.0.1:9080","raftAddr":"127.0.0.1:9090",`+
			`"gatewayAddr":"127.0.0.1:8080","healthy":false,"error":"probe failed"}]}`, nil)
		s, err := c.ClusterStatus(context.Background())
		want := ClusterNode{ID: "n1", State: "leader", Voter: true, AppliedIndex: 123, ServedIndex: 122,
			AdminAddr: "127.0.0.1:9080", RaftAddr: "127.0.0.1:9090", GatewayAddr: "127.0.0.1:8080", Error: "probe failed"}
		if err != nil || s.Leader != "n1" || s.Term != 3 || s.Index != 123 || len(s.Nodes) != 1 || s.Nodes[0] != want {
			t.Errorf("got %+v, %v, want leader n1 term 3 index 123 and %+v", s, err, want)
		}
	})
	t.Run("deploy propagation", func(t *testing.T) {
		c := server(t, 200, `{"name":"greet","version":"1.0","revision":3,"index":123,"propagation":{"wait":"all",`+
			`"complete":false,"nodes":[{"id":"n1","servedIndex":123,"lagMs":2.1,"ok":true},`+
			`{"id":"n3","ok":false,"error":"timeout after 10s"}]}}`, nil)
		d, err := c.Deploy(context.Background(), []byte("x"), "application/yaml", WaitAll)
		if err != nil || d.Index != 123 || d.Propagation == nil || d.Propagation.Complete ||
			len(d.Propagation.Nodes) != 2 {
			t.Fatalf("got %+v, %v, want index 123 and an incomplete propagation over 2 nodes", d, err)
		}
		want := []NodeLag{{ID: "n1", ServedIndex: 123, LagMs: 2.1, OK: true}, {ID: "n3", Error: "timeout after 10s"}}
		for i, n := range d.Propagation.Nodes {
			if n != want[i] {
				t.Errorf("node %d: got %+v, want %+v", i, n, want[i])
			}
		}
	})
	t.Run("plugins", func(t *testing.T) {
		c := server(t, 200, `[{"name":"hdr","version":"1.0.0","sha256":"ab","size":42,"createdAt":7}]`, nil)
		p, err := c.ListPlugins(context.Background())
		want := Plugin{Name: "hdr", Version: "1.0.0", SHA256: "ab", Size: 42, CreatedAt: 7}
		if err != nil || len(p) != 1 || p[0] != want {
			t.Errorf("got %+v, %v, want [%+v]", p, err, want)
		}
	})
}

func TestSnapshotsOutlastTheCallTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		<-time.After(200 * time.Millisecond) // a restore the cluster takes a while to install
		if r.Method == http.MethodPost {
			_, _ = io.WriteString(w, `{"restored":true,"index":5}`)
			return
		}
		_, _ = io.WriteString(w, "backup")
	}))
	defer srv.Close()
	c, err := New(Config{Server: srv.URL, Timeout: 50 * time.Millisecond, RetryDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := c.RestoreSnapshot(context.Background(), strings.NewReader("backup")); err != nil || res.Index != 5 {
		t.Errorf("RestoreSnapshot: got %+v, %v, want restored at 5", res, err)
	}
	var buf bytes.Buffer
	if n, _, err := c.SaveSnapshot(context.Background(), &buf); err != nil || n != 6 {
		t.Errorf("SaveSnapshot: got %d bytes, %v, want 6", n, err)
	}
	if _, err := c.ListApps(context.Background()); err == nil || !strings.Contains(err.Error(), "within 50ms") {
		t.Errorf("ListApps: got %v, want no answer within 50ms", err)
	}
}
