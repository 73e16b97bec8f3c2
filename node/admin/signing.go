package admin

import (
	"cmp"
	"net/http"
	"slices"

	"portico/node/httperr"
	"portico/raftstore"
)

// signingKeyView is a token signing key on the wire: never its sealed private half.
type signingKeyView struct {
	KID       string `json:"kid"`
	Alg       string `json:"alg"`
	CreatedAt int64  `json:"createdAt"`
	RetiredAt int64  `json:"retiredAt"`
}

// rotatedKey answers a rotation: the new current key and the key it retired ("" if there was none).
type rotatedKey struct {
	KID       string `json:"kid"`
	CreatedAt int64  `json:"createdAt"`
	Retired   string `json:"retired"`
}

// signingRoutes registers the endpoints of the token signing keys (admins only).
func (a *Admin) signingRoutes() {
	a.handle("POST /v1/signing-keys/rotate", a.only("rotate signing keys", adminOnly, a.rotateSigningKey))
	a.handle("GET /v1/signing-keys", a.only("list signing keys", adminOnly, a.listSigningKeys))
}

// rotateSigningKey makes a new signing key current; the previous one stays published for verification until the
// tokens it signed have expired.
func (a *Admin) rotateSigningKey(w http.ResponseWriter, r *http.Request) error {
	if a.newSigningKey == nil {
		return httperr.New(http.StatusServiceUnavailable,
			"no cluster key: this node cannot seal signing keys (start it with a cluster key)")
	}
	retired := ""
	if cur, ok := a.store.State().CurrentSigningKey(); ok {
		retired = cur.KID
	}
	key, err := a.newSigningKey(a.now())
	if err != nil {
		return httperr.Wrap(http.StatusInternalServerError, "internal error", err)
	}
	res, err := a.apply(r, raftstore.AddSigningKey{Key: key})
	if err != nil {
		return err
	}
	added, err := result[raftstore.AddSigningKeyResult](res)
	if err != nil {
		return err
	}
	if added.Key != nil && added.Key.KID != key.KID {
		return httperr.New(http.StatusConflict, "this Idempotency-Key already rotated the signing key (to "+
			added.Key.KID+"): rotate again with a new Idempotency-Key")
	}
	return writeJSON(w, http.StatusOK, rotatedKey{KID: key.KID, CreatedAt: key.CreatedAt, Retired: retired})
}

// listSigningKeys lists the signing keys, oldest first.
func (a *Admin) listSigningKeys(w http.ResponseWriter, r *http.Request) error {
	keys := a.store.State().SigningKeys
	out := make([]signingKeyView, 0, len(keys))
	for _, k := range keys {
		out = append(out, signingKeyView{KID: k.KID, Alg: k.Alg, CreatedAt: k.CreatedAt, RetiredAt: k.RetiredAt})
	}
	slices.SortFunc(out, func(x, y signingKeyView) int {
		return cmp.Or(cmp.Compare(x.CreatedAt, y.CreatedAt), cmp.Compare(x.KID, y.KID))
	})
	return writeJSON(w, http.StatusOK, out)
}
