package gateway

import (
	"crypto/sha256"
	"crypto/subtle"
	"strconv"
	"time"

	"portico/plugins"
	"portico/plugins/abi"
	"portico/raftstore/state"
)

// LookupCredential resolves an API key for portico_v1.lookup_credential against the table's state: the key must
// exist, its SHA-256 must match (constant-time compare), it must not have expired, and its application must exist.
// The record tells whether the application is subscribed to the API version being called (name and major).
func (c *call) LookupCredential(kind uint32, id string, hash []byte) ([]byte, bool) {
	if kind != abi.CredentialAPIKey {
		return nil, false
	}
	return lookupAPIKey(c.t.st, c.m.Value.api.api, id, hash, time.Now())
}

// Authenticate verifies a presented credential for portico_v1.authenticate against the API version being called: an
// API key (abi.CredentialAPIKey) or an OAuth2 access token (abi.CredentialBearer).
func (c *call) Authenticate(kind uint32, credential string) (int32, plugins.Identity) {
	switch kind {
	case abi.CredentialAPIKey:
		return authenticateAPIKey(c.t.st, c.m.Value.api.api, credential, time.Now())
	case abi.CredentialBearer:
		return c.authenticateBearer(credential)
	}
	return abi.AuthUnknown, plugins.Identity{}
}

// validKey returns the key with public ID id if hash is the SHA-256 of its secret (constant-time compare), it has not
// expired and its application exists.
func validKey(st *state.State, id string, hash []byte, now time.Time) (*state.APIKey, bool) {
	k, ok := st.Keys[id]
	if !ok || len(hash) != sha256.Size || subtle.ConstantTimeCompare(k.Hash, hash) != 1 {
		return nil, false
	}
	if k.ExpiresAt != 0 && now.UnixMilli() >= k.ExpiresAt {
		return nil, false
	}
	if _, ok := st.Apps[k.AppID]; !ok {
		return nil, false
	}
	return k, true
}

func keyEnv(k *state.APIKey) string {
	if k.Env == "" {
		return state.Production
	}
	return k.Env
}

func lookupAPIKey(st *state.State, api *state.API, id string, hash []byte, now time.Time) ([]byte, bool) {
	k, ok := validKey(st, id, hash, now)
	if !ok {
		return nil, false
	}
	kv := make([]string, 0, 16)
	kv = append(kv, abi.RecApp, k.AppID, abi.RecEnv, keyEnv(k), abi.RecAPI, k.API, abi.RecMajor, strconv.Itoa(k.Major))
	if sub, ok := st.Subscription(k.AppID, api.Name, api.Major); ok {
		kv = append(kv, abi.RecSubscribed, "true", abi.RecSubStatus, sub.Status, abi.RecSubscription, sub.ID,
			abi.RecPlan, sub.Plan)
	} else {
		kv = append(kv, abi.RecSubscribed, "false")
	}
	return abi.EncodeRecord(kv...), true
}

// authenticateAPIKey checks a presented key: well-formed, known, matching hash, not expired, bound to api's name and
// major version, and its application subscribed with an active subscription.
func authenticateAPIKey(st *state.State, api *state.API, key string, now time.Time) (int32, plugins.Identity) {
	id, ok := abi.ParseAPIKey(key)
	if !ok {
		return abi.AuthUnknown, plugins.Identity{}
	}
	sum := sha256.Sum256([]byte(key))
	k, ok := validKey(st, id, sum[:], now)
	switch {
	case !ok:
		return abi.AuthUnknown, plugins.Identity{}
	case k.API != api.Name || k.Major != api.Major:
		return abi.AuthWrongAPI, plugins.Identity{}
	}
	sub, ok := st.Subscription(k.AppID, api.Name, api.Major)
	switch {
	case !ok:
		return abi.AuthNotSubscribed, plugins.Identity{}
	case sub.Status != state.SubActive:
		return abi.AuthInactive, plugins.Identity{}
	}
	return abi.AuthOK, plugins.Identity{App: k.AppID, Env: keyEnv(k), Key: id, Subscription: sub.ID, Plan: sub.Plan}
}
