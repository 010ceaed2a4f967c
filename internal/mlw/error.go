// Package mlw holds the domain records shared by every part of mlw: datasets and
// their versions, splits, runs, model versions and aliases, deployments, audit
// events, references such as NAME@N, and the one application error type.
//
// It imports only the standard library so that every other package may import it.
package mlw

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to one exit status in the CLI and one HTTP status in the server.
const (
	ECONFLICT    = "conflict"    // the action conflicts with existing state (duplicate, stale write)
	EINTERNAL    = "internal"    // a fault inside mlw or a dependency; details are logged, not shown
	EINVALID     = "invalid"     // the input is malformed or breaks a rule
	ENOTFOUND    = "not_found"   // the thing named does not exist
	EUNAVAILABLE = "unavailable" // a resource (store, artifact backend) is locked, down or unreachable
	EFORBIDDEN   = "forbidden"   // the action is refused by a policy or a missing credential
)

// Error is the application error: a code a program can act on and a message a
// person can read. Messages name the file, line, column, field or flag at fault.
type Error struct {
	Code    string
	Message string
	// Hint, when set, tells the user what to try ("Try: mlw init --name NAME").
	Hint string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return e.Message
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WithHint returns a copy of e with a hint set.
func (e *Error) WithHint(format string, args ...any) *Error {
	c := *e
	c.Hint = fmt.Sprintf(format, args...)
	return &c
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for any
// other non-nil error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the first *Error in err's chain, prefixed by
// any context wrapped around it. Foreign errors give "internal error" so that users
// never see driver details through this function.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return err.Error()
	}
	return "internal error"
}

// ErrorHint returns the hint of the first *Error in err's chain, or "".
func ErrorHint(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Hint
	}
	return ""
}
