// Package state is the domain model that Raft replicates: APIs and their revisions, applications, API keys,
// subscriptions, admin tokens, the registry of cluster nodes, and pushed plugin modules with their uploads in
// progress. A State value is immutable once published by the FSM; the gateway and the admin API read it through an
// atomic pointer without locks. Secrets never appear here in clear: keys and tokens are stored as SHA-256 hashes.
package state
