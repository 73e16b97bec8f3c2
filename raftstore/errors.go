package raftstore

import (
	"errors"
	"fmt"
)

var (
	// ErrNotLeader is returned by Apply on a node that is not the leader: the command was not applied.
	ErrNotLeader = errors.New("not the raft leader")
	// ErrUnknownOutcome wraps the errors after which the command may or may not have been applied (leadership lost,
	// enqueue timeout, cancelled wait, shutdown). Retrying with the same request ID is safe.
	ErrUnknownOutcome = errors.New("outcome unknown")
	// ErrClosed is returned by a Store that has been closed.
	ErrClosed = errors.New("raft store closed")
)

// Codes of an ApplyError.
const (
	CodeConflict = "conflict"
	CodeNotFound = "not_found"
	CodeInvalid  = "invalid"
)

// ApplyError is a deterministic refusal of a command by the FSM (or by Apply before proposing it): nothing was
// applied. Code is CodeConflict, CodeNotFound or CodeInvalid; Message names what is wrong.
type ApplyError struct {
	Code    string
	Message string
}

func (e *ApplyError) Error() string { return "command refused: " + e.Code + ": " + e.Message }

func conflict(format string, args ...any) *ApplyError {
	return &ApplyError{Code: CodeConflict, Message: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *ApplyError {
	return &ApplyError{Code: CodeNotFound, Message: fmt.Sprintf(format, args...)}
}

func invalid(format string, args ...any) *ApplyError {
	return &ApplyError{Code: CodeInvalid, Message: fmt.Sprintf(format, args...)}
}
