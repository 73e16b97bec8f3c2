package token

import (
	"bytes"
	"strings"
	"sync"

	"portico/raftstore/state"
)

// verifiedCacheBytes bounds the memory of the cache of verified tokens (the tokens themselves).
const verifiedCacheBytes = 4 << 20

// verifiedCache remembers tokens whose signature and header were found good, so that a client presenting the same
// token again costs a map lookup instead of an ECDSA verification. Entries are keyed by the exact token text and
// carry the public key that verified them: a hit still requires that key in the state and passes every claim check
// (times, use, revocation) again. When full, the cache starts over.
type verifiedCache struct {
	mu      sync.RWMutex
	entries map[string]*verified
	bytes   int
}

// verified is a token whose signature, header and encoding were checked.
type verified struct {
	claims Claims
	use    string
	kid    string
	der    []byte // the public key that verified the signature
}

func (c *verifiedCache) get(token string) *verified {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.entries[token]
}

func (c *verifiedCache) put(token string, v *verified) {
	size := len(token) + 512
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || c.bytes+size > verifiedCacheBytes {
		c.entries = make(map[string]*verified)
		c.bytes = 0
	}
	if _, ok := c.entries[token]; !ok {
		c.entries[strings.Clone(token)] = v
		c.bytes += size
	}
}

// stillSigned reports whether the key that verified v is still in the state under its kid.
func (v *verified) stillSigned(st *state.State) bool {
	sk, ok := st.SigningKeys[v.kid]
	return ok && sk.Alg == AlgES256 && bytes.Equal(sk.Public, v.der)
}
