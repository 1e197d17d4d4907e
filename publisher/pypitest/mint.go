package pypitest

// POST /_/oidc/mint-token, in Warehouse's order (warehouse/oidc/views.py):
// payload, unverified peek at "iss", issuer allow-list, not-enabled,
// signature and registered claims, pending publisher, publisher, mint.

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// mintError is a refusal: code and description are sent to the client,
// reason stays in OIDCStats.Refusals.
type mintError struct {
	code, description, reason string
}

func (e *mintError) Error() string { return e.code + ": " + e.description }

func invalidToken(reason string, args ...any) *mintError {
	return &mintError{code: "invalid-token", description: "malformed or invalid token", reason: fmt.Sprintf(reason, args...)}
}

// publisherError is Warehouse's InvalidPublisherError: its message ends up
// in "valid token, but no corresponding publisher (...)".
type publisherError string

func (e publisherError) Error() string { return string(e) }

// errReusedToken is Warehouse's ReusedTokenError.
var errReusedToken = errors.New("invalid token: already used")

// handleMintToken is POST /_/oidc/mint-token.
func (o *oidcServer) handleMintToken(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	o.stats.MintRequests++
	if o.failNext > 0 {
		o.failNext--
		o.stats.InjectedFailures++
		status := o.failStatus
		o.mu.Unlock()
		http.Error(w, http.StatusText(status), status)
		return
	}
	o.mu.Unlock()
	if o.opts.mode == tpAbsent {
		http.NotFound(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "reading the request body: "+err.Error(), http.StatusBadRequest)
		return
	}
	token, expires, merr := o.mint(body)
	if merr != nil {
		o.mu.Lock()
		o.stats.Errors[merr.code]++
		o.stats.Refusals = append(o.stats.Refusals, MintRefusal{Code: merr.code, Description: merr.description, Reason: merr.reason})
		o.mu.Unlock()
		writeOIDCJSON(w, http.StatusUnprocessableEntity, map[string]any{
			"message": "Token request failed",
			"errors":  []map[string]string{{"code": merr.code, "description": merr.description}},
		})
		return
	}
	writeOIDCJSON(w, http.StatusOK, map[string]any{"success": true, "token": token, "expires": expires})
}

// mint exchanges the ID token in body for an upload token.
func (o *oidcServer) mint(body []byte) (string, int64, *mintError) {
	jwt, perr := parseTokenPayload(body)
	if perr != "" {
		return "", 0, &mintError{code: "invalid-payload", description: perr, reason: "request body"}
	}

	// Like Warehouse, peek at the unverified claims to pick the issuer.
	unverified, err := decodeUnverified(jwt)
	if err != nil {
		return "", 0, &mintError{code: "invalid-payload", description: "malformed JWT", reason: err.Error()}
	}
	if jti, ok := unverified.claims["jti"].(string); ok {
		o.mu.Lock()
		o.stats.Exchanges[jti]++
		o.mu.Unlock()
	}
	issRaw, ok := unverified.claims["iss"]
	if !ok {
		return "", 0, &mintError{code: "invalid-payload", description: "malformed JWT", reason: `no "iss" claim`}
	}
	iss, _ := issRaw.(string)
	if !o.issuers[iss] {
		return "", 0, &mintError{code: "invalid-payload", description: "unknown trusted publishing issuer",
			reason: fmt.Sprintf("issuer %v is not trusted by this index (it trusts %s)", issRaw, o.issuer.URL)}
	}
	service := "github"
	if _, gl := unverified.claims["project_path"]; gl {
		service = "gitlab"
	}
	if o.opts.mode == tpDisabled {
		return "", 0, &mintError{code: "not-enabled", description: service + " trusted publishing functionality not enabled",
			reason: "WithTrustedPublishingDisabled"}
	}

	claims, merr := o.verify(jwt, unverified, iss)
	if merr != nil {
		return "", 0, merr
	}

	// One mint at a time: the jti check and its recording must not race.
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.opts.clock()
	o.forgetJTIs(now)

	projects, anyProject, publisher, perr2 := o.matchPublisher(claims, service)
	if perr2 != nil {
		return "", 0, perr2
	}

	tok := "pypi-" + mintedTokenSuffix()
	notBefore := now.Unix()
	expires := time.Unix(notBefore, 0).Add(o.opts.lifetime)
	t := &apiToken{value: tok, expires: expires, minted: true, publisher: publisher}
	if !anyProject {
		t.projects = projects
	}
	o.tokens.add(t)
	if jti, ok := claims["jti"].(string); ok && jti != "" {
		// Warehouse forgets a jti at exp + 5 s, yet accepts the token until
		// exp + 30 s (the leeway): remember it past that, so a reused token
		// is always caught.
		exp, _ := numericClaim(claims, "exp")
		o.usedJTIs[jti] = time.Unix(int64(exp)+5, 0).Add(leeway)
	}
	o.stats.Minted++
	o.counters.mints.Add(1)
	return tok, expires.Unix(), nil
}

// forgetJTIs drops used identifiers whose tokens can no longer be
// accepted anyway.
func (o *oidcServer) forgetJTIs(now time.Time) {
	for jti, until := range o.usedJTIs {
		if now.After(until) {
			delete(o.usedJTIs, jti)
		}
	}
}

func mintedTokenSuffix() string {
	b := make([]byte, 48)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// parseTokenPayload validates the body as Warehouse's pydantic model
// TokenPayload(token: StrictStr) does; on failure it returns pydantic's
// error text, which Warehouse sends as the description.
func parseTokenPayload(body []byte) (string, string) {
	const head = "1 validation error for TokenPayload\n"
	help := func(kind string) string {
		return "\n    For further information visit https://errors.pydantic.dev/2.12/v/" + kind
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	if err == nil && dec.More() {
		err = errors.New("trailing characters")
	} else if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = errors.New("trailing characters")
		}
	}
	if err != nil {
		msg := "EOF while parsing a value at line 1 column 0"
		if len(bytes.TrimSpace(body)) > 0 {
			line, col := 1, 0
			off := len(body)
			var se *json.SyntaxError
			if errors.As(err, &se) {
				off = int(se.Offset)
			}
			for _, c := range body[:min(off, len(body))] {
				if c == '\n' {
					line, col = line+1, 0
				} else {
					col++
				}
			}
			what := "expected value"
			if strings.Contains(err.Error(), "in literal") {
				what = "expected ident"
			} else if err.Error() == "trailing characters" {
				what = "trailing characters"
			} else if errors.Is(err, io.ErrUnexpectedEOF) {
				what = "EOF while parsing a value"
			}
			msg = fmt.Sprintf("%s at line %d column %d", what, line, col)
		}
		return "", head + "  Invalid JSON: " + msg + " [type=json_invalid, input_value=" +
			truncatedRepr(pyBytesRepr(body)) + ", input_type=bytes]" + help("json_invalid")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return "", head + "  Input should be an object [type=model_type, input_value=" +
			truncatedRepr(jsonPyRepr(v)) + ", input_type=" + pyType(v) + "]" + help("model_type")
	}
	tv, ok := obj["token"]
	if !ok {
		return "", head + "token\n  Field required [type=missing, input_value=" +
			truncatedRepr(jsonPyRepr(obj)) + ", input_type=dict]" + help("missing")
	}
	s, ok := tv.(string)
	if !ok {
		return "", head + "token\n  Input should be a valid string [type=string_type, input_value=" +
			truncatedRepr(jsonPyRepr(tv)) + ", input_type=" + pyType(tv) + "]" + help("string_type")
	}
	return s, ""
}

// truncatedRepr shortens a repr as pydantic-core does in error messages.
func truncatedRepr(r string) string {
	if len(r) > 50 {
		return r[:25] + "..." + r[len(r)-24:]
	}
	return r
}

func pyType(v any) string {
	switch v := v.(type) {
	case map[string]any:
		return "dict"
	case []any:
		return "list"
	case string:
		return "str"
	case bool:
		return "bool"
	case nil:
		return "NoneType"
	case json.Number:
		if strings.ContainsAny(v.String(), ".eE") {
			return "float"
		}
		return "int"
	}
	return "object"
}

// jsonPyRepr renders a JSON value as Python's repr() of what json.loads returns.
func jsonPyRepr(v any) string {
	switch v := v.(type) {
	case map[string]any:
		// Python keeps the document's key order; Go maps do not, so sort
		// for stable output.
		var b strings.Builder
		b.WriteString("{")
		for i, k := range oidcSortedKeys(v) {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(pyStrRepr(k) + ": " + jsonPyRepr(v[k]))
		}
		b.WriteString("}")
		return b.String()
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = jsonPyRepr(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case string:
		return pyStrRepr(v)
	case bool:
		if v {
			return "True"
		}
		return "False"
	case nil:
		return "None"
	case json.Number:
		return v.String()
	}
	return fmt.Sprint(v)
}

func oidcSortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

// pyStrRepr is Python's repr() of a str: single quotes unless the text has
// a single quote and no double quote.
func pyStrRepr(s string) string {
	q := byte('\'')
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == rune(q):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(q)
	return b.String()
}

// pyBytesRepr is Python's repr() of bytes.
func pyBytesRepr(p []byte) string {
	q := byte('\'')
	if bytes.IndexByte(p, '\'') >= 0 && bytes.IndexByte(p, '"') < 0 {
		q = '"'
	}
	var b strings.Builder
	b.WriteString("b")
	b.WriteByte(q)
	for _, c := range p {
		switch {
		case c == '\\':
			b.WriteString(`\\`)
		case c == q:
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte(q)
	return b.String()
}

// unverifiedJWT is a compact JWS split and decoded without any check of
// its signature, as PyJWT's decode(verify_signature=False) does.
type unverifiedJWT struct {
	header map[string]any
	claims map[string]any
}

func decodeUnverified(tok string) (*unverifiedJWT, error) {
	signingInput, sig, ok := cutLast(tok, ".")
	if !ok {
		return nil, errors.New("not enough segments")
	}
	headerSeg, payloadSeg, ok := strings.Cut(signingInput, ".")
	if !ok {
		return nil, errors.New("not enough segments")
	}
	var u unverifiedJWT
	if err := decodeSegment(headerSeg, &u.header); err != nil {
		return nil, fmt.Errorf("invalid header: %w", err)
	}
	if err := decodeSegment(payloadSeg, &u.claims); err != nil {
		return nil, fmt.Errorf("invalid payload: %w", err)
	}
	if _, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(sig, "=")); err != nil {
		return nil, fmt.Errorf("invalid crypto padding: %w", err)
	}
	return &u, nil
}

func decodeSegment(seg string, dst *map[string]any) error {
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return errors.New("must be a json object")
	}
	*dst = m
	return nil
}

// verify checks the signature against the issuer's JWKS and the registered
// claims as Warehouse's OIDCPublisherService.verify_jwt_signature does
// (PyJWT: RS256 only; iss, iat, exp, aud required; nbf checked if present;
// a single audience; 30 s leeway).
func (o *oidcServer) verify(tok string, u *unverifiedJWT, iss string) (map[string]any, *mintError) {
	kid, ok := u.header["kid"].(string)
	if !ok {
		return nil, invalidToken(`the JWT header has no "kid"`)
	}
	key, err := o.keys.key(iss, kid)
	if err != nil {
		return nil, invalidToken("%v", err)
	}
	jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return nil, invalidToken("parsing the JWS (only RS256 is accepted, the token says %v): %v", u.header["alg"], err)
	}
	payload, err := jws.Verify(key.Key)
	if err != nil {
		return nil, invalidToken("signature: %v", err)
	}
	var claims map[string]any
	if err := decodeSegment(base64.RawURLEncoding.EncodeToString(payload), &claims); err != nil {
		return nil, invalidToken("payload: %v", err)
	}
	for _, name := range []string{"iss", "iat", "exp", "aud"} {
		if claims[name] == nil {
			return nil, invalidToken("the token is missing the %q claim", name)
		}
	}
	now := o.opts.clock()
	nowSec := float64(now.UnixNano()) / 1e9
	lee := leeway.Seconds()
	iat, ok := numericClaim(claims, "iat")
	if !ok {
		return nil, invalidToken("iat %v is not a number", claims["iat"])
	}
	if iat > nowSec+lee {
		return nil, invalidToken("the token is not yet valid (iat %s is after now + %v)", unixString(iat), leeway)
	}
	if _, has := claims["nbf"]; has {
		nbf, ok := numericClaim(claims, "nbf")
		if !ok {
			return nil, invalidToken("nbf %v is not a number", claims["nbf"])
		}
		if nbf > nowSec+lee {
			return nil, invalidToken("the token is not yet valid (nbf %s is after now + %v)", unixString(nbf), leeway)
		}
	}
	exp, ok := numericClaim(claims, "exp")
	if !ok {
		return nil, invalidToken("exp %v is not a number", claims["exp"])
	}
	if exp <= nowSec-lee {
		return nil, invalidToken("signature has expired (exp %s is before now - %v)", unixString(exp), leeway)
	}
	if claims["iss"] != iss {
		return nil, invalidToken("invalid issuer %v", claims["iss"])
	}
	aud, ok := claims["aud"].(string)
	if !ok {
		return nil, invalidToken("aud %v is not a single audience (PyPI must be the only audience)", jsonPyRepr(claims["aud"]))
	}
	if aud != o.audience {
		return nil, invalidToken("audience %q is not this index's %q", aud, o.audience)
	}
	for _, name := range []string{"sub", "jti"} {
		if v, has := claims[name]; has {
			if _, ok := v.(string); !ok {
				return nil, invalidToken("%s %v must be a string", name, v)
			}
		}
	}
	return claims, nil
}

func numericClaim(claims map[string]any, name string) (float64, bool) {
	n, ok := claims[name].(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil
}

func unixString(sec float64) string {
	return time.Unix(int64(sec), 0).UTC().Format(time.RFC3339)
}

// keyCache holds each issuer's JWKS, fetched over HTTP from its OpenID
// configuration as Warehouse does: refreshed when a token names an unknown
// key, at most once a minute.
type keyCache struct {
	clock  func() time.Time
	client *http.Client

	mu   chan struct{} // a lock held across the fetch, so concurrent mints fetch once
	sets map[string]*keySet
}

type keySet struct {
	keys      map[string]jose.JSONWebKey
	coolUntil time.Time
}

const keyRefreshCooldown = 60 * time.Second

func newKeyCache(clock func() time.Time) *keyCache {
	return &keyCache{
		clock: clock,
		client: &http.Client{
			Timeout: 5 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
		mu:   make(chan struct{}, 1),
		sets: map[string]*keySet{},
	}
}

func (c *keyCache) key(issuer, kid string) (jose.JSONWebKey, error) {
	c.mu <- struct{}{}
	defer func() { <-c.mu }()
	set := c.sets[issuer]
	if set == nil {
		set = &keySet{}
		c.sets[issuer] = set
	}
	if k, ok := set.keys[kid]; ok {
		return k, nil
	}
	var fetchErr error
	if now := c.clock(); !now.Before(set.coolUntil) {
		keys, err := c.fetch(issuer)
		if err != nil {
			fetchErr = err
		} else {
			set.keys = keys
			set.coolUntil = now.Add(keyRefreshCooldown)
		}
	}
	if k, ok := set.keys[kid]; ok {
		return k, nil
	}
	if fetchErr != nil {
		return jose.JSONWebKey{}, fmt.Errorf("key ID %q not found for issuer %q (refreshing its keys: %v)", kid, issuer, fetchErr)
	}
	return jose.JSONWebKey{}, fmt.Errorf("key ID %q not found for issuer %q", kid, issuer)
}

func (c *keyCache) fetch(issuer string) (map[string]jose.JSONWebKey, error) {
	var conf struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := c.getJSON(issuer+"/.well-known/openid-configuration", &conf); err != nil {
		return nil, err
	}
	if conf.JWKSURI == "" {
		return nil, errors.New("the OpenID configuration has no jwks_uri")
	}
	var set jose.JSONWebKeySet
	if err := c.getJSON(conf.JWKSURI, &set); err != nil {
		return nil, err
	}
	if len(set.Keys) == 0 {
		return nil, errors.New("the JWKS has no keys")
	}
	keys := make(map[string]jose.JSONWebKey, len(set.Keys))
	for _, k := range set.Keys {
		keys[k.KeyID] = k
	}
	return keys, nil
}

func (c *keyCache) getJSON(url string, v any) error {
	resp, err := c.client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v); err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	return nil
}
