package abi

// Request properties readable with get_property. Keys under "auth." are written by authentication policies with
// set_property, or by the host when authenticate returns AuthOK, and read by later policies and the gateway (for
// example auth.env picks the backend environment, auth.plan the rate limit).
const (
	PropRequestID   = "request.id"
	PropAPIName     = "api.name"
	PropAPIVersion  = "api.version" // "major.minor"
	PropAPIMajor    = "api.major"   // decimal
	PropAPIContext  = "api.context"
	PropOperationID = "operation.id" // "METHOD /path/template"

	PropAuthApp          = "auth.app"          // application ID
	PropAuthEnv          = "auth.env"          // production | sandbox
	PropAuthKeyID        = "auth.key"          // API key ID (API keys only)
	PropAuthSubscription = "auth.subscription" // subscription ID (API keys and the cluster's own tokens)
	PropAuthPlan         = "auth.plan"         // usage plan of the subscription
	PropAuthSubject      = "auth.sub"          // token subject: the user, or the client for client_credentials
	PropAuthScope        = "auth.scope"        // granted scopes, space-separated (RFC 6749 section 3.3)
	PropAuthClient       = "auth.client"       // OAuth2 client_id the token was issued to
	PropAuthToken        = "auth.token"        // token ID (the jti claim), never the token itself
	PropAuthIssuer       = "auth.issuer"       // token issuer (the iss claim)
	PropAuthPrefix       = "auth."
)

// Fields of a credential record returned by lookup_credential.
const (
	RecApp          = "app"          // application ID
	RecEnv          = "env"          // production | sandbox
	RecAPI          = "api"          // API name the credential is bound to
	RecMajor        = "major"        // API major version the credential is bound to (decimal)
	RecSubscribed   = "subscribed"   // "true" when the application has a subscription to the current API's major
	RecSubStatus    = "subStatus"    // active | blocked, when subscribed
	RecSubscription = "subscription" // subscription ID, when subscribed
	RecPlan         = "plan"         // usage plan of the subscription
)
