package raftstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// maxEntrySize bounds one log entry, as hashicorp/raft suggests (raft.SuggestedMaxDataSize): bigger entries delay
// heartbeats.
const maxEntrySize = 512 * 1024

// envelope is the encoding of one log entry: the command's type tag, the version of its payload encoding, the
// idempotency key, and the payload (the command as JSON).
type envelope struct {
	Kind      string          `json:"kind"`
	Version   int             `json:"version"`
	RequestID string          `json:"requestId"`
	Payload   json.RawMessage `json:"payload"`
}

// encodeEntry builds the log entry for cmd, written with the newest payload version of its kind.
func encodeEntry(requestID string, cmd Command) ([]byte, error) {
	if requestID == "" {
		return nil, invalid("request id is empty")
	}
	if cmd == nil {
		return nil, invalid("command is nil")
	}
	version, ok := latestVersion(cmd.Kind())
	if !ok {
		return nil, invalid("unknown command kind %q", cmd.Kind())
	}
	payload, err := json.Marshal(cmd)
	if err != nil {
		return nil, fmt.Errorf("encoding %s command: %w", cmd.Kind(), err)
	}
	data, err := json.Marshal(envelope{Kind: cmd.Kind(), Version: version, RequestID: requestID, Payload: payload})
	if err != nil {
		return nil, fmt.Errorf("encoding %s entry: %w", cmd.Kind(), err)
	}
	if len(data) > maxEntrySize {
		return nil, invalid("%s command is %d bytes, more than the %d-byte entry limit", cmd.Kind(), len(data), maxEntrySize)
	}
	return data, nil
}

// decodeEnvelope reads a log entry written by encodeEntry.
func decodeEnvelope(data []byte) (envelope, error) {
	var env envelope
	if err := decodeStrict(data, &env); err != nil {
		return envelope{}, fmt.Errorf("decoding envelope: %w", err)
	}
	if env.Kind == "" || env.RequestID == "" || len(env.Payload) == 0 {
		return envelope{}, errors.New("decoding envelope: kind, request id or payload missing")
	}
	return env, nil
}

// decodeStrict decodes exactly one JSON value and refuses unknown fields: an entry this node does not fully understand
// must not be applied partially.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("trailing data after JSON value")
	}
	return nil
}
