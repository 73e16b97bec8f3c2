package plugins

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Bounds of a policy's guest output in the log.
const (
	maxLineLen   = 1 << 10  // longer lines are cut
	sinkBudget   = 64 << 10 // bytes logged per window and policy
	sinkInterval = time.Minute
)

// logSink turns the stdout and stderr of a policy's instances into log lines, within a byte budget per interval;
// lines past the budget are counted and reported as dropped when the next interval starts.
type logSink struct {
	log     *slog.Logger
	mu      sync.Mutex
	start   time.Time
	used    int
	dropped int
}

func newLogSink(log *slog.Logger) *logSink {
	return &logSink{log: log, start: time.Now()}
}

// stream returns the writer of one guest stream, logged at level.
func (s *logSink) stream(name string, level slog.Level) io.Writer {
	return &sinkStream{sink: s, name: name, level: level}
}

// sinkStream is one stream; all instances of a pool share it.
type sinkStream struct {
	sink  *logSink
	name  string
	level slog.Level
	line  []byte // guarded by sink.mu
}

// Write implements io.Writer; it never fails so that a guest's writes always succeed.
func (w *sinkStream) Write(p []byte) (int, error) {
	w.sink.mu.Lock()
	defer w.sink.mu.Unlock()
	for _, c := range p {
		if c == '\n' {
			w.flush()
			continue
		}
		if len(w.line) < maxLineLen {
			w.line = append(w.line, c)
		}
	}
	return len(p), nil
}

func (w *sinkStream) flush() {
	if len(w.line) == 0 {
		return
	}
	if w.sink.allow(len(w.line)) {
		w.sink.log.Log(context.Background(), w.level, "guest output", "stream", w.name, "line", string(w.line))
	}
	w.line = w.line[:0]
}

// allow charges n bytes to the current interval's budget.
func (s *logSink) allow(n int) bool {
	if now := time.Now(); now.Sub(s.start) >= sinkInterval {
		if s.dropped > 0 {
			s.log.Warn("guest output dropped", "lines", s.dropped)
		}
		s.start, s.used, s.dropped = now, 0, 0
	}
	if s.used+n > sinkBudget {
		s.dropped++
		return false
	}
	s.used += n
	return true
}

var _ io.Writer = (*sinkStream)(nil)
