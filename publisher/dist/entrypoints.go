package dist

import (
	"fmt"
	"regexp"
	"strings"
)

// entryPointNameRE is the name pattern of the entry points specification,
// which PyPI enforces for console_scripts and gui_scripts: a script name is a
// bare name, never a path.
var entryPointNameRE = regexp.MustCompile(`^[\p{L}\p{N}_.-]+$`)

// entryPointsErrors checks entry_points.txt the way PyPI does: a valid INI
// file (Python's configparser with "=" as the only delimiter, duplicate
// sections and keys refused) whose console_scripts and gui_scripts have
// valid names.
func entryPointsErrors(data []byte) []string {
	if !isUTF8(data) {
		return []string{"not valid UTF-8"}
	}
	var errs []string
	sections := map[string]map[string]bool{}
	var cur string
	var curKeys map[string]bool
	lastWasOption := false
	for i, raw := range splitLines(string(data)) {
		line := strings.TrimSpace(raw)
		n := i + 1
		if line == "" {
			lastWasOption = false
			continue
		}
		if strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";") {
			continue
		}
		indented := raw[0] == ' ' || raw[0] == '\t'
		if indented && lastWasOption {
			continue // continuation of the previous value
		}
		if strings.HasPrefix(line, "[") {
			end := strings.Index(line, "]")
			if end < 0 {
				return append(errs, fmt.Sprintf("line %d: unterminated section header %q", n, line))
			}
			cur = line[1:end]
			if sections[cur] != nil {
				return append(errs, fmt.Sprintf("line %d: section [%s] appears twice", n, cur))
			}
			curKeys = map[string]bool{}
			sections[cur] = curKeys
			lastWasOption = false
			continue
		}
		if curKeys == nil {
			return append(errs, fmt.Sprintf("line %d: %q comes before any [section] header", n, line))
		}
		key, _, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" {
			return append(errs, fmt.Sprintf("line %d: expected \"name = value\", got %q", n, line))
		}
		if curKeys[key] {
			return append(errs, fmt.Sprintf("line %d: %q appears twice in [%s]", n, key, cur))
		}
		curKeys[key] = true
		lastWasOption = true
		if (cur == "console_scripts" || cur == "gui_scripts") && !entryPointNameRE.MatchString(key) {
			errs = append(errs, fmt.Sprintf("invalid entry point name %q in [%s]: a script name may contain only letters, digits, '_', '.' and '-' (no paths)", key, cur))
		}
	}
	return errs
}
