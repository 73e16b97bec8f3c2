package abi

// API keys have the form "pk_" + ID + "_" + secret, where ID is KeyIDLen lowercase hex characters (public, shown in
// listings) and secret is random base64url. The whole key is hashed with SHA-256 for storage and comparison.
const (
	KeyPrefix = "pk_"
	KeyIDLen  = 16
)

// ParseAPIKey returns the public ID of a well-formed API key.
func ParseAPIKey(key string) (id string, ok bool) {
	n := len(KeyPrefix) + KeyIDLen
	if len(key) <= n+1 || key[:len(KeyPrefix)] != KeyPrefix || key[n] != '_' {
		return "", false
	}
	id = key[len(KeyPrefix):n]
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return "", false
		}
	}
	return id, true
}

// FormatAPIKey builds a key from its ID and secret.
func FormatAPIKey(id, secret string) string { return KeyPrefix + id + "_" + secret }
