package raftstore

import "portico/raftstore/state"

// Results of the commands, returned as the value of Store.Apply. Pointers refer into the published state and must not
// be modified.

// PutAPIResult is the stored API (Revision set); Changed is false when the definition was identical to the current one.
type PutAPIResult struct {
	API     *state.API
	Changed bool
}

// DeleteResult answers DeleteAPI, DeleteApp and DeleteKey. Deleting something absent is refused with CodeNotFound.
type DeleteResult struct {
	Deleted bool
}

// CreateAppResult is the stored application.
type CreateAppResult struct {
	App *state.Application
}

// CreateKeyResult is the stored key and the subscription it uses (existing or created; nil if the application has
// none for the key's API major version).
type CreateKeyResult struct {
	Key          *state.APIKey
	Subscription *state.Subscription
}

// CreateAdminTokenResult is the stored admin token.
type CreateAdminTokenResult struct {
	Token *state.AdminToken
}

// RegisterNodeResult answers RegisterNode; Changed is false when the registry already held the same values.
type RegisterNodeResult struct {
	Changed bool
}

// PutPluginChunkResult answers PutPluginChunk: how many of the upload's chunks have been received.
type PutPluginChunkResult struct {
	Received int
	Total    int
}

// PutPluginResult is the stored plugin; Changed is false when the same name, version and module were stored already.
type PutPluginResult struct {
	Plugin  state.Plugin
	Changed bool
}

// SetLifecycleResult is the API version after the move and the state it left (From == API.Lifecycle when it was
// already there).
type SetLifecycleResult struct {
	API  *state.API
	From string
}

// PutDocumentResult is the stored document.
type PutDocumentResult struct {
	Doc *state.Document
}

// CreateUserResult is the stored user.
type CreateUserResult struct {
	User *state.User
}

// UpdateResult answers SetPassword, ShareApp and SetSubscriptionStatus; Changed is false when the state already held
// the same values.
type UpdateResult struct {
	Changed bool
}

// SetCredentialsResult is the stored credential.
type SetCredentialsResult struct {
	Cred state.ClientCredential
}

// CreateSubscriptionResult is the stored subscription.
type CreateSubscriptionResult struct {
	Sub *state.Subscription
}

// RegenerateKeyResult is the new key and the old key with its grace expiry.
type RegenerateKeyResult struct {
	Key *state.APIKey
	Old *state.APIKey
}

// CreatePlanResult is the stored plan.
type CreatePlanResult struct {
	Plan *state.Plan
}

// AddSigningKeyResult is the new current key and the KIDs of the keys dropped.
type AddSigningKeyResult struct {
	Key     *state.SigningKey
	Dropped []string
}

// RevokeResult answers RevokeTokens: how many token IDs were not revoked before.
type RevokeResult struct {
	Added int
}
