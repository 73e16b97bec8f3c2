package admin

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"portico/node/httperr"
	"portico/raftstore"
	"portico/raftstore/state"
)

// Client secrets: "cs_" and 32 random bytes in unpadded base64url, stored as their SHA-256 only.
const (
	clientSecretPrefix = "cs_"
	clientSecretBytes  = 32
)

// Bounds of a credential's redirect URIs.
const (
	maxRedirectURIs = 10
	maxRedirectURI  = 2048
)

// maxTokenTTL is the longest token lifetime a credential may ask for, in seconds.
const maxTokenTTL = raftstore.MaxTokenLifetime / 1000

// credRequest sets an application's client credential for one environment. Absent fields take their defaults.
type credRequest struct {
	Env             string   `json:"env"`
	GrantTypes      []string `json:"grantTypes"`
	AccessTokenTTL  *int64   `json:"accessTokenTtl"`
	RefreshTokenTTL *int64   `json:"refreshTokenTtl"`
	Public          bool     `json:"public"`
	PKCERequired    bool     `json:"pkceRequired"`
	RedirectURIs    []string `json:"redirectUris"`
}

// credView is a client credential on the wire: never its secret or the secret's hash.
type credView struct {
	ClientID        string   `json:"clientId"`
	Env             string   `json:"env"`
	GrantTypes      []string `json:"grantTypes"`
	AccessTokenTTL  int64    `json:"accessTokenTtl"`
	RefreshTokenTTL int64    `json:"refreshTokenTtl"`
	Public          bool     `json:"public"`
	PKCERequired    bool     `json:"pkceRequired"`
	RedirectURIs    []string `json:"redirectUris"`
	CreatedAt       int64    `json:"createdAt"`
}

// createdCred answers a credential creation: the only response that ever holds the secret (absent for a public
// client).
type createdCred struct {
	credView
	ClientSecret string `json:"clientSecret,omitempty"`
}

func viewCred(c *state.ClientCredential) credView {
	return credView{
		ClientID: c.ClientID, Env: c.Env, GrantTypes: nonNil(c.GrantTypes), AccessTokenTTL: c.AccessTTL,
		RefreshTokenTTL: c.RefreshTTL, Public: c.Public, PKCERequired: c.PKCERequired,
		RedirectURIs: nonNil(c.RedirectURIs), CreatedAt: c.CreatedAt,
	}
}

// setCredentials creates the application's client credential for an environment, or replaces it with a new secret
// and the requested settings; the client ID of an environment never changes.
func (a *Admin) setCredentials(w http.ResponseWriter, r *http.Request) error {
	var req credRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	app, err := appFor(r, a.store.State(), r.PathValue("app"), writeApp)
	if err != nil {
		return err
	}
	secret, cred := a.newCred(app, req)
	res, err := a.apply(r, raftstore.SetCredentials{AppID: app.ID, Cred: cred})
	if err != nil {
		return err
	}
	set, err := result[raftstore.SetCredentialsResult](res)
	if err != nil {
		return err
	}
	if set.Cred.ClientID != cred.ClientID || !slices.Equal(set.Cred.SecretHash, cred.SecretHash) {
		return httperr.New(http.StatusConflict, "this Idempotency-Key already set credentials, whose secret "+
			"cannot be shown again: send the request again with a new Idempotency-Key to get a new secret")
	}
	return writeJSON(w, http.StatusCreated, createdCred{credView: viewCred(&set.Cred), ClientSecret: secret})
}

// newCred builds the credential: the environment's client ID if the application has one, otherwise a new one, and
// a new secret unless the client is public.
func (a *Admin) newCred(app *state.Application, req credRequest) (string, state.ClientCredential) {
	cred := state.ClientCredential{
		ClientID: state.ClientIDPrefix + randomHex(12), Env: req.Env, GrantTypes: req.GrantTypes,
		RedirectURIs: req.RedirectURIs, AccessTTL: *req.AccessTokenTTL, RefreshTTL: *req.RefreshTokenTTL,
		Public: req.Public, PKCERequired: req.PKCERequired, CreatedAt: a.now().UnixMilli(),
	}
	if old, ok := app.Credentials[req.Env]; ok {
		cred.ClientID = old.ClientID
	}
	if req.Public {
		return "", cred
	}
	raw := make([]byte, clientSecretBytes)
	_, _ = rand.Read(raw)
	secret := clientSecretPrefix + base64.RawURLEncoding.EncodeToString(raw)
	sum := sha256.Sum256([]byte(secret))
	cred.SecretHash = sum[:]
	return secret, cred
}

// validate checks the request, naming the field at fault, and fills the defaults.
func (req *credRequest) validate() error {
	if err := checkEnv(&req.Env); err != nil {
		return err
	}
	if len(req.GrantTypes) == 0 {
		req.GrantTypes = []string{state.GrantClientCredentials}
	}
	if err := req.checkGrants(); err != nil {
		return err
	}
	if err := checkRedirectURIs(req.RedirectURIs); err != nil {
		return err
	}
	var err error
	if req.AccessTokenTTL, err = ttl("accessTokenTtl", req.AccessTokenTTL, state.DefaultAccessTTL); err != nil {
		return err
	}
	req.RefreshTokenTTL, err = ttl("refreshTokenTtl", req.RefreshTokenTTL, state.DefaultRefreshTTL)
	return err
}

// checkEnv defaults an empty environment to production and refuses an unknown one.
func checkEnv(env *string) error {
	switch *env {
	case "":
		*env = state.Production
	case state.Production, state.Sandbox:
	default:
		return httperr.New(http.StatusBadRequest, fmt.Sprintf("env: %q is not production or sandbox", *env))
	}
	return nil
}

func (req *credRequest) checkGrants() error {
	for i, g := range req.GrantTypes {
		switch {
		case !slices.Contains(state.GrantTypes, g):
			return badField(fmt.Sprintf("grantTypes[%d]", i), "%q is not one of %s", g, strings.Join(state.GrantTypes, ", "))
		case slices.Index(req.GrantTypes, g) != i:
			return badField(fmt.Sprintf("grantTypes[%d]", i), "%q listed twice", g)
		case g == state.GrantClientCredentials && req.Public:
			return badField(fmt.Sprintf("grantTypes[%d]", i),
				"%s needs a client secret: a public client cannot use it", g)
		}
	}
	code := slices.Contains(req.GrantTypes, state.GrantAuthorizationCode)
	switch {
	case code && len(req.RedirectURIs) == 0:
		return badField("redirectUris", "required: at least one for the %s grant", state.GrantAuthorizationCode)
	case !code && len(req.RedirectURIs) > 0:
		return badField("redirectUris", "only used by the %s grant", state.GrantAuthorizationCode)
	}
	return nil
}

// checkRedirectURIs accepts absolute URIs without user information or fragment, each once.
func checkRedirectURIs(uris []string) error {
	if len(uris) > maxRedirectURIs {
		return badField("redirectUris", "at most %d", maxRedirectURIs)
	}
	for i, s := range uris {
		f := fmt.Sprintf("redirectUris[%d]", i)
		u, err := url.Parse(s)
		switch {
		case len(s) > maxRedirectURI || strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }):
			return badField(f, "must be at most %d characters without spaces or control characters", maxRedirectURI)
		case err != nil || u.Scheme == "" || u.Opaque != "" || u.Host == "" && u.Path == "":
			return badField(f, "%q is not an absolute URI", s)
		case u.User != nil || strings.Contains(s, "#"):
			return badField(f, "%q must not have user information or a fragment", s)
		case slices.Index(uris, s) != i:
			return badField(f, "%q listed twice", s)
		}
	}
	return nil
}

// ttl defaults an absent lifetime and bounds it to 1 s .. maxTokenTTL.
func ttl(field string, v *int64, def int64) (*int64, error) {
	if v == nil {
		return &def, nil
	}
	if *v < 1 || *v > maxTokenTTL {
		return nil, badField(field, "%d is not between 1 and %d seconds", *v, maxTokenTTL)
	}
	return v, nil
}

// badField is a 400 naming the field at fault.
func badField(field, format string, args ...any) error {
	return httperr.New(http.StatusBadRequest, field+": "+fmt.Sprintf(format, args...))
}
