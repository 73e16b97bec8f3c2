package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"portico/plugins"
	"portico/raftstore/state"
)

// Built-in policies the gateway attaches for an operation's security and an API's cors block.
const (
	builtinAPIKey = "apikey"
	builtinOAuth2 = "oauth2"
	builtinCORS   = "cors"
)

// apikeyConfig is the config of the apikey policy attached for security api-key.
var apikeyConfig = json.RawMessage(`{"header":"api-key"}`)

// attachment is a policy reference with the reason it is in the chain (for errors).
type attachment struct {
	ref state.PolicyRef
	why string
}

// authAttachments returns the authentication policy of operation i for its effective security: the apikey policy
// for api-key, the oauth2 policy for oauth2, nil for neither. An operation that accepts either gets the apikey policy
// and, as bearer, the oauth2 policy that runs instead when the request carries a Bearer credential.
func authAttachments(api *state.API, i int) (auth, bearer *attachment) {
	sec := api.EffectiveSecurity(i)
	if slices.Contains(sec, state.SecurityOAuth2) {
		bearer = &attachment{state.PolicyRef{Name: builtinOAuth2, Config: oauth2Config(api.Operations[i].Scopes)},
			"security oauth2"}
	}
	if !slices.Contains(sec, state.SecurityAPIKey) {
		return bearer, nil
	}
	return &attachment{state.PolicyRef{Name: builtinAPIKey, Config: apikeyConfig}, "security api-key"}, bearer
}

// corsAttachment returns the cors policy of an API with a cors block; its config is the block as JSON.
func corsAttachment(api *state.API) attachment {
	b, _ := json.Marshal(api.CORS) // a struct of strings, ints and bools always marshals
	return attachment{state.PolicyRef{Name: builtinCORS, Config: b}, "cors"}
}

// attachments lists the request-phase chain of operation i in order: the cors policy if the API has a cors block
// (first, so that its response phase runs last, also on refusals), the authentication policy auth (if not nil), the
// API-wide request policies, the operation's request policies, then the API-wide and operation response policies
// (their handle_request runs last, so their handle_response runs first).
func attachments(api *state.API, i int, auth *attachment) []attachment {
	op := &api.Operations[i]
	var out []attachment
	if api.CORS != nil {
		out = append(out, corsAttachment(api))
	}
	if auth != nil {
		out = append(out, *auth)
	}
	lists := []struct {
		refs []state.PolicyRef
		why  string
	}{
		{api.Policies.Request, "policies.request"},
		{op.Policies.Request, "operation policies.request"},
		{api.Policies.Response, "policies.response"},
		{op.Policies.Response, "operation policies.response"},
	}
	for _, l := range lists {
		for j, ref := range l.refs {
			out = append(out, attachment{ref, fmt.Sprintf("%s[%d]", l.why, j)})
		}
	}
	return out
}

// oauth2Config is the config of the oauth2 policy attached for security oauth2: the operation's required scopes.
func oauth2Config(scopes []string) json.RawMessage {
	if len(scopes) == 0 {
		return nil
	}
	b, _ := json.Marshal(struct {
		Scopes []string `json:"scopes"`
	}{scopes})
	return b
}

// chain builds the policies of operation i with the authentication policy auth.
func (b *builder) chain(ctx context.Context, api *state.API, i int, auth *attachment) ([]*plugins.Pool, error) {
	atts := attachments(api, i, auth)
	if len(atts) == 0 {
		return nil, nil
	}
	chain := make([]*plugins.Pool, 0, len(atts))
	for _, a := range atts {
		p, err := b.pool(ctx, a.ref)
		if err != nil {
			return nil, fmt.Errorf("%s: policy %q: %w", a.why, a.ref.Name, err)
		}
		chain = append(chain, p)
	}
	return chain, nil
}

// pool returns the table's pool of (module, config), acquiring it from the host on first use. The host shares a pool
// between tables when module and config are unchanged, so a redeploy does not re-instantiate unchanged policies.
func (b *builder) pool(ctx context.Context, ref state.PolicyRef) (*plugins.Pool, error) {
	mod, name, err := b.g.module(ctx, b.t.st, ref)
	if err != nil {
		return nil, err
	}
	key := mod.Digest() + "\x00" + string(ref.Config)
	if p, ok := b.pools[key]; ok {
		return p, nil
	}
	p, err := b.g.cfg.Plugins.Pool(ctx, mod, name, ref.Config)
	if err != nil {
		return nil, fmt.Errorf("starting policy: %w", err)
	}
	b.pools[key] = p
	b.t.pools = append(b.t.pools, p)
	return p, nil
}

// errNoHost is returned when a policy is needed but the gateway has no plugin host.
var errNoHost = errors.New("no plugin host configured")

// module returns the compiled module of a policy reference and the policy's name for logs. A reference with a
// version that st holds as a pushed plugin runs that plugin's module from st.Blobs; any other reference names a
// built-in policy. The caller holds g.mu.
func (g *Gateway) module(ctx context.Context, st *state.State, ref state.PolicyRef) (*plugins.Module, string, error) {
	if g.cfg.Plugins == nil {
		return nil, "", errNoHost
	}
	if ref.Version != "" {
		if p, ok := st.Plugins[state.PluginKey(ref.Name, ref.Version)]; ok {
			m, err := g.pushedModule(ctx, st, p)
			return m, state.PluginKey(p.Name, p.Version), err
		}
	}
	m, err := g.builtinModule(ctx, ref)
	return m, ref.Name, err
}

// pushedModule compiles the module of pushed plugin p once per SHA-256: two plugin versions with the same bytes
// share one module, and a new version with new bytes is a new module. The bytes must hash to p.SHA256.
func (g *Gateway) pushedModule(ctx context.Context, st *state.State, p *state.Plugin) (*plugins.Module, error) {
	if m, ok := g.modules[p.SHA256]; ok {
		return m, nil
	}
	key := state.PluginKey(p.Name, p.Version)
	wasm, ok := st.Blobs[p.SHA256]
	if !ok {
		return nil, fmt.Errorf("plugin %s: module %s is missing from the state", key, p.SHA256)
	}
	m, err := g.cfg.Plugins.Compile(ctx, wasm)
	if err != nil {
		return nil, fmt.Errorf("compiling plugin %s: %w", key, err)
	}
	if m.Digest() != p.SHA256 {
		return nil, fmt.Errorf("plugin %s: module bytes hash to %s, want %s", key, m.Digest(), p.SHA256)
	}
	g.modules[p.SHA256] = m
	return m, nil
}

// builtinModule returns the module of the built-in policy named by ref, compiling it once.
func (g *Gateway) builtinModule(ctx context.Context, ref state.PolicyRef) (*plugins.Module, error) {
	if m, ok := g.builtins[ref.Name]; ok {
		return m, nil
	}
	var wasm []byte
	ok := false
	if g.cfg.Builtins != nil {
		wasm, ok = g.cfg.Builtins(ref.Name)
	}
	switch {
	case !ok && ref.Version != "":
		return nil, fmt.Errorf("unknown plugin %s: no such pushed plugin nor built-in policy",
			state.PluginKey(ref.Name, ref.Version))
	case !ok:
		return nil, fmt.Errorf("unknown policy %q", ref.Name)
	}
	m, err := g.cfg.Plugins.Compile(ctx, wasm)
	if err != nil {
		return nil, fmt.Errorf("compiling policy %q: %w", ref.Name, err)
	}
	g.builtins[ref.Name] = m
	g.modules[m.Digest()] = m
	return m, nil
}
