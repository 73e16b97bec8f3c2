package e2e

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"portico/node/certs"
	"portico/node/peer"
)

// TestInterNodeLinkNeedsClusterCertificate: the raft port carries raft and forwarded admin calls only for clients
// with a certificate of the cluster's CA; plain TCP, TLS without a client certificate and a certificate of another
// CA are all refused, while a member's certificate gets through.
func TestInterNodeLinkNeedsClusterCertificate(t *testing.T) {
	c := startCluster(t)
	target := c.Nodes[1].RaftAddr

	foreign := filepath.Join(t.TempDir(), "foreign")
	if err := certs.Init(foreign, []string{"n1"}, nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	load := func(dir string) *peer.TLS {
		ca, cert, key := certs.Files(dir, "n1")
		tl, err := peer.LoadTLS(peer.TLSFiles{CA: ca, Cert: cert, Key: key})
		if err != nil {
			t.Fatal(err)
		}
		return tl
	}
	statusVia := func(tl *peer.TLS) (int, error) {
		client := peer.NewClient(tl, nil)
		client.Timeout = 5 * time.Second
		resp, err := client.Get("http://" + target + "/internal/v1/status")
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		return resp.StatusCode, nil
	}
	if code, err := statusVia(load(c.TLSDir)); err != nil || code != http.StatusOK {
		t.Fatalf("member certificate: got %d %v, want 200", code, err)
	}
	if code, err := statusVia(load(foreign)); err == nil {
		t.Fatalf("certificate of another CA: got %d, want the connection refused", code)
	}
	if code, err := statusVia(nil); err == nil {
		t.Fatalf("plain text to the TLS port: got %d, want the connection refused", code)
	}

	for _, tag := range []byte{'R', 'H'} {
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", target,
			&tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13})
		if err != nil {
			continue // refused during the handshake: what we want
		}
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		_, _ = conn.Write([]byte{tag})
		_, _ = conn.Write([]byte("GET /internal/v1/status HTTP/1.1\r\nHost: x\r\n\r\n"))
		b, _ := io.ReadAll(conn)
		conn.Close()
		if len(b) > 0 {
			t.Fatalf("TLS without a client certificate, tag %q: got %q, want nothing", tag, b)
		}
	}
	// The cluster is unharmed.
	c.WaitConverged(10 * time.Second)
}
