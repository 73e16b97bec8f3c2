package client

import (
	"context"
	"net/http"
	"net/url"
)

// AppDetail is one application with its OAuth2 client credentials by environment: never a secret.
type AppDetail struct {
	App
	Credentials map[string]Credential `json:"credentials"`
}

// Credential is an application's OAuth2 client in one environment. Lifetimes are in seconds.
type Credential struct {
	ClientID        string   `json:"clientId"`
	Env             string   `json:"env,omitempty"`
	GrantTypes      []string `json:"grantTypes"`
	AccessTokenTTL  int64    `json:"accessTokenTtl"`
	RefreshTokenTTL int64    `json:"refreshTokenTtl"`
	Public          bool     `json:"public"`
	PKCERequired    bool     `json:"pkceRequired"`
	RedirectURIs    []string `json:"redirectUris,omitempty"`
	CreatedAt       int64    `json:"createdAt,omitempty"`
}

// IssuedCredential is a new or regenerated client credential: the only time its secret is shown. A public client
// has no secret.
type IssuedCredential struct {
	Credential
	ClientSecret string `json:"clientSecret,omitempty"`
}

// CredentialRequest asks for an application's client credential in Env; nil and empty fields take the server's
// defaults. Lifetimes are in seconds.
type CredentialRequest struct {
	Env             string   `json:"env"`
	GrantTypes      []string `json:"grantTypes,omitempty"`
	AccessTokenTTL  *int64   `json:"accessTokenTtl,omitempty"`
	RefreshTokenTTL *int64   `json:"refreshTokenTtl,omitempty"`
	Public          *bool    `json:"public,omitempty"`
	PKCERequired    *bool    `json:"pkceRequired,omitempty"`
	RedirectURIs    []string `json:"redirectUris,omitempty"`
}

// Subscription is an application's subscription to an API major version under a plan.
type Subscription struct {
	ID        string `json:"id"`
	App       string `json:"app"`
	AppID     string `json:"appId"`
	API       string `json:"api"`
	Major     int    `json:"major"`
	Plan      string `json:"plan"`
	Status    string `json:"status"`
	CreatedAt int64  `json:"createdAt,omitempty"`
}

// SubscriptionRequest asks to subscribe an application (name or ID) to an API major version.
type SubscriptionRequest struct {
	App   string `json:"app"`
	API   string `json:"api"`
	Major int    `json:"major"`
	Plan  string `json:"plan"`
}

// Plan is a usage plan: requests per minute (0 = no limit) and the burst above it.
type Plan struct {
	Name    string `json:"name"`
	RPM     int64  `json:"rpm"`
	Burst   int64  `json:"burst"`
	BuiltIn bool   `json:"builtIn"`
}

// RegeneratedKey is the new key that replaces an API key: the only time its value is shown. The previous key stays
// valid until GraceUntil (unix milliseconds).
type RegeneratedKey struct {
	ID         string `json:"id"`
	Value      string `json:"key"`
	GraceUntil int64  `json:"graceUntil"`
	Previous   string `json:"previous"`
}

// GetApp returns an application (name or ID) with its credentials.
func (c *Client) GetApp(ctx context.Context, app string) (*AppDetail, error) {
	return one[AppDetail](ctx, c, call{method: http.MethodGet, path: appPath(app)})
}

// ShareApp replaces the users an application is shared with (read-only).
func (c *Client) ShareApp(ctx context.Context, app string, users []string) (*AppDetail, error) {
	return send[AppDetail](ctx, c, http.MethodPost, appPath(app)+"/share", "the sharing",
		map[string][]string{"users": users})
}

// SetCredentials creates an application's client credential in r.Env, or regenerates its secret (same client ID).
func (c *Client) SetCredentials(ctx context.Context, app string, r CredentialRequest) (*IssuedCredential, error) {
	return send[IssuedCredential](ctx, c, http.MethodPost, appPath(app)+"/credentials", "the credential request", r)
}

func appPath(app string) string { return "/v1/apps/" + url.PathEscape(app) }

// CreateSubscription subscribes an application to an API major version.
func (c *Client) CreateSubscription(ctx context.Context, r SubscriptionRequest) (*Subscription, error) {
	return send[Subscription](ctx, c, http.MethodPost, "/v1/subscriptions", "the subscription", r)
}

// ListSubscriptions lists subscriptions, of one application (name or ID) if app is not empty.
func (c *Client) ListSubscriptions(ctx context.Context, app string) ([]Subscription, error) {
	return list[Subscription](ctx, c, call{method: http.MethodGet, path: "/v1/subscriptions", query: appQuery(app)})
}

// BlockSubscription refuses every call of a subscription on every node until it is unblocked.
func (c *Client) BlockSubscription(ctx context.Context, id string) (*Subscription, error) {
	return one[Subscription](ctx, c, call{method: http.MethodPost, path: subPath(id) + "/block"})
}

// UnblockSubscription makes a blocked subscription active again.
func (c *Client) UnblockSubscription(ctx context.Context, id string) (*Subscription, error) {
	return one[Subscription](ctx, c, call{method: http.MethodPost, path: subPath(id) + "/unblock"})
}

// DeleteSubscription removes a subscription with the application's keys for that API major version.
func (c *Client) DeleteSubscription(ctx context.Context, id string) error {
	return c.do(ctx, call{method: http.MethodDelete, path: subPath(id)})
}

func subPath(id string) string { return "/v1/subscriptions/" + url.PathEscape(id) }

// appQuery filters a listing by application; nil when app is empty.
func appQuery(app string) url.Values {
	if app == "" {
		return nil
	}
	return url.Values{"app": {app}}
}

// ListPlans lists the built-in and custom usage plans.
func (c *Client) ListPlans(ctx context.Context) ([]Plan, error) {
	return list[Plan](ctx, c, call{method: http.MethodGet, path: "/v1/plans"})
}

// CreatePlan creates a custom usage plan.
func (c *Client) CreatePlan(ctx context.Context, name string, rpm, burst int64) (*Plan, error) {
	req := struct {
		Name  string `json:"name"`
		RPM   int64  `json:"rpm"`
		Burst int64  `json:"burst"`
	}{name, rpm, burst}
	return send[Plan](ctx, c, http.MethodPost, "/v1/plans", "the plan", req)
}

// RegenerateKey issues a new API key in place of key id; the old one stays valid for the cluster's grace period.
func (c *Client) RegenerateKey(ctx context.Context, id string) (*RegeneratedKey, error) {
	return one[RegeneratedKey](ctx, c, call{method: http.MethodPost, path: "/v1/keys/" + url.PathEscape(id) +
		"/regenerate"})
}
