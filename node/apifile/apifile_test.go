package apifile

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"portico/raftstore/state"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/valid")

// validInputs lists the valid fixtures: every file in testdata/valid except the golden outputs.
func validInputs(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("testdata/valid/*")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if !strings.HasSuffix(f, ".golden.json") {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		t.Fatal("no fixtures in testdata/valid")
	}
	return out
}

func TestDecodeValid(t *testing.T) {
	for _, in := range validInputs(t) {
		t.Run(filepath.Base(in), func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			api, err := Decode(data)
			if err != nil {
				t.Fatalf("Decode: got error %v, want nil", err)
			}
			got, err := json.MarshalIndent(api, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := strings.TrimSuffix(in, filepath.Ext(in)) + ".golden.json"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("reading golden file (run with -update to create it): %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("decoded API differs from %s:\ngot  %s\nwant %s", golden, got, want)
			}
			checkRoundTrip(t, api)
		})
	}
}

// checkRoundTrip asserts that encoding api and decoding the result gives api again.
func checkRoundTrip(t *testing.T, api state.API) {
	t.Helper()
	out, err := Encode(api)
	if err != nil {
		t.Fatalf("Encode: got error %v, want nil", err)
	}
	again, err := Decode(out)
	if err != nil {
		t.Fatalf("Decode(Encode(api)): got error %v, want nil; encoded:\n%s", err, out)
	}
	if !reflect.DeepEqual(again, api) {
		t.Fatalf("Decode(Encode(api)):\ngot  %+v\nwant %+v\nencoded:\n%s", again, api, out)
	}
}

func TestDecodeInvalid(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures in testdata/invalid (%v)", err)
	}
	for _, in := range files {
		t.Run(strings.TrimSuffix(filepath.Base(in), ".yaml"), func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			want := wantComment(t, data)
			api, err := Decode(data)
			if err == nil {
				t.Fatalf("Decode: got %+v, want an error containing %q", api, want)
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Errorf("got error of type %T, want *FieldError", err)
			}
			if !strings.Contains(err.Error(), want) {
				t.Errorf("got error %q, want it to contain %q", err, want)
			}
		})
	}
}

// wantComment reads the "# want: ..." line of a fixture.
func wantComment(t *testing.T, data []byte) string {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if w, ok := strings.CutPrefix(sc.Text(), "# want: "); ok {
			return w
		}
	}
	t.Fatal("fixture has no \"# want: \" line")
	return ""
}

func TestDecodeDefaults(t *testing.T) {
	api, err := Decode([]byte("name: d\nversion: '1.2'\ncontext: /d\nendpoints: {production: ['http://x']}\n" +
		"operations: [{method: GET, path: /a, security: [none]}, {method: GET, path: /b}]\n"))
	if err != nil {
		t.Fatalf("Decode: got error %v, want nil", err)
	}
	cases := []struct {
		name      string
		got, want any
	}{
		{"lifecycle", api.Lifecycle, state.Published},
		{"security", api.Security, []string{state.SecurityAPIKey}},
		{"major", api.Major, 1},
		{"minor", api.Minor, 2},
		{"operation override", api.EffectiveSecurity(0), []string{state.SecurityNone}},
		{"operation inherits", api.EffectiveSecurity(1), []string{state.SecurityAPIKey}},
		{"timeout", api.TimeoutMS, int64(0)},
		{"cors", api.CORS, (*state.CORS)(nil)},
		{"visibility", api.Visibility, state.VisibilityPublic},
		{"visible roles", api.VisibleRoles, []string(nil)},
		{"access mode", api.AccessMode, state.AccessExternal},
		{"business owner", api.Business, state.Contact{}},
		{"technical owner", api.Technical, state.Contact{}},
		{"scope roles", api.ScopeRoles, map[string][]string(nil)},
		{"oauth2", api.OAuth2, (*state.OAuth2Settings)(nil)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !reflect.DeepEqual(c.got, c.want) {
				t.Errorf("got %#v, want %#v", c.got, c.want)
			}
		})
	}
}

func TestEncodeRefusesBadConfig(t *testing.T) {
	api := state.API{Name: "x", Version: "1.0", Operations: []state.Operation{{Method: "GET", Path: "/",
		Policies: state.Policies{Request: []state.PolicyRef{{Name: "p", Config: json.RawMessage(`[1]`)}}}}}}
	_, err := Encode(api)
	if err == nil || !strings.Contains(err.Error(), "operations[0].policies.request[0].config") {
		t.Errorf("got error %v, want one naming operations[0].policies.request[0].config", err)
	}
}

func FuzzDecode(f *testing.F) {
	for _, dir := range []string{"testdata/valid/*", "testdata/invalid/*"} {
		files, _ := filepath.Glob(dir)
		for _, in := range files {
			if data, err := os.ReadFile(in); err == nil && !strings.HasSuffix(in, ".golden.json") {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		api, err := Decode(data)
		if err != nil {
			return
		}
		checkRoundTrip(t, api)
	})
}
