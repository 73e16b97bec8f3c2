// Package e2e holds the end-to-end tests: real `portico` node processes on loopback ports, driven only through the CLI
// binary and HTTP, with real HTTP backends.
package e2e
