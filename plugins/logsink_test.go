package plugins

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestLogSink(t *testing.T) {
	long := strings.Repeat("x", 3*maxLineLen)
	tests := []struct {
		name      string
		writes    []string
		wantLines int
		wantLen   int // length of the logged line text, when one line is expected
	}{
		{"split writes make one line", []string{"hel", "lo\n"}, 1, 5},
		{"no newline logs nothing yet", []string{"partial"}, 0, 0},
		{"empty lines are skipped", []string{"\n\n\n"}, 0, 0},
		{"long line is cut", []string{long + "\n"}, 1, maxLineLen},
		{"budget drops the excess", []string{strings.Repeat(long[:maxLineLen]+"\n", 2*sinkBudget/maxLineLen)},
			sinkBudget / maxLineLen, maxLineLen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			log := slog.New(slog.NewJSONHandler(&out, nil))
			w := newLogSink(log).stream("stderr", slog.LevelWarn)
			for _, s := range tt.writes {
				if n, err := w.Write([]byte(s)); n != len(s) || err != nil {
					t.Fatalf("Write: got %d, %v, want %d, nil", n, err, len(s))
				}
			}
			lines := strings.Count(out.String(), `"msg":"guest output"`)
			if lines != tt.wantLines {
				t.Fatalf("logged lines: got %d, want %d", lines, tt.wantLines)
			}
			if tt.wantLines > 0 {
				first, _, _ := strings.Cut(out.String(), "\n")
				_, line, _ := strings.Cut(first, `"line":"`)
				line, _, _ = strings.Cut(line, `"`)
				if len(line) != tt.wantLen {
					t.Errorf("line length: got %d, want %d", len(line), tt.wantLen)
				}
			}
		})
	}
}
