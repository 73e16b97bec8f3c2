// Package state is the domain model that Raft replicates: APIs with their lifecycle, settings, revisions and
// documents; users and admin tokens; applications with their OAuth2 client credentials, subscriptions under usage
// plans and API keys; the cluster's token signing keys and revoked token IDs; the registry of cluster nodes; and
// pushed plugin modules with their uploads in progress. A State value is immutable once published by the FSM; the
// gateway, the OAuth2 endpoints and the admin API read it through an atomic pointer without locks. Secrets never
// appear here in clear: keys, tokens and client secrets are stored as SHA-256 hashes, passwords as PBKDF2 derived
// keys, and signing keys sealed under the cluster key.
package state
