//go:build wasip1

package main

import "portico/sdk"

// Messages of the 403 responses.
const (
	msgWrongAPI      = "API key is not valid for this API"
	msgNotSubscribed = "application is not subscribed to this API"
	msgBlocked       = "subscription is blocked"
)

// subActive is the status of a subscription that may be used (raftstore/state.SubActive; guests do not import the
// replicated state).
const subActive = "active"

// authorize checks a matched key against the called API (name and major version) and returns the message of the 403
// response, or "" when the key may call it. Only an active subscription passes: an unknown status fails closed.
func authorize(cred sdk.Credential, apiName, apiMajor string) string {
	switch {
	case cred.API == "" || cred.API != apiName || cred.Major != apiMajor:
		return msgWrongAPI
	case !cred.Subscribed:
		return msgNotSubscribed
	case cred.SubStatus != subActive:
		return msgBlocked
	}
	return ""
}
