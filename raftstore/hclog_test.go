package raftstore

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
)

func TestHclogAdapter(t *testing.T) {
	tests := []struct {
		name  string
		floor hclog.Level
		log   func(hclog.Logger)
		want  []string // substrings of the output; nil = nothing logged
	}{
		{"warn passes at warn", hclog.Warn, func(l hclog.Logger) { l.Warn("slow", "peer", "n2") },
			[]string{"level=WARN", "msg=slow", "component=raft", "peer=n2"}},
		{"info dropped at warn", hclog.Warn, func(l hclog.Logger) { l.Info("entering follower state") }, nil},
		{"error passes at warn", hclog.Warn, func(l hclog.Logger) { l.Error("failed", "error", "boom") },
			[]string{"level=ERROR", "error=boom"}},
		{"named and with", hclog.Warn, func(l hclog.Logger) { l.Named("snapshot").Named("file").With("id", 7).Warn("x") },
			[]string{"logger=snapshot.file", "id=7"}},
		{"debug passes at debug", hclog.Debug, func(l hclog.Logger) { l.Debug("d") }, []string{"level=DEBUG"}},
		{"trace dropped by the handler", hclog.Trace, func(l hclog.Logger) { l.Trace("t") }, nil},
		{"off", hclog.Off, func(l hclog.Logger) { l.Error("e") }, nil},
		{"standard logger", hclog.Info, func(l hclog.Logger) { l.StandardLogger(nil).Print("[WARN] raw line") },
			[]string{"level=INFO", `msg="[WARN] raw line"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			h := slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})
			tt.log(newHclog(slog.New(h).With("component", "raft"), tt.floor))
			got := buf.String()
			if tt.want == nil && got != "" {
				t.Errorf("got %q, want nothing logged", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("got %q, want it to contain %q", got, w)
				}
			}
		})
	}
}
