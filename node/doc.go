// Package node assembles one Portico node from its static configuration: the replicated store (raftstore), the wasm
// plugin host (plugins), the gateway listener that serves client traffic from the local applied state, and the admin
// listener that operators and the CLI talk to. It owns start-up, the config path from an applied Raft entry to a
// swapped gateway table, and the graceful drain on shutdown.
package node
