package state

// SigningAlgES256 is the algorithm of the cluster's token signing keys.
const SigningAlgES256 = "ES256"

// SigningKey is a key the cluster signs access tokens with. The private key is kept only sealed with the cluster key.
type SigningKey struct {
	KID       string `json:"kid"`    // 16 lowercase hex digits
	Alg       string `json:"alg"`    // SigningAlgES256
	Public    []byte `json:"public"` // PKIX DER
	Sealed    []byte `json:"sealed"` // PKCS#8 DER private key sealed with AES-256-GCM under the cluster key: nonce||ciphertext
	CreatedAt int64  `json:"createdAt"`
	RetiredAt int64  `json:"retiredAt,omitempty"` // 0 = current; set when a newer key becomes current
}
