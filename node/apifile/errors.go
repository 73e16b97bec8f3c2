package apifile

import "fmt"

// FieldError is a refusal naming the field at fault, as a path such as "operations[1].path". Field is empty for
// errors about the document as a whole; Line is the 1-based line of the field in the file, 0 if unknown.
type FieldError struct {
	Field string
	Line  int
	Msg   string
}

func (e *FieldError) Error() string {
	s := e.Msg
	if e.Field != "" {
		s = e.Field + ": " + s
	}
	if e.Line > 0 {
		s += fmt.Sprintf(" (line %d)", e.Line)
	}
	return s
}

// joinPath appends a field name to a path.
func joinPath(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

// indexPath appends a list index to a path.
func indexPath(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

var _ error = (*FieldError)(nil)
