package oauth

import (
	"bytes"
	_ "embed"
	"html/template"
	"net/http"
	"net/url"
	"strings"
)

//go:embed login.html
var loginHTML string

// loginPage renders the sign-in form of the authorization endpoint, or an error page when Form is false.
var loginPage = template.Must(template.New("login").Parse(loginHTML))

// hiddenField is a request parameter carried from the form's GET to its POST.
type hiddenField struct{ Name, Value string }

// pageData fills loginPage.
type pageData struct {
	Form     bool
	Error    string
	App      string
	Scope    string
	Username string
	Hidden   []hiddenField
}

// authorizeParams are the parameters of an authorization request the form carries along.
var authorizeParams = []string{"response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge",
	"code_challenge_method"}

// hiddenFields returns the authorization request parameters present in form.
func hiddenFields(form url.Values) []hiddenField {
	var out []hiddenField
	for _, name := range authorizeParams {
		if form.Has(name) {
			out = append(out, hiddenField{name, form.Get(name)})
		}
	}
	return out
}

// writePage renders the page with status and the headers of an HTML page of this server: no caching, no framing,
// no external resources, and forms posting only to this server or to formTarget (the client's redirect origin, which
// a browser checks for the redirect after the form is sent).
func writePage(w http.ResponseWriter, status int, data pageData, formTarget string) {
	var buf bytes.Buffer
	if err := loginPage.Execute(&buf, data); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString("internal error\n")
	}
	h := w.Header()
	noStore(h)
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; form-action 'self'"+formTarget+"; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// cspSource returns " origin" for a redirect URI, the CSP source expression of its origin, or "" when it cannot be
// written safely (the page then allows 'self' only).
func cspSource(redirectURI string) string {
	u, err := url.Parse(redirectURI)
	if err != nil || u.Scheme == "" {
		return ""
	}
	src := u.Scheme + ":"
	if u.Host != "" {
		src = u.Scheme + "://" + u.Host
	}
	if strings.ContainsFunc(src, func(r rune) bool {
		return r <= ' ' || r > '~' || strings.ContainsRune(`;,'"\`, r)
	}) {
		return ""
	}
	return " " + src
}
