package state

// Document is a named piece of documentation attached to an API version (markdown or plain text).
type Document struct {
	Name      string `json:"name"`
	Body      string `json:"body"`
	UpdatedAt int64  `json:"updatedAt"` // unix milliseconds, set by the proposer
}
