package oauth

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"

	"portico/raftstore/state"
)

// Password hashing parameters: PBKDF2-SHA256 with a 16-byte random salt and 210000 iterations (OWASP 2023), a 32-byte
// derived key.
const (
	PasswordIterations = 210000
	saltSize           = 16
	keySize            = 32
	// maxIterations bounds the work a stored user record can ask for.
	maxIterations = 10_000_000
	// maxPassword bounds the length of a password checked.
	maxPassword = 1024
)

// HashPassword derives the stored key of a password: PBKDF2-SHA256 with a new random 16-byte salt and
// PasswordIterations iterations.
func HashPassword(password string) (hash, salt []byte, iterations int, err error) {
	if password == "" {
		return nil, nil, 0, fmt.Errorf("hashing a password: the password is empty")
	}
	salt = make([]byte, saltSize)
	if _, err := rand.Read(salt); err != nil {
		return nil, nil, 0, fmt.Errorf("hashing a password: reading a salt: %w", err)
	}
	hash, err = pbkdf2.Key(sha256.New, password, salt, PasswordIterations, keySize)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("hashing a password: %w", err)
	}
	return hash, salt, PasswordIterations, nil
}

// VerifyPassword reports whether password is the user's: it derives the key with the user's salt and iteration count
// and compares it in constant time. A user without a password, or a record with an unusable iteration count, never
// matches.
func VerifyPassword(u *state.User, password string) bool {
	if u == nil || len(u.PasswordHash) == 0 || len(u.Salt) == 0 || password == "" || len(password) > maxPassword {
		return false
	}
	if u.Iterations < 1 || u.Iterations > maxIterations {
		return false
	}
	got, err := pbkdf2.Key(sha256.New, password, u.Salt, u.Iterations, len(u.PasswordHash))
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(got, u.PasswordHash) == 1
}

// dummyUser is checked when a user name is unknown, so that an unknown name costs the same time as a wrong password.
var dummyUser = &state.User{
	Name:         "unknown",
	PasswordHash: make([]byte, keySize),
	Salt:         make([]byte, saltSize),
	Iterations:   PasswordIterations,
}
