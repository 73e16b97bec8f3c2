package gateway

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync/atomic"
)

// idGen makes request IDs: a random per-process prefix and a counter, so IDs are unique without per-request
// randomness.
type idGen struct {
	prefix string
	n      atomic.Uint64
}

func newIDGen() (*idGen, error) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("seeding request IDs: %w", err)
	}
	return &idGen{prefix: hex.EncodeToString(b[:]) + "-"}, nil
}

// next returns a new request ID, for example "3f9a2c01b7de-1k".
func (g *idGen) next() string {
	var buf [32]byte
	b := append(buf[:0], g.prefix...)
	b = strconv.AppendUint(b, g.n.Add(1), 36)
	return string(b)
}
