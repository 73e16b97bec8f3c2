package admin

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"portico/raftstore"
	"portico/raftstore/state"
)

// lifecycleRequest moves an API version to a lifecycle state.
type lifecycleRequest struct {
	State string `json:"state"`
}

// lifecycleResponse is the API version's state after the move and the state it left.
type lifecycleResponse struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	Lifecycle string `json:"lifecycle"`
	Previous  string `json:"previous"`
}

// setLifecycle moves an API version to another lifecycle state. The state machine refuses a move the lifecycle table
// does not allow, naming the allowed ones.
func (a *Admin) setLifecycle(w http.ResponseWriter, r *http.Request) error {
	var req lifecycleRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if !slices.Contains(state.Lifecycles, req.State) {
		return badField("state", "%q is not one of %s", req.State, strings.Join(state.Lifecycles, ", "))
	}
	api, err := a.findOwnAPI(r)
	if err != nil {
		return err
	}
	res, err := a.apply(r, raftstore.SetLifecycle{
		Name: api.Name, Version: api.Version, To: req.State, At: a.now().UnixMilli(),
	})
	if err != nil {
		return err
	}
	moved, err := result[raftstore.SetLifecycleResult](res)
	if err != nil {
		return err
	}
	if moved.API == nil {
		return fmt.Errorf("lifecycle result has no API")
	}
	return writeJSON(w, http.StatusOK, lifecycleResponse{
		Name: moved.API.Name, Version: moved.API.Version, Lifecycle: moved.API.Lifecycle, Previous: moved.From,
	})
}
