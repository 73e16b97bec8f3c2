//go:build wasip1

package main

import "portico/plugins/abi"

// refusal maps a verdict of portico_v1.authenticate other than AuthOK to the response: 401 for a key that does not
// authenticate, 403 for a valid key that may not call this API. An unknown verdict fails closed with 401.
func refusal(verdict int32) (status uint32, code, message string) {
	switch verdict {
	case abi.AuthWrongAPI:
		return 403, "forbidden", "API key is not valid for this API"
	case abi.AuthNotSubscribed:
		return 403, "forbidden", "application is not subscribed to this API"
	case abi.AuthInactive:
		return 403, "forbidden", "subscription is blocked"
	}
	return 401, "unauthorized", "invalid API key"
}
