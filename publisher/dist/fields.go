package dist

import (
	"fmt"
	"net/mail"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/github/go-spdx/v2/spdxexp/spdxlicenses"
)

// Validators for single core metadata fields, each mirroring what PyPI
// (packaging.metadata plus Warehouse's own rules) accepts.

// CanonicalLicenseExpression validates an SPDX License-Expression the way
// packaging.licenses.canonicalize_license_expression does (which is what PyPI
// runs) and returns its canonical spelling: known SPDX license and exception
// identifiers (case-insensitive, from github.com/github/go-spdx), AND/OR/WITH
// and parentheses, a trailing "+" on a license, and LicenseRef-[A-Za-z0-9.-]*.
func CanonicalLicenseExpression(expr string) (string, error) {
	if strings.TrimSpace(expr) == "" {
		return "", fmt.Errorf("invalid license expression: %q", expr)
	}
	padded := strings.NewReplacer("(", " ( ", ")", " ) ").Replace(expr)
	tokens := strings.Fields(padded)
	// Grammar: operands and operators alternate, parentheses balance, an
	// opening parenthesis follows an operator or starts the expression.
	depth, expectOperand := 0, true
	for i, t := range tokens {
		switch lt := strings.ToLower(t); lt {
		case "(":
			if !expectOperand || (i > 0 && !isLicenseOperator(tokens[i-1]) && tokens[i-1] != "(") {
				return "", fmt.Errorf("invalid license expression: %q", expr)
			}
			depth++
		case ")":
			if expectOperand || depth == 0 {
				return "", fmt.Errorf("invalid license expression: %q", expr)
			}
			depth--
		case "and", "or", "with":
			if expectOperand {
				return "", fmt.Errorf("invalid license expression: %q", expr)
			}
			expectOperand = true
		default:
			if !expectOperand {
				return "", fmt.Errorf("invalid license expression: %q", expr)
			}
			expectOperand = false
		}
	}
	if expectOperand || depth != 0 {
		return "", fmt.Errorf("invalid license expression: %q", expr)
	}
	out := make([]string, 0, len(tokens))
	for i, t := range tokens {
		lt := strings.ToLower(t)
		switch lt {
		case "(", ")":
			out = append(out, t)
			continue
		case "and", "or", "with":
			out = append(out, strings.ToUpper(lt))
			continue
		}
		if i > 0 && strings.EqualFold(tokens[i-1], "with") {
			ok, id := spdxlicenses.IsException(t)
			if !ok {
				return "", fmt.Errorf("unknown license exception: %q", lt)
			}
			out = append(out, id)
			continue
		}
		base, suffix := t, ""
		if strings.HasSuffix(base, "+") {
			base, suffix = base[:len(base)-1], "+"
		}
		if len(base) >= len("licenseref-") && strings.EqualFold(base[:len("licenseref-")], "licenseref-") {
			rest := base[len("licenseref-"):]
			if !licenseRefRE.MatchString(rest) {
				return "", fmt.Errorf("invalid licenseref: %q", strings.ToLower(base))
			}
			out = append(out, "LicenseRef-"+rest+suffix)
			continue
		}
		if ok, id := spdxlicenses.IsActiveLicense(base); ok {
			out = append(out, id+suffix)
			continue
		}
		if ok, id := spdxlicenses.IsDeprecatedLicense(base); ok {
			out = append(out, id+suffix)
			continue
		}
		return "", fmt.Errorf("unknown license: %q", strings.ToLower(base))
	}
	return strings.NewReplacer("( ", "(", " )", ")").Replace(strings.Join(out, " ")), nil
}

var licenseRefRE = regexp.MustCompile(`^[A-Za-z0-9.-]*$`)

func isLicenseOperator(t string) bool {
	switch strings.ToLower(t) {
	case "and", "or", "with":
		return true
	}
	return false
}

// licenseFileError checks a License-File path as packaging does: relative,
// "/"-separated, resolved (no globs), no parent directory references.
func licenseFileError(p string) string {
	switch {
	case strings.Contains(p, ".."):
		return "parent directory indicators are not allowed"
	case strings.Contains(p, "*"):
		return "paths must be resolved (no glob patterns)"
	case strings.HasPrefix(p, "/") || strings.HasPrefix(p, `\`) || windowsAbsRE.MatchString(p):
		return "paths must be relative"
	case strings.Contains(p, `\`):
		return "paths must use '/' delimiter"
	}
	return ""
}

var windowsAbsRE = regexp.MustCompile(`^[A-Za-z]:`)

// importNameError checks an Import-Name or Import-Namespace value
// (Metadata 2.5, PEP 794) as packaging does: a dotted name of Python
// identifiers, none a keyword, optionally followed by "; private".
func importNameError(v string) string {
	name, option, hasOption := strings.Cut(v, ";")
	name = strings.TrimRight(name, " \t")
	for _, part := range strings.Split(name, ".") {
		if !isPythonIdentifier(part) {
			return fmt.Sprintf("%q is not a valid Python identifier", part)
		}
		if pythonKeywords[part] {
			return fmt.Sprintf("%q is a Python keyword", part)
		}
	}
	if hasOption && strings.TrimLeft(option, " \t") != "private" {
		return "the only option after ';' is 'private'"
	}
	return ""
}

// isPythonIdentifier is str.isidentifier: a letter or '_' (XID_Start),
// then letters, digits, marks, connector punctuation (XID_Continue).
func isPythonIdentifier(s string) bool {
	for i, r := range s {
		switch {
		case r == '_' || unicode.IsLetter(r) || unicode.Is(unicode.Nl, r):
		case i > 0 && (unicode.IsDigit(r) || unicode.In(r, unicode.Mn, unicode.Mc, unicode.Nd, unicode.Pc)):
		default:
			return false
		}
	}
	return s != ""
}

// pythonKeywords are keyword.kwlist.
var pythonKeywords = set("False", "None", "True", "and", "as", "assert", "async", "await", "break",
	"class", "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global",
	"if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try",
	"while", "with", "yield")

// validHTTPURL mirrors Warehouse's is_valid_uri(require_authority=False): an
// absolute http or https URL whose parts are well formed.
func validHTTPURL(s string) bool {
	if s == "" || strings.ContainsAny(s, " \t\r\n<>\"{}|\\^`") {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	default:
		return false
	}
	if u.Opaque != "" {
		return false
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n > 65535 {
			return false
		}
	}
	return true
}

// specialUseDomains are the names email_validator (used by PyPI) refuses as
// the last label of an address's domain.
var specialUseDomains = set("arpa", "invalid", "local", "localhost", "onion", "test")

var emailAddrLikeRE = regexp.MustCompile(`[^\s<>,;"()]+@[^\s<>,;"()]+`)

// emailErrors validates the addresses in an Author-email style field
// ("Name <a@example.org>, b@example.org"); it returns one message per invalid
// address.
func emailErrors(field string) []string {
	var addrs []string
	if list, err := mail.ParseAddressList(field); err == nil {
		for _, a := range list {
			addrs = append(addrs, a.Address)
		}
	} else {
		addrs = emailAddrLikeRE.FindAllString(field, -1)
	}
	var errs []string
	for _, a := range addrs {
		if msg := emailAddressError(a); msg != "" {
			errs = append(errs, fmt.Sprintf("%q is not a valid email address: %s", a, msg))
		}
	}
	return errs
}

var domainLabelRE = regexp.MustCompile(`^[\p{L}\p{N}]([\p{L}\p{N}-]*[\p{L}\p{N}])?$`)

func emailAddressError(a string) string {
	local, domain, ok := strings.Cut(a, "@")
	switch {
	case !ok || strings.Contains(domain, "@"):
		return "an email address must have exactly one @-sign"
	case local == "":
		return "there must be something before the @-sign"
	case domain == "":
		return "there must be something after the @-sign"
	case !strings.Contains(domain, "."):
		return "the part after the @-sign is not valid: it should have a period"
	}
	labels := strings.Split(strings.TrimSuffix(domain, "."), ".")
	for _, l := range labels {
		if !domainLabelRE.MatchString(l) {
			return fmt.Sprintf("the part after the @-sign (%s) is not a valid domain name", domain)
		}
	}
	tld := strings.ToLower(labels[len(labels)-1])
	if isDigits(tld) {
		return "the part after the @-sign is not valid: it is not within a valid top-level domain"
	}
	if specialUseDomains[tld] {
		return fmt.Sprintf("the part after the @-sign is a special-use or reserved name (.%s) that cannot receive email", tld)
	}
	return ""
}

// contentTypeError checks Description-Content-Type as packaging does:
// text/plain, text/x-rst or text/markdown; charset UTF-8 if given; Markdown
// variant GFM or CommonMark if given.
func contentTypeError(v string) string {
	mediaType, params, _ := strings.Cut(v, ";")
	mt := strings.ToLower(strings.TrimSpace(mediaType))
	switch mt {
	case "text/plain", "text/x-rst", "text/markdown":
	default:
		return fmt.Sprintf("Description-Content-Type must be one of text/plain, text/x-rst or text/markdown, not %q", v)
	}
	charset, variant := "UTF-8", "GFM"
	for _, p := range splitParams(params) {
		k, val, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		val = strings.Trim(strings.TrimSpace(val), `"`)
		switch k {
		case "charset":
			charset = val
		case "variant":
			variant = val
		}
	}
	if !strings.EqualFold(charset, "UTF-8") {
		return fmt.Sprintf("Description-Content-Type can only specify the UTF-8 charset, not %q", charset)
	}
	if mt == "text/markdown" && variant != "GFM" && variant != "CommonMark" {
		return fmt.Sprintf("valid Markdown variants for Description-Content-Type are GFM and CommonMark, not %q", variant)
	}
	return ""
}

func splitParams(s string) []string {
	var out []string
	inQuote, start := false, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			inQuote = !inQuote
		case ';':
			if !inQuote {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// cleanArchivePath reports whether name is a safe relative member path.
func unsafeMemberPath(name string) string {
	n := strings.ReplaceAll(name, `\`, "/")
	switch {
	case strings.HasPrefix(n, "/"):
		return "is an absolute path"
	case windowsAbsRE.MatchString(n):
		return "is an absolute Windows path"
	}
	if len(n) > maxMemberPath {
		return fmt.Sprintf("is a %d-byte path; installers cannot create paths over %d bytes (PATH_MAX)", len(n), maxMemberPath)
	}
	for _, part := range strings.Split(n, "/") {
		if part == ".." {
			return "contains \"..\", which would escape the extraction directory"
		}
		if len(part) > maxPathComponent {
			return fmt.Sprintf("has a %d-byte path component; file systems allow %d bytes (NAME_MAX)", len(part), maxPathComponent)
		}
	}
	return ""
}

// Limits of the file systems a distribution is installed on: no member
// longer than PATH_MAX (Linux: 4096, minus room for the install prefix)
// or with a component longer than NAME_MAX can be extracted anywhere.
const (
	maxMemberPath    = 3072
	maxPathComponent = 255
)

// linkEscapes reports whether a symlink at member name pointing at target
// resolves outside root (the archive's top directory, "" for the archive root).
func linkEscapes(root, name, target string) bool {
	t := strings.ReplaceAll(target, `\`, "/")
	if strings.HasPrefix(t, "/") || windowsAbsRE.MatchString(t) {
		return true
	}
	resolved := path.Clean(path.Join(path.Dir(strings.ReplaceAll(name, `\`, "/")), t))
	if resolved == ".." || strings.HasPrefix(resolved, "../") {
		return true
	}
	if root == "" {
		return false
	}
	return resolved != root && !strings.HasPrefix(resolved, root+"/")
}
