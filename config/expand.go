package config

import (
	"fmt"
	"regexp"
	"strings"
)

// envName is a portable environment variable name (POSIX: letters, digits,
// underscore, not starting with a digit).
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// expand replaces ${VAR} and ${VAR:-default} in s with values from getenv.
// "$${" is a literal "${". A "$" not followed by "{" is kept as is, so values
// such as regular expressions or passwords-in-tests need no escaping.
//
// An unset (or empty) variable without a default is an error naming it:
// silently publishing to "https:///legacy/" because CI lacked a variable is
// worse than stopping.
func expand(s string, getenv func(string) string) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "$${"):
			b.WriteString("${")
			i += 3
		case strings.HasPrefix(s[i:], "${"):
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return "", fmt.Errorf("unterminated %q: close it with \"}\" (write \"$${\" for a literal \"${\")", s[i:])
			}
			expr := s[i+2 : i+2+end]
			val, err := lookup(expr, getenv)
			if err != nil {
				return "", err
			}
			b.WriteString(val)
			i += 2 + end + 1
		default:
			b.WriteByte(s[i])
			i++
		}
	}
	return b.String(), nil
}

// lookup resolves the inside of one ${...}.
func lookup(expr string, getenv func(string) string) (string, error) {
	name, def, hasDefault := strings.Cut(expr, ":-")
	if !envName.MatchString(name) {
		return "", fmt.Errorf("${%s}: %q is not a valid environment variable name (letters, digits and _, not starting with a digit; defaults are written ${NAME:-default})", expr, name)
	}
	if v := getenv(name); v != "" {
		return v, nil
	}
	if hasDefault {
		return def, nil
	}
	return "", fmt.Errorf("environment variable %s is not set (export it, or write ${%s:-default} to make it optional)", name, name)
}
