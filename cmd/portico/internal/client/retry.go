package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// MaxAttempts bounds how many times one write is sent.
const MaxAttempts = 3

// DefaultRetryDelay is the pause before the second attempt of a write; it doubles before each later one.
const DefaultRetryDelay = 500 * time.Millisecond

// retry runs send, the attempt of a write, until it succeeds, fails for good or MaxAttempts are spent. A request
// stream is rewound before each new attempt; a stream that cannot be rewound is sent once.
func (c *Client) retry(ctx context.Context, stream io.Reader, send func() error) error {
	rewind, ok := rewinder(stream)
	delay := c.retryDelay
	for attempt := 1; ; attempt++ {
		err := send()
		if err == nil || !ok || !retryable(err) || ctx.Err() != nil {
			return err
		}
		if attempt == MaxAttempts {
			return fmt.Errorf("%w (gave up after %d attempts)", err, attempt)
		}
		if !sleep(ctx, delay) {
			return err
		}
		if rerr := rewind(); rerr != nil {
			return fmt.Errorf("%w (cannot send it again: %v)", err, rerr)
		}
		delay *= 2
	}
}

// retryable says whether a write may be sent again with the same Idempotency-Key: it got no complete answer, or the
// cluster answered that its outcome is unknown or that it has no leader or quorum to apply it.
func retryable(err error) bool {
	if errors.As(err, new(noAnswer)) {
		return true
	}
	var e *Error
	if !errors.As(err, &e) || e.Status != http.StatusServiceUnavailable {
		return false
	}
	msg := strings.ToLower(e.Message)
	for _, s := range []string{"unknown", "no leader", "no quorum", "not the leader"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// rewinder returns how to bring a request stream back to where it starts, and whether that is possible. A call
// without a stream needs nothing.
func rewinder(r io.Reader) (func() error, bool) {
	if r == nil {
		return func() error { return nil }, true
	}
	s, ok := r.(io.Seeker)
	if !ok {
		return nil, false
	}
	start, err := s.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, false
	}
	return func() error {
		_, err := s.Seek(start, io.SeekStart)
		return err
	}, true
}

// sleep waits for d or until ctx is done, and says whether it waited the whole time.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
