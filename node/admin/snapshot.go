package admin

import (
	"context"
	"net/http"
	"strconv"
	"time"
)

// restoreWait bounds a restore: reading the backup and installing it on the leader.
const restoreWait = 2 * time.Minute

// saveSnapshot streams a backup of the whole replicated state (secrets are stored hashed). The read is
// linearizable like every other; X-Portico-Index names the index the backup holds.
func (a *Admin) saveSnapshot(w http.ResponseWriter, r *http.Request) error {
	st := a.store.State()
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", `attachment; filename="portico-`+strconv.FormatUint(st.Index, 10)+`.snap"`)
	h.Set("X-Portico-Index", strconv.FormatUint(st.Index, 10))
	w.WriteHeader(http.StatusOK)
	if err := a.store.WriteBackup(w); err != nil {
		// The status is sent: abort the response so that the client sees a broken body, not a short backup.
		a.log.Error("writing backup failed", "err", err, "requestId", requestIDFrom(r.Context()))
		panic(http.ErrAbortHandler)
	}
	return nil
}

// restoreSnapshot replaces the whole replicated state with a backup, on every node (leader only; a follower
// forwards). This cluster's member registry is kept.
func (a *Admin) restoreSnapshot(w http.ResponseWriter, r *http.Request) error {
	if err := checkMediaType(r.Header.Get("Content-Type"), []string{"application/octet-stream"}); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(r.Context(), restoreWait)
	defer cancel()
	if err := a.store.RestoreBackup(ctx, r.Body); err != nil {
		return a.applyError(err)
	}
	idx := a.store.State().Index
	a.log.Info("state restored from a backup", "index", idx)
	return writeJSON(w, http.StatusOK, map[string]any{"restored": true, "index": idx})
}
