package credential

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/endpoint"
)

// APITokenPrefix starts every API token Warehouse (PyPI, TestPyPI) issues:
// "pypi-" followed by a serialized macaroon.
const APITokenPrefix = "pypi-"

// The ways an API token can be malformed. Their texts never contain the token.
var (
	ErrNoPrefix     = errors.New("does not start with " + APITokenPrefix)
	ErrNotBase64    = errors.New("what follows " + APITokenPrefix + " is not base64")
	ErrNotMacaroon  = errors.New("what follows " + APITokenPrefix + " is not a complete macaroon")
	errMacaroonTail = errors.New("macaroon ends early")
)

// TokenInfo is what a Warehouse API token says about itself, read without
// its key: a macaroon is signed, not encrypted.
type TokenInfo struct {
	// Location is the domain that issued the token: "pypi.org" or
	// "test.pypi.org" for the public instances (Warehouse writes the
	// request's domain there), anything for other Warehouses.
	Location string
	// Caveats is how many restrictions the token carries (project scope,
	// expiry...).
	Caveats int
}

// ParseAPIToken decodes an API token in Warehouse's format: the prefix
// "pypi-" and a base64 (URL-safe or standard, padding optional) macaroon in
// libmacaroons' binary format v2 (what Warehouse writes) or v1. It checks
// the structure only, as Warehouse's deserialisation does before looking
// the token up; errors never contain the token.
func ParseAPIToken(secret string) (TokenInfo, error) {
	prefix, raw, ok := strings.Cut(secret, "-")
	if !ok || prefix != strings.TrimSuffix(APITokenPrefix, "-") || raw == "" {
		return TokenInfo{}, ErrNoPrefix
	}
	b, err := decodeBase64(raw)
	if err != nil {
		return TokenInfo{}, ErrNotBase64
	}
	var info TokenInfo
	switch {
	case len(b) > 0 && b[0] == 2:
		info, err = parseMacaroonV2(b[1:])
	case len(b) > 0 && isHexDigit(b[0]):
		info, err = parseMacaroonV1(b)
	default:
		err = errMacaroonTail
	}
	if err != nil {
		return TokenInfo{}, ErrNotMacaroon
	}
	return info, nil
}

// decodeBase64 decodes at least what pymacaroons decodes (Python's
// non-strict base64: either alphabet, padding optional, characters outside
// the alphabet skipped), so that no token Warehouse can read is refused.
func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '+', r == '/':
			return r
		case r == '-':
			return '+'
		case r == '_':
			return '/'
		}
		return -1
	}, s)
	return base64.RawStdEncoding.DecodeString(s)
}

func isHexDigit(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' }

// Field types of the v2 format (libmacaroons doc/format.txt).
const (
	fieldEOS        = 0
	fieldLocation   = 1
	fieldIdentifier = 2
	fieldVID        = 4
	fieldSignature  = 6
)

// parseMacaroonV2 reads a v2 macaroon after its version byte: a header
// section (optional location, identifier), caveat sections, an empty
// section, and a 32-byte signature.
func parseMacaroonV2(b []byte) (TokenInfo, error) {
	var info TokenInfo
	b, header, err := v2Section(b)
	if err != nil {
		return info, err
	}
	if len(header) > 0 && header[0].typ == fieldLocation {
		info.Location = string(header[0].data)
		header = header[1:]
	}
	if len(header) != 1 || header[0].typ != fieldIdentifier {
		return info, errMacaroonTail
	}
	for {
		var caveat []v2Field
		b, caveat, err = v2Section(b)
		if err != nil {
			return info, err
		}
		if len(caveat) == 0 {
			break
		}
		if len(caveat) > 0 && caveat[0].typ == fieldLocation {
			caveat = caveat[1:]
		}
		if len(caveat) == 0 || caveat[0].typ != fieldIdentifier || len(caveat) > 2 || len(caveat) == 2 && caveat[1].typ != fieldVID {
			return info, errMacaroonTail
		}
		info.Caveats++
	}
	_, sig, err := v2Field1(b)
	if err != nil || sig.typ != fieldSignature || len(sig.data) != 32 {
		return info, errMacaroonTail
	}
	return info, nil
}

type v2Field struct {
	typ  uint64
	data []byte
}

// v2Section reads fields up to an EOS, in increasing type order.
func v2Section(b []byte) ([]byte, []v2Field, error) {
	var fields []v2Field
	for {
		if len(b) == 0 {
			return nil, nil, errMacaroonTail
		}
		rest, f, err := v2Field1(b)
		if err != nil {
			return nil, nil, err
		}
		b = rest
		if f.typ == fieldEOS {
			return b, fields, nil
		}
		if len(fields) > 0 && f.typ <= fields[len(fields)-1].typ {
			return nil, nil, errMacaroonTail
		}
		fields = append(fields, f)
	}
}

// v2Field1 reads one field: type (uvarint), then for all but EOS a length
// (uvarint) and that many bytes.
func v2Field1(b []byte) ([]byte, v2Field, error) {
	typ, n := binary.Uvarint(b)
	if n <= 0 {
		return nil, v2Field{}, errMacaroonTail
	}
	b = b[n:]
	if typ == fieldEOS {
		return b, v2Field{typ: typ}, nil
	}
	size, n := binary.Uvarint(b)
	if n <= 0 || size > uint64(len(b)-n) {
		return nil, v2Field{}, errMacaroonTail
	}
	b = b[n:]
	return b[size:], v2Field{typ: typ, data: b[:size]}, nil
}

// parseMacaroonV1 reads the v1 format: packets of a 4-hex-digit length
// (counting itself) then "key value\n"; location, identifier, caveats
// ("cid", "vid", "cl") and the signature.
func parseMacaroonV1(b []byte) (TokenInfo, error) {
	var info TokenInfo
	sawID, sawSig := false, false
	for len(b) > 0 {
		if len(b) < 4 {
			return info, errMacaroonTail
		}
		var size int
		if _, err := fmt.Sscanf(string(b[:4]), "%04x", &size); err != nil || size <= 4 || size > len(b) {
			return info, errMacaroonTail
		}
		packet := b[4:size]
		b = b[size:]
		key, value, ok := strings.Cut(string(packet), " ")
		if !ok || !strings.HasSuffix(value, "\n") {
			return info, errMacaroonTail
		}
		value = strings.TrimSuffix(value, "\n")
		switch key {
		case "location":
			info.Location = value
		case "identifier":
			sawID = true
		case "cid":
			info.Caveats++
		case "vid", "cl":
		case "signature":
			sawSig = true
		default:
			return info, errMacaroonTail
		}
	}
	if !sawID || !sawSig {
		return info, errMacaroonTail
	}
	return info, nil
}

// TokenProblem is an API token the index it is for would certainly refuse.
// Its text says why and what to do, and never contains the token.
type TokenProblem struct {
	Origin string // where the token came from, e.g. "PYPI_API_TOKEN"
	Index  string // "PyPI" or "TestPyPI"
	Reason string // what is wrong with it
	Fix    string // what to do
	Err    error  // the shape error, if any (ErrNoPrefix...)
}

func (e *TokenProblem) Error() string {
	return fmt.Sprintf("the API token in %s cannot work on %s: %s. %s", e.Origin, e.Index, e.Reason, e.Fix)
}

func (e *TokenProblem) Unwrap() error { return e.Err }

// tokenPage is where an index's API tokens are created.
func tokenPage(domain string) string { return "https://" + domain + "/manage/account/token/" }

// uploadURL is each public instance's upload endpoint.
var uploadURL = map[string]string{
	endpoint.PyPIDomain:     endpoint.PyPIUploadURL,
	endpoint.TestPyPIDomain: endpoint.TestPyPIUploadURL,
}

// isWarehouse reports whether a token location is PyPI's or TestPyPI's.
func isWarehouse(location string) bool { return uploadURL[location] != "" }

// CheckAPIToken checks the shape of a token about to be sent as an API
// token (user name TokenUser) to the Warehouse instance domain ("pypi.org"
// or "test.pypi.org", as endpoint.Warehouse names it; "" for any other
// index, whose host is host).
//
// For PyPI and TestPyPI it returns a *TokenProblem for what they certainly
// refuse: no "pypi-" prefix, a value that does not decode to a macaroon (cut
// short when copied), an identity token (JWT) put where the API token goes,
// and a token issued by the other instance (a TestPyPI token does not work
// on PyPI, nor the other way round). Other indexes issue tokens of their
// own, so nothing is refused for them; warning is set when the token was
// evidently issued by PyPI or TestPyPI, which is then being sent elsewhere.
// Neither the error nor the warning contains the token.
func CheckAPIToken(secret, origin, domain, host string) (warning string, err error) {
	secret = strings.TrimSpace(secret)
	info, perr := ParseAPIToken(secret)
	if domain == "" {
		if perr == nil && isWarehouse(info.Location) {
			return fmt.Sprintf("the API token in %s was issued by %s, and is about to be sent to %s, which is not %s: "+
				"check the repository URL (and revoke the token if %s should not have it)",
				origin, info.Location, host, endpoint.WarehouseName(info.Location), host), nil
		}
		return "", nil
	}
	name := endpoint.WarehouseName(domain)
	problem := func(reason, fix string) error {
		return &TokenProblem{Origin: origin, Index: name, Reason: reason, Fix: fix, Err: perr}
	}
	create := "Create one at " + tokenPage(domain) + " (it is shown once, whole, starting with pypi-)"
	switch {
	case len(secret) >= 2 && strings.ContainsAny(secret[:1], `"'`) && secret[len(secret)-1] == secret[0]:
		return "", problem("the value is wrapped in quotes, which are not part of the token", "Store the token without the quotes.")
	case strings.ContainsAny(secret, " \t\r\n"):
		// Warehouse's base64 decoding skips it too, so the index decides.
		return fmt.Sprintf("the API token in %s contains whitespace (a line break from copying it?): store it on one line, exactly as shown when it was created", origin), nil
	case perr == nil && info.Location == domain:
		return "", nil
	case perr == nil && isWarehouse(info.Location):
		other := endpoint.WarehouseName(info.Location)
		return "", problem(fmt.Sprintf("it is a %s token (issued by %s), and a %s token does not work on %s: the two indexes have separate accounts and tokens",
			other, info.Location, other, name),
			create+", or upload to "+other+" with --repository-url "+uploadURL[info.Location]+".")
	case perr == nil:
		// A well-formed macaroon from another Warehouse: PyPI decides.
		return fmt.Sprintf("the API token in %s was issued by %q, not %s: %s will probably refuse it", origin, info.Location, domain, name), nil
	case looksLikeJWT(secret):
		return "", problem("it holds an OpenID Connect identity token (a JWT), not an API token",
			"Trusted publishing exchanges identity tokens itself: leave "+origin+" unset and run with the job's identity (see docs/trusted-publishing.md).")
	case errors.Is(perr, ErrNoPrefix):
		return "", problem("the value does not start with pypi-, and every "+name+" API token does",
			"Store the whole token, including the pypi- prefix. "+create+".")
	default:
		return "", problem("what follows pypi- does not decode to a token: it was probably cut short or altered when copied",
			"Copy the whole token again, or create a new one at "+tokenPage(domain)+".")
	}
}

// looksLikeJWT recognises a compact JWS: three base64url parts, the first
// a JSON object ("eyJ" is base64 for `{"`).
func looksLikeJWT(s string) bool {
	return strings.HasPrefix(s, "eyJ") && strings.Count(s, ".") == 2
}
