// Package raftstore is the replicated state at the centre of the config path: the admin API validates a change and
// proposes it here as a typed command, hashicorp/raft commits it, and every node's FSM applies it deterministically and
// publishes a new immutable state.State that the gateway reads through an atomic pointer and rebuilds its route table
// from. Log entries are versioned envelopes dispatched through a table of command kinds; every command carries an
// idempotency key so that a write whose outcome was unknown can be retried safely. EncodeCommand and DecodeCommand
// carry a command from a node that is not the leader (the OAuth2 endpoints revoking a token) to the leader.
//
// Beside the log, the store manages the cluster (Join, Remove, Members), serves linearizable reads (ReadIndex on the
// leader, WaitApplied on any node), carries plugin modules in chunks below raft's entry size limit, and writes and
// restores backups of the whole state in the snapshot encoding.
package raftstore
