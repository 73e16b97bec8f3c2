package gateway

import (
	"crypto/sha256"
	"crypto/subtle"
	"strconv"
	"time"

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

func lookupAPIKey(st *state.State, api *state.API, id string, hash []byte, now time.Time) ([]byte, bool) {
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
	env := k.Env
	if env == "" {
		env = state.Production
	}
	kv := make([]string, 0, 16)
	kv = append(kv, abi.RecApp, k.AppID, abi.RecEnv, env, abi.RecAPI, k.API, abi.RecMajor, strconv.Itoa(k.Major))
	if sub, ok := st.Subscription(k.AppID, api.Name, api.Major); ok {
		kv = append(kv, abi.RecSubscribed, "true", abi.RecSubStatus, sub.Status, abi.RecSubscription, sub.ID,
			abi.RecPlan, sub.Plan)
	} else {
		kv = append(kv, abi.RecSubscribed, "false")
	}
	return abi.EncodeRecord(kv...), true
}
