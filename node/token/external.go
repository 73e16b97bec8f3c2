package token

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"portico/raftstore/state"
)

// Limits of the JWKS documents of external issuers.
const (
	JWKSMaxAge     = 5 * time.Minute  // a fetched document is used this long before it is fetched again
	JWKSRefreshGap = 30 * time.Second // at most one fetch per document in this time (unknown kid, failures)
	JWKSMaxStale   = time.Hour        // keys kept past JWKSMaxAge while the document cannot be fetched
	JWKSMaxSize    = 1 << 20          // bytes
	JWKSTimeout    = 5 * time.Second  // per fetch
)

// defaultExternalAlgs are allowed when an issuer lists no algorithms.
var defaultExternalAlgs = []string{"RS256", "ES256"}

// refusedHeaders point at keys outside the issuer's JWKS or ask for extensions Portico does not implement.
var refusedHeaders = []string{"jku", "x5u", "jwk", "x5c", "crit"}

// ExternalVerifier verifies JWTs of the external issuers an API trusts (state.ExternalIssuer): issuer and audience
// exact, algorithm in the issuer's list (asymmetric only: never "none" nor HMAC), key from the issuer's JWKS URL by
// kid, where a key that names its own "alg" verifies only tokens of that algorithm and a key without one only
// algorithms of its type and curve. JWKS documents are fetched by the verifier only, never from token headers;
// they are cached for JWKSMaxAge, fetched at most once per JWKSRefreshGap, and bounded in size and time. Safe for
// concurrent use.
type ExternalVerifier struct {
	client  *http.Client
	now     func() time.Time
	parser  *jwt.Parser
	timeout time.Duration // of one fetch
	sets    sync.Map      // JWKS URL → *jwksCache
}

// jwksCache holds the keys of one JWKS URL.
type jwksCache struct {
	url  string
	snap atomic.Pointer[jwksSnap]
	mu   sync.Mutex // held while fetching; guards tried and err
	// tried is the time of the last fetch attempt, err its failure.
	tried time.Time
	err   error
}

type jwksSnap struct {
	keys    map[string]*extKey
	fetched time.Time
}

// NewExternalVerifier returns a verifier fetching JWKS documents with client (nil: a client with JWKSTimeout).
func NewExternalVerifier(client *http.Client, now func() time.Time) *ExternalVerifier {
	if client == nil {
		client = &http.Client{Timeout: JWKSTimeout}
	}
	if now == nil {
		now = time.Now
	}
	return &ExternalVerifier{
		client:  client,
		now:     now,
		parser:  jwt.NewParser(jwt.WithValidMethods(externalAlgs), jwt.WithStrictDecoding(), jwt.WithoutClaimsValidation()),
		timeout: JWKSTimeout,
	}
}

// Verify checks token against the trusted issuers and returns its claims, without the claims only the cluster may
// assert (App, Env, Use and the code fields are empty). Refusals wrap ErrInvalid or ErrExpired.
func (v *ExternalVerifier) Verify(ctx context.Context, issuers []state.ExternalIssuer, token string) (*Claims, error) {
	if err := checkShape(token); err != nil {
		return nil, err
	}
	c := &Claims{}
	var iss *state.ExternalIssuer
	keyFunc := func(t *jwt.Token) (any, error) {
		var err error
		if iss, err = pickIssuer(issuers, c); err != nil {
			return nil, err
		}
		return v.keyFor(ctx, iss, t)
	}
	if _, err := v.parser.ParseWithClaims(token, c, keyFunc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := uniqueMembers(token); err != nil {
		return nil, err
	}
	if err := checkClaims(c, v.now(), iss.Issuer, iss.Audience, false); err != nil {
		return nil, err
	}
	foreign(c)
	return c, nil
}

// foreign clears the claims only the cluster may assert (application, environment, use, grant, code binding): an
// external issuer's token must not pass for one of the cluster's applications. Standard claims (sub, client_id,
// scope) stay.
func foreign(c *Claims) {
	c.App, c.Env, c.Use, c.Grant = "", "", "", ""
	c.RedirectURI, c.Challenge, c.ChallengeMeth = "", "", ""
}

// pickIssuer finds the issuer the token claims to come from, preferring one whose audience the token carries.
func pickIssuer(issuers []state.ExternalIssuer, c *Claims) (*state.ExternalIssuer, error) {
	var found *state.ExternalIssuer
	for i := range issuers {
		iss := &issuers[i]
		if iss.Issuer == "" || iss.Issuer != c.Issuer {
			continue
		}
		if audienceOK(c.Audience, iss.Audience, false) {
			return iss, nil
		}
		if found == nil {
			found = iss
		}
	}
	if found == nil {
		return nil, errUnknownIssuer
	}
	return found, nil
}

// keyFor checks the header of an external token and returns the issuer's key its kid names.
func (v *ExternalVerifier) keyFor(ctx context.Context, iss *state.ExternalIssuer, t *jwt.Token) (any, error) {
	for _, h := range refusedHeaders {
		if _, ok := t.Header[h]; ok {
			return nil, fmt.Errorf("header %q not allowed", h)
		}
	}
	alg := t.Method.Alg()
	algs := iss.Algorithms
	if len(algs) == 0 {
		algs = defaultExternalAlgs
	}
	if !slices.Contains(algs, alg) {
		return nil, fmt.Errorf("algorithm %s not allowed for this issuer", alg)
	}
	kid, _ := t.Header["kid"].(string)
	if kid == "" {
		return nil, errors.New("missing kid")
	}
	key, err := v.cache(iss.JWKSURL).key(ctx, v, kid)
	if err != nil {
		return nil, err
	}
	if !key.allows(alg) {
		return nil, fmt.Errorf("key does not allow algorithm %s", alg)
	}
	return key.key, nil
}

// cache returns the key cache of one JWKS URL.
func (v *ExternalVerifier) cache(url string) *jwksCache {
	if c, ok := v.sets.Load(url); ok {
		return c.(*jwksCache)
	}
	c, _ := v.sets.LoadOrStore(url, &jwksCache{url: url})
	return c.(*jwksCache)
}

// key returns the key named kid, fetching the document when it is older than JWKSMaxAge or lacks kid, at most once
// per JWKSRefreshGap.
func (c *jwksCache) key(ctx context.Context, v *ExternalVerifier, kid string) (*extKey, error) {
	now := v.now()
	if s := c.snap.Load(); s != nil && now.Sub(s.fetched) < JWKSMaxAge {
		if k, ok := s.keys[kid]; ok {
			return k, nil
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tried.IsZero() || now.Sub(c.tried) >= JWKSRefreshGap {
		c.tried = now
		c.err = c.refresh(ctx, v, now)
	}
	s := c.snap.Load()
	if s != nil && now.Sub(s.fetched) < JWKSMaxStale {
		if k, ok := s.keys[kid]; ok {
			return k, nil
		}
	}
	if c.err != nil {
		return nil, c.err
	}
	return nil, errors.New("unknown kid")
}

// refresh fetches the document and replaces the keys.
// The fetch outlives a cancelled request: the result serves every request waiting for it.
func (c *jwksCache) refresh(ctx context.Context, v *ExternalVerifier, now time.Time) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), v.timeout)
	defer cancel()
	body, err := fetchJWKS(ctx, v.client, c.url)
	if err != nil {
		return fmt.Errorf("fetching JWKS: %w", err)
	}
	keys, err := parseJWKS(body)
	if err != nil {
		return fmt.Errorf("fetching JWKS: %w", err)
	}
	c.snap.Store(&jwksSnap{keys: keys, fetched: now})
	return nil
}

// fetchJWKS reads a JWKS document of at most JWKSMaxSize bytes.
func fetchJWKS(ctx context.Context, client *http.Client, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, JWKSMaxSize+1))
	if err != nil {
		return nil, err
	}
	if len(body) > JWKSMaxSize {
		return nil, fmt.Errorf("document larger than %d bytes", JWKSMaxSize)
	}
	return body, nil
}

// parseJWKS decodes the usable keys of a document by kid. Keys without a kid, of unsupported types, and kids that
// appear twice are left out.
func parseJWKS(body []byte) (map[string]*extKey, error) {
	var doc jwkSetDoc
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("decoding: %w", err)
	}
	keys := make(map[string]*extKey, len(doc.Keys))
	seen := make(map[string]bool, len(doc.Keys))
	for _, raw := range doc.Keys {
		var j jwk
		if json.Unmarshal(raw, &j) != nil || j.Kid == "" {
			continue
		}
		if seen[j.Kid] {
			delete(keys, j.Kid)
			continue
		}
		seen[j.Kid] = true
		if k, err := parseJWK(j); err == nil {
			keys[j.Kid] = k
		}
	}
	if len(keys) == 0 {
		return nil, errors.New("no usable keys")
	}
	return keys, nil
}
