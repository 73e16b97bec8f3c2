package abi

// Request properties readable with get_property. Keys under "auth." are written by authentication policies with
// set_property and read by the gateway (for example auth.env picks the backend environment).
const (
	PropRequestID   = "request.id"
	PropAPIName     = "api.name"
	PropAPIVersion  = "api.version" // "major.minor"
	PropAPIMajor    = "api.major"   // decimal
	PropAPIContext  = "api.context"
	PropOperationID = "operation.id" // "METHOD /path/template"
	PropAuthApp     = "auth.app"     // application ID
	PropAuthEnv     = "auth.env"     // production | sandbox
	PropAuthKeyID   = "auth.key"     // API key ID
	PropAuthSub     = "auth.subscription"
	PropAuthPlan    = "auth.plan"
	PropAuthPrefix  = "auth."
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
