package raftstore

import "sync"

// watchers wakes every registered channel after a state is published. Each channel has capacity 1 and is sent to
// without blocking, so notifications coalesce and a slow watcher never stalls the FSM.
type watchers struct {
	mu   sync.Mutex
	next uint64
	chs  map[uint64]chan struct{}
}

func newWatchers() *watchers { return &watchers{chs: map[uint64]chan struct{}{}} }

// add registers a new channel and returns it with the func that unregisters it (idempotent).
func (w *watchers) add() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	w.mu.Lock()
	id := w.next
	w.next++
	w.chs[id] = ch
	w.mu.Unlock()
	return ch, func() {
		w.mu.Lock()
		delete(w.chs, id)
		w.mu.Unlock()
	}
}

func (w *watchers) notify() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, ch := range w.chs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}
