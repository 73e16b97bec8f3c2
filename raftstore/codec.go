package raftstore

import (
	"encoding/json"
	"fmt"
)

// commandTypes decodes the payload of each kind, for DecodeCommand. Keep in step with the dispatch table
// (a test checks it).
var commandTypes = map[string]func(json.RawMessage) (Command, error){
	PutAPI{}.Kind():                decodeAs[PutAPI],
	DeleteAPI{}.Kind():             decodeAs[DeleteAPI],
	CreateApp{}.Kind():             decodeAs[CreateApp],
	DeleteApp{}.Kind():             decodeAs[DeleteApp],
	CreateKey{}.Kind():             decodeAs[CreateKey],
	DeleteKey{}.Kind():             decodeAs[DeleteKey],
	CreateAdminToken{}.Kind():      decodeAs[CreateAdminToken],
	RegisterNode{}.Kind():          decodeAs[RegisterNode],
	DeregisterNode{}.Kind():        decodeAs[DeregisterNode],
	PutPluginChunk{}.Kind():        decodeAs[PutPluginChunk],
	PutPlugin{}.Kind():             decodeAs[PutPlugin],
	DeletePlugin{}.Kind():          decodeAs[DeletePlugin],
	SetLifecycle{}.Kind():          decodeAs[SetLifecycle],
	PutDocument{}.Kind():           decodeAs[PutDocument],
	DeleteDocument{}.Kind():        decodeAs[DeleteDocument],
	CreateUser{}.Kind():            decodeAs[CreateUser],
	DeleteUser{}.Kind():            decodeAs[DeleteUser],
	SetPassword{}.Kind():           decodeAs[SetPassword],
	DeleteAdminToken{}.Kind():      decodeAs[DeleteAdminToken],
	ShareApp{}.Kind():              decodeAs[ShareApp],
	SetCredentials{}.Kind():        decodeAs[SetCredentials],
	CreateSubscription{}.Kind():    decodeAs[CreateSubscription],
	SetSubscriptionStatus{}.Kind(): decodeAs[SetSubscriptionStatus],
	DeleteSubscription{}.Kind():    decodeAs[DeleteSubscription],
	RegenerateKey{}.Kind():         decodeAs[RegenerateKey],
	CreatePlan{}.Kind():            decodeAs[CreatePlan],
	AddSigningKey{}.Kind():         decodeAs[AddSigningKey],
	RevokeTokens{}.Kind():          decodeAs[RevokeTokens],
}

// EncodeCommand turns a command into its kind and JSON payload, for sending it to the leader, which rebuilds it with
// DecodeCommand and proposes it.
func EncodeCommand(cmd Command) (kind string, payload json.RawMessage, err error) {
	if cmd == nil {
		return "", nil, invalid("command is nil")
	}
	kind = cmd.Kind()
	if _, ok := commandTypes[kind]; !ok {
		return "", nil, invalid("unknown command kind %q", kind)
	}
	payload, err = json.Marshal(cmd)
	if err != nil {
		return "", nil, fmt.Errorf("encoding %s command: %w", kind, err)
	}
	return kind, payload, nil
}

// DecodeCommand rebuilds a command encoded by EncodeCommand (the newest payload version of its kind). An unknown kind
// or a payload with unknown fields or trailing data is refused with an *ApplyError of CodeInvalid.
func DecodeCommand(kind string, payload json.RawMessage) (Command, error) {
	decode, ok := commandTypes[kind]
	if !ok {
		return nil, invalid("unknown command kind %q", kind)
	}
	cmd, err := decode(payload)
	if err != nil {
		return nil, invalid("decoding %s command: %v", kind, err)
	}
	return cmd, nil
}

// decodeAs decodes a payload into a command value of type C.
func decodeAs[C Command](payload json.RawMessage) (Command, error) {
	var c C
	if err := decodeStrict(payload, &c); err != nil {
		return nil, err
	}
	return c, nil
}
