package oauth

import (
	"slices"
	"sort"
	"strings"

	"portico/raftstore/state"
)

// allowedScopes returns the scopes an application may obtain when acting with role: every scope an operation requires
// in a version of an API major the application has an active subscription to, if that version binds the scope to no
// role or to role.
func allowedScopes(st *state.State, appID, role string) map[string]bool {
	subscribed := map[string]bool{}
	for _, sub := range st.Subscriptions {
		if sub.AppID == appID && sub.Status == state.SubActive {
			subscribed[state.SubKey(appID, sub.API, sub.Major)] = true
		}
	}
	allowed := map[string]bool{}
	if len(subscribed) == 0 {
		return allowed
	}
	for _, api := range st.APIs {
		if !subscribed[state.SubKey(appID, api.Name, api.Major)] {
			continue
		}
		for _, op := range api.Operations {
			for _, sc := range op.Scopes {
				if roles := api.ScopeRoles[sc]; len(roles) == 0 || slices.Contains(roles, role) {
					allowed[sc] = true
				}
			}
		}
	}
	return allowed
}

// grantScopes is the scope of a token: the requested scopes that are allowed, in the order requested, or every
// allowed scope (sorted) when none is requested. Scopes not allowed are dropped silently (RFC 6749 §3.3).
func grantScopes(requested string, allowed map[string]bool) string {
	if strings.TrimSpace(requested) == "" {
		all := make([]string, 0, len(allowed))
		for sc := range allowed {
			all = append(all, sc)
		}
		sort.Strings(all)
		return strings.Join(all, " ")
	}
	var out []string
	for _, sc := range scopeList(requested) {
		if allowed[sc] {
			out = append(out, sc)
		}
	}
	return strings.Join(out, " ")
}

// narrowScopes keeps the scopes of granted that are also in allowed (a refresh, or a code redeemed after the
// application's subscriptions changed).
func narrowScopes(granted string, allowed map[string]bool) string {
	var out []string
	for _, sc := range scopeList(granted) {
		if allowed[sc] {
			out = append(out, sc)
		}
	}
	return strings.Join(out, " ")
}

// scopeList splits a space-separated scope parameter (RFC 6749 §3.3), dropping empty and repeated entries.
func scopeList(s string) []string {
	var out []string
	seen := map[string]bool{}
	for _, sc := range strings.Split(s, " ") {
		if sc != "" && !seen[sc] {
			seen[sc] = true
			out = append(out, sc)
		}
	}
	return out
}

// scopeSet is the set of a space-separated scope string.
func scopeSet(s string) map[string]bool {
	set := map[string]bool{}
	for _, sc := range scopeList(s) {
		set[sc] = true
	}
	return set
}
