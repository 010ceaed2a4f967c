package mlw

import (
	"strconv"
	"strings"
)

// Ref names a dataset or a model: "NAME" (the latest version), "NAME@N" (version N)
// or "NAME@alias" (the version an alias points to).
type Ref struct {
	Name    string
	Version int    // 0 when not given
	Alias   string // "" when not given
}

// String formats the reference as the user would write it.
func (r Ref) String() string {
	switch {
	case r.Version > 0:
		return r.Name + "@" + strconv.Itoa(r.Version)
	case r.Alias != "":
		return r.Name + "@" + r.Alias
	default:
		return r.Name
	}
}

// ParseRef parses "NAME", "NAME@N" or "NAME@alias". Names are validated with ValidName.
func ParseRef(s string) (Ref, error) {
	name, after, found := strings.Cut(s, "@")
	if err := ValidName(name); err != nil {
		return Ref{}, err
	}
	r := Ref{Name: name}
	if !found {
		return r, nil
	}
	if after == "" {
		return Ref{}, Errorf(EINVALID, "reference %q: nothing after @ (want NAME@N or NAME@alias)", s)
	}
	if n, err := strconv.Atoi(after); err == nil {
		if n <= 0 {
			return Ref{}, Errorf(EINVALID, "reference %q: version must be 1 or more", s)
		}
		r.Version = n
		return r, nil
	}
	if after[0] >= '0' && after[0] <= '9' {
		return Ref{}, Errorf(EINVALID, "reference %q: version %q is not a whole number", s, after)
	}
	if err := ValidName(after); err != nil {
		return Ref{}, Errorf(EINVALID, "reference %q: alias: %s", s, err.(*Error).Message)
	}
	r.Alias = after
	return r, nil
}

// ValidName reports whether s can name a dataset, model, endpoint or alias: 1 to 64
// characters from letters, digits, '-', '_' and '.', starting with a letter or digit.
func ValidName(s string) error {
	if s == "" {
		return Errorf(EINVALID, "name is empty")
	}
	if len(s) > 64 {
		return Errorf(EINVALID, "name %q is longer than 64 characters", s)
	}
	for i, c := range s {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if i > 0 {
			ok = ok || c == '-' || c == '_' || c == '.'
		}
		if !ok {
			return Errorf(EINVALID, "name %q: character %q at position %d is not allowed (use letters, digits, '-', '_' and '.', starting with a letter or digit)", s, c, i+1)
		}
	}
	return nil
}
