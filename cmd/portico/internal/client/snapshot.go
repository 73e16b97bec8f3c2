package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// IndexHeader carries the raft index a snapshot was taken at.
const IndexHeader = "X-Portico-Index"

// Restored answers a restore.
type Restored struct {
	Restored bool   `json:"restored"`
	Index    uint64 `json:"index"`
}

// SaveSnapshot streams a backup of the whole replicated state to w and returns how many bytes it wrote and the raft
// index the backup was taken at (0 when the server does not say). On error w may hold part of the backup.
func (c *Client) SaveSnapshot(ctx context.Context, w io.Writer) (int64, uint64, error) {
	var (
		n     int64
		index uint64
	)
	err := c.exchange(ctx, call{method: http.MethodGet, path: "/v1/snapshot",
		accept: "application/octet-stream, application/json", slow: true}, func(resp *http.Response) error {
		var err error
		if index, err = snapshotIndex(resp.Header); err != nil {
			return err
		}
		n, err = copyBody(w, resp.Body)
		return err
	})
	if err != nil {
		return 0, 0, err
	}
	return n, index, nil
}

// snapshotIndex reads the index header; a missing header is 0.
func snapshotIndex(h http.Header) (uint64, error) {
	v := h.Get(IndexHeader)
	if v == "" {
		return 0, nil
	}
	i, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("reading the snapshot: %s %q is not an index", IndexHeader, v)
	}
	return i, nil
}

// copyBody copies the snapshot, telling a failed write to w from a broken answer.
func copyBody(w io.Writer, body io.Reader) (int64, error) {
	fw := &failWriter{w: w}
	n, err := io.Copy(fw, body)
	switch {
	case err == nil:
		return n, nil
	case fw.err != nil:
		return n, fmt.Errorf("writing the snapshot: %w", err)
	}
	return n, noAnswer{fmt.Errorf("reading the snapshot: the answer broke off after %d bytes: %w", n, err)}
}

// failWriter remembers the error of its writer.
type failWriter struct {
	w   io.Writer
	err error
}

func (f *failWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if err != nil {
		f.err = err
	}
	return n, err
}

// RestoreSnapshot replaces the whole replicated state with the backup read from r. When r is an io.Seeker (a file) a
// restore whose outcome is unknown is sent again from the same position, like any write; otherwise it is sent once.
func (c *Client) RestoreSnapshot(ctx context.Context, r io.Reader) (*Restored, error) {
	return one[Restored](ctx, c, call{method: http.MethodPost, path: "/v1/snapshot",
		ctype: "application/octet-stream", stream: r, slow: true})
}
