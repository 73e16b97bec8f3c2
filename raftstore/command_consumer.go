package raftstore

import "portico/raftstore/state"

// MaxTokenLifetime bounds the lifetime of any token the cluster signs, in milliseconds (24 hours): a signing key
// retired longer ago than this can have no valid token left and is dropped.
const MaxTokenLifetime int64 = 24 * 60 * 60 * 1000

// SetLifecycle moves an API version to another lifecycle state at the proposer's time At (unix milliseconds). A move
// the lifecycle table does not allow is refused; moving to the current state changes nothing.
type SetLifecycle struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	To      string `json:"to"`
	At      int64  `json:"at"`
}

// PutDocument creates or replaces a document of an API version (API is the API ID, name@version).
type PutDocument struct {
	API string         `json:"api"`
	Doc state.Document `json:"doc"`
}

// DeleteDocument removes a document of an API version.
type DeleteDocument struct {
	API  string `json:"api"`
	Name string `json:"name"`
}

// CreateUser stores a new user; the name must be unused.
type CreateUser struct {
	User state.User `json:"user"`
}

// DeleteUser removes a user with the admin tokens they own. A user who owns applications cannot be deleted.
type DeleteUser struct {
	Name string `json:"name"`
}

// SetPassword replaces a user's derived password key, salt and iteration count. From payload version 2 it also ends
// the user's other sessions: every admin token of the user except KeepToken (the ID of the token that made the
// change, when users change their own password) is deleted. Version 1 entries in old logs keep the tokens.
type SetPassword struct {
	Name       string `json:"name"`
	Hash       []byte `json:"hash"`
	Salt       []byte `json:"salt"`
	Iterations int    `json:"iterations"`
	KeepToken  string `json:"keepToken,omitempty"`
}

// DeleteAdminToken revokes an admin token at once.
type DeleteAdminToken struct {
	ID string `json:"id"`
}

// ShareApp replaces the list of users with read-only access to an application. Every user must exist; the owner
// cannot be one of them.
type ShareApp struct {
	AppID string   `json:"app"`
	Users []string `json:"users"`
}

// SetCredentials creates or replaces the OAuth2 client credential of an application in Cred.Env. The proposer sends
// the client ID it read for that environment (or a new one); a client ID used by another application or environment
// is refused.
type SetCredentials struct {
	AppID string                 `json:"app"`
	Cred  state.ClientCredential `json:"cred"`
}

// CreateSubscription subscribes an application to an API major version under a plan. It is refused if the API does
// not exist, if no version of that major is Published or Pre-released, if the plan does not exist, or if the
// application already subscribes to that major.
type CreateSubscription struct {
	Sub state.Subscription `json:"sub"`
}

// SetSubscriptionStatus blocks or unblocks a subscription (state.SubActive or state.SubBlocked).
type SetSubscriptionStatus struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// DeleteSubscription removes a subscription with the application's API keys for that API major version.
type DeleteSubscription struct {
	ID string `json:"id"`
}

// RegenerateKey replaces an API key: New (its ID, Hash, CreatedAt and optional Name from the proposer) takes the old
// key's application, API, major and environment; the old key stays valid until GraceUntil (unix milliseconds), or
// until its own earlier expiry.
type RegenerateKey struct {
	ID         string       `json:"id"`
	New        state.APIKey `json:"new"`
	GraceUntil int64        `json:"graceUntil"`
}

// CreatePlan stores a custom usage plan. Built-in names are refused; RPM must be at least 1 and Burst not negative.
type CreatePlan struct {
	Plan state.Plan `json:"plan"`
}

// AddSigningKey makes Key the current token signing key. The previous current key is retired at Key.CreatedAt; keys
// retired more than MaxTokenLifetime before Key.CreatedAt are dropped.
type AddSigningKey struct {
	Key state.SigningKey `json:"key"`
}

// RevokedToken is a token ID (jti) and its expiry in unix seconds.
type RevokedToken struct {
	ID  string `json:"id"`
	Exp int64  `json:"exp"`
}

// RevokeTokens adds revoked token IDs (access and refresh tokens, spent authorization codes) and drops every entry
// that expired before Now (unix milliseconds, from the proposer).
type RevokeTokens struct {
	Tokens []RevokedToken `json:"tokens"`
	Now    int64          `json:"now"`
}

// Kind implementations of the consumer and credential commands.
func (SetLifecycle) Kind() string          { return "api.lifecycle" }
func (PutDocument) Kind() string           { return "doc.put" }
func (DeleteDocument) Kind() string        { return "doc.delete" }
func (CreateUser) Kind() string            { return "user.create" }
func (DeleteUser) Kind() string            { return "user.delete" }
func (SetPassword) Kind() string           { return "user.password" }
func (DeleteAdminToken) Kind() string      { return "admintoken.delete" }
func (ShareApp) Kind() string              { return "app.share" }
func (SetCredentials) Kind() string        { return "app.credentials" }
func (CreateSubscription) Kind() string    { return "sub.create" }
func (SetSubscriptionStatus) Kind() string { return "sub.status" }
func (DeleteSubscription) Kind() string    { return "sub.delete" }
func (RegenerateKey) Kind() string         { return "key.regenerate" }
func (CreatePlan) Kind() string            { return "plan.create" }
func (AddSigningKey) Kind() string         { return "signing.add" }
func (RevokeTokens) Kind() string          { return "token.revoke" }
