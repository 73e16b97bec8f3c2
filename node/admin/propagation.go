package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"portico/node/httperr"
)

// propagationWait bounds how long a write waits for other members to serve it.
const propagationWait = 10 * time.Second

// Wait modes of a write: how many members must serve it before the answer.
const (
	waitNone   = "none"
	waitQuorum = "quorum"
	waitAll    = "all"
)

// propagation reports which members serve a write's index and how long after it was accepted.
type propagation struct {
	Wait     string    `json:"wait"`
	Complete bool      `json:"complete"`
	Nodes    []nodeLag `json:"nodes"`
}

// nodeLag is one member's receipt: the index it serves and the time from the write's acceptance to serving it.
type nodeLag struct {
	ID          string  `json:"id"`
	ServedIndex uint64  `json:"servedIndex,omitempty"`
	LagMs       float64 `json:"lagMs,omitempty"`
	OK          bool    `json:"ok"`
	Error       string  `json:"error,omitempty"`
}

// waitMode reads ?wait=; absent is none.
func waitMode(r *http.Request) (string, error) {
	switch m := r.URL.Query().Get("wait"); m {
	case "", waitNone:
		return waitNone, nil
	case waitQuorum, waitAll:
		return m, nil
	default:
		return "", httperr.New(http.StatusBadRequest, fmt.Sprintf("wait: %q is not one of all, quorum, none", m))
	}
}

// propagate waits until all members, or a majority of voters, serve idx (bounded), measuring each member's lag from
// accepted. It returns nil for wait none.
func (a *Admin) propagate(ctx context.Context, mode string, idx uint64, accepted time.Time) *propagation {
	if mode == waitNone {
		return nil
	}
	p := &propagation{Wait: mode}
	members, err := a.store.Members()
	if err != nil {
		p.Nodes = []nodeLag{{ID: a.nodeID, Error: "reading the raft configuration failed: " + err.Error()}}
		return p
	}
	need, voters := len(members), 0
	for _, m := range members {
		if m.Voter {
			voters++
		}
	}
	if mode == waitQuorum {
		need = voters/2 + 1
	}
	ctx, cancel := context.WithTimeout(ctx, propagationWait)
	defer cancel()
	p.Nodes = make([]nodeLag, len(members))
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		done int
	)
	for i, m := range members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lag := a.receipt(ctx, m.ID, idx, accepted)
			mu.Lock()
			defer mu.Unlock()
			p.Nodes[i] = lag
			if lag.OK && (m.Voter || mode == waitAll) {
				done++
				if done >= need {
					cancel()
				}
			}
		}()
	}
	wg.Wait()
	p.Complete = done >= need
	return p
}

// receipt waits until member id serves idx.
func (a *Admin) receipt(ctx context.Context, id string, idx uint64, accepted time.Time) nodeLag {
	lag := nodeLag{ID: id}
	if id == a.nodeID || a.peers == nil {
		lag.OK = a.waitServed(ctx, idx, propagationWait)
		lag.ServedIndex = a.served()
	} else {
		var out struct {
			ServedIndex uint64 `json:"servedIndex"`
			OK          bool   `json:"ok"`
		}
		ms := strconv.FormatInt(propagationWait.Milliseconds(), 10)
		path := "/internal/v1/served?index=" + strconv.FormatUint(idx, 10) + "&timeoutMs=" + ms
		if err := a.peerJSON(ctx, id, path, &out); err != nil {
			lag.Error = err.Error()
			if errors.Is(ctx.Err(), context.Canceled) {
				lag.Error = "not waited for: enough members serve it"
			}
			return lag
		}
		lag.OK, lag.ServedIndex = out.OK, out.ServedIndex
	}
	switch {
	case lag.OK:
		lag.LagMs = float64(time.Since(accepted).Microseconds()) / 1000
	case errors.Is(ctx.Err(), context.Canceled):
		lag.Error = "not waited for: enough members serve it"
	case lag.Error == "":
		lag.Error = fmt.Sprintf("does not serve index %d after %s", idx, propagationWait)
	}
	return lag
}
