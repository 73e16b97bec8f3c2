package state

import "regexp"

// User is an account of the admin API and of the OAuth2 password grant. Only a PBKDF2-SHA256 derived key of the
// password is kept.
type User struct {
	Name         string `json:"name"`                   // see ValidUserName
	Role         string `json:"role"`                   // RoleAdmin, RolePublisher or RoleSubscriber
	PasswordHash []byte `json:"passwordHash,omitempty"` // nil = no password: cannot log in or use the password grant
	Salt         []byte `json:"salt,omitempty"`
	Iterations   int    `json:"iterations,omitempty"`
	CreatedAt    int64  `json:"createdAt"`
}

var userNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// ValidUserName reports whether name is a valid user name: [a-z0-9][a-z0-9._-]{0,63}.
func ValidUserName(name string) bool { return userNameRE.MatchString(name) }

// ValidRole reports whether role is one of Roles.
func ValidRole(role string) bool {
	return role == RoleAdmin || role == RolePublisher || role == RoleSubscriber
}
