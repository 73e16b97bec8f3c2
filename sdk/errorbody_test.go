package sdk

import (
	"encoding/json"
	"testing"
)

func TestAppendErrorBody(t *testing.T) {
	tests := []struct {
		name                 string
		code, message, reqID string
		want                 string
	}{
		{
			name: "plain", code: "unauthorized", message: "missing API key", reqID: "r-1",
			want: `{"error":"unauthorized","message":"missing API key","requestId":"r-1"}`,
		},
		{
			name: "empty request id", code: "forbidden", message: "no", reqID: "",
			want: `{"error":"forbidden","message":"no","requestId":""}`,
		},
		{
			name: "escapes", code: "x", message: "a \"b\" \\ c\n\t\x01\x7f é <&>", reqID: "r",
			want: `{"error":"x","message":"a \"b\" \\ c\n\t\u0001\u007f é <&>","requestId":"r"}`,
		},
		{
			name: "invalid utf-8", code: "x", message: "a\xffb", reqID: "r",
			want: `{"error":"x","message":"a\ufffdb","requestId":"r"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(appendErrorBody(nil, tt.code, tt.message, tt.reqID))
			if got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// FuzzAppendErrorBody checks that any strings give valid JSON that decodes back to them (invalid UTF-8 aside).
func FuzzAppendErrorBody(f *testing.F) {
	f.Add("unauthorized", "missing API key", "id")
	f.Add("\"", "\x00\n\u2028", "\\")
	f.Fuzz(func(t *testing.T, code, message, reqID string) {
		b := appendErrorBody(nil, code, message, reqID)
		var got struct{ Error, Message, RequestID string }
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("body %q: %v", b, err)
		}
		want, _ := json.Marshal(struct{ Error, Message, RequestID string }{code, message, reqID})
		var ref struct{ Error, Message, RequestID string }
		if err := json.Unmarshal(want, &ref); err != nil {
			t.Fatal(err)
		}
		if got != ref {
			t.Errorf("got %+v, want %+v", got, ref)
		}
	})
}
