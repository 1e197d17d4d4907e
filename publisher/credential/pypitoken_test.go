package credential

import (
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/goreleaser-pypi/goreleaser-pypi/internal/faketoken"
)

// fakeAPIToken builds a Warehouse-shaped token (see internal/faketoken).
var fakeAPIToken = faketoken.New

const projectCaveat = faketoken.ProjectCaveat

func TestParseAPIToken(t *testing.T) {
	for _, loc := range []string{"pypi.org", "test.pypi.org", ""} {
		info, err := ParseAPIToken(fakeAPIToken(loc, projectCaveat, `[0, 1700000000, 1700000900]`))
		if err != nil || info.Location != loc || info.Caveats != 2 {
			t.Errorf("%q: %+v, %v", loc, info, err)
		}
	}
	good := fakeAPIToken("pypi.org")
	padded := good + strings.Repeat("=", (4-len(good[5:])%4)%4)
	std := strings.NewReplacer("-", "+", "_", "/").Replace(good[5:])
	for name, tok := range map[string]string{"padded": padded, "standard alphabet": APITokenPrefix + std} {
		if info, err := ParseAPIToken(tok); err != nil || info.Location != "pypi.org" {
			t.Errorf("%s: %+v, %v", name, info, err)
		}
	}
	bad := map[string]error{
		"":                          ErrNoPrefix,
		"pypi-":                     ErrNoPrefix,
		"pypi_AgEIcHlwaS5vcmc":      ErrNoPrefix,
		"glpat-abcdefghijklmnop":    ErrNoPrefix,
		"pypi-A":                    ErrNotBase64,   // one character cannot be base64
		good[:len(good)-10]:         ErrNotMacaroon, // cut short
		"pypi-AgEIcHlwaS5vcmc":      ErrNotMacaroon, // the header alone
		"pypi-" + good[6:]:          ErrNotBase64,   // a character lost (length no longer decodes)
		"pypi-Zm9vYmFy":             ErrNotMacaroon,
		APITokenPrefix + "AA" + "A": ErrNotMacaroon,
	}
	for tok, want := range bad {
		if _, err := ParseAPIToken(tok); !errors.Is(err, want) {
			// A dropped character may still decode; then it is not a macaroon.
			if !(want == ErrNotBase64 && errors.Is(err, ErrNotMacaroon)) {
				t.Errorf("ParseAPIToken(%.12q...) = %v, want %v", tok, err, want)
			}
		}
	}
}

// TestParseAPITokenMatchesPymacaroons decodes tokens serialised by
// pymacaroons, the library Warehouse creates and reads tokens with.
func TestParseAPITokenMatchesPymacaroons(t *testing.T) {
	script := `
import json, sys, pymacaroons
out = []
for loc, version in [("pypi.org", pymacaroons.MACAROON_V2), ("test.pypi.org", pymacaroons.MACAROON_V2), ("pypi.org", pymacaroons.MACAROON_V1)]:
    m = pymacaroons.Macaroon(location=loc, identifier="6f1d8e0c-3a52-4b8f-a3a4-1c1d5b2e8f70", key="not a real key", version=version)
    m.add_first_party_caveat(json.dumps({"version": 1, "permissions": {"projects": ["demo"]}}))
    m.add_first_party_caveat(json.dumps([0, 1700000900, 1700000000]))
    out.append({"location": loc, "token": "pypi-" + m.serialize()})
json.dump(out, sys.stdout)
`
	out, err := exec.Command("/usr/bin/python3", "-c", script).Output()
	if err != nil {
		t.Skipf("pymacaroons not available (apt-get install python3-pymacaroons): %v", err)
	}
	var cases []struct{ Location, Token string }
	if err := json.Unmarshal(out, &cases); err != nil || len(cases) != 3 {
		t.Fatalf("%v: %s", err, out)
	}
	for i, c := range cases {
		info, err := ParseAPIToken(c.Token)
		if err != nil || info.Location != c.Location || info.Caveats != 2 {
			t.Errorf("case %d: %+v, %v", i, info, err)
		}
		if _, err := ParseAPIToken(c.Token[:len(c.Token)-8]); err == nil {
			t.Errorf("case %d: a truncated token parsed", i)
		}
	}
}

func TestCheckAPIToken(t *testing.T) {
	pypi, test := fakeAPIToken("pypi.org", projectCaveat), fakeAPIToken("test.pypi.org")
	jwt := "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL3Rva2VuLmFjdGlvbnMuZ2l0aHVidXNlcmNvbnRlbnQuY29tIn0.c2lnbmF0dXJl"
	type want struct {
		refused bool
		text    string // in the error (refused) or the warning
	}
	cases := []struct {
		name, secret, domain string
		want                 want
	}{
		{"PyPI token on PyPI", pypi, "pypi.org", want{}},
		{"TestPyPI token on TestPyPI", test, "test.pypi.org", want{}},
		{"TestPyPI token on PyPI", test, "pypi.org", want{true, "it is a TestPyPI token (issued by test.pypi.org), and a TestPyPI token does not work on PyPI"}},
		{"PyPI token on TestPyPI", pypi, "test.pypi.org", want{true, "it is a PyPI token (issued by pypi.org), and a PyPI token does not work on TestPyPI"}},
		{"no prefix", "AgEIcHlwaS5vcmcCJDJiNmIwYjFj", "pypi.org", want{true, "does not start with pypi-"}},
		{"registry token", "glpat-0123456789abcdefghij", "pypi.org", want{true, "does not start with pypi-"}},
		{"truncated", pypi[:len(pypi)-12], "pypi.org", want{true, "cut short"}},
		{"quoted", `"` + pypi + `"`, "pypi.org", want{true, "wrapped in quotes"}},
		{"line break", pypi[:40] + "\n" + pypi[40:], "pypi.org", want{false, "whitespace"}},
		{"trailing garbage", pypi + "!", "pypi.org", want{}}, // Python's base64 skips it: PyPI decides
		{"identity token", jwt, "pypi.org", want{true, "identity token (a JWT)"}},
		{"other Warehouse", fakeAPIToken("localhost"), "pypi.org", want{false, `issued by "localhost"`}},
		{"private index, own token", "glpat-0123456789abcdefghij", "", want{}},
		{"private index, malformed pypi token", pypi[:30], "", want{}},
		{"private index, PyPI token", pypi, "", want{false, "issued by pypi.org, and is about to be sent to nexus.example.com, which is not PyPI"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			warning, err := CheckAPIToken(c.secret, "PYPI_API_TOKEN", c.domain, "nexus.example.com")
			text := warning
			if err != nil {
				text = err.Error()
			}
			if (err != nil) != c.want.refused || !strings.Contains(text, c.want.text) || (c.want.text == "" && text != "") {
				t.Fatalf("refused=%v text=%q, want refused=%v containing %q", err != nil, text, c.want.refused, c.want.text)
			}
			if err != nil {
				var tp *TokenProblem
				if !errors.As(err, &tp) || tp.Origin != "PYPI_API_TOKEN" || !strings.Contains(text, "PYPI_API_TOKEN") {
					t.Errorf("not a *TokenProblem naming its origin: %#v", err)
				}
				if (strings.Contains(text, "Create one") || strings.Contains(text, "create a new one")) && !strings.Contains(text, "https://") {
					t.Errorf("no link to where tokens are made: %s", text)
				}
			}
			// Never the token, nor a long piece of it.
			if s := strings.TrimSpace(c.secret); len(s) > 0 {
				for i := 0; i+12 <= len(s); i++ {
					if piece := s[i : i+12]; strings.Contains(text, piece) {
						t.Fatalf("message shows part of the token (%q): %s", piece, text)
					}
				}
			}
		})
	}
}

func TestBasicCredential(t *testing.T) {
	const password = "correct horse battery staple"
	b := NewBasic("alice", password, "PYPI_USERNAME/PYPI_PASSWORD")
	if b.Username() != "alice" || b.Secret() != password || b.IsAPIToken() {
		t.Fatalf("basic: user %q, api token %v", b.Username(), b.IsAPIToken())
	}
	for _, tok := range []*Token{NewBasic("", "pypi-x", "X"), NewBasic(TokenUser, "pypi-x", "X"), NewToken("pypi-x", "X", time.Time{})} {
		if tok.Username() != TokenUser || !tok.IsAPIToken() {
			t.Errorf("%v: user %q", tok, tok.Username())
		}
	}
	var outputs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		outputs = append(outputs, fmt.Sprintf(verb, b), fmt.Sprintf(verb, *b), fmt.Sprintf(verb, struct{ c Token }{*b}))
	}
	j, _ := json.Marshal(b)
	outputs = append(outputs, string(j))
	for _, o := range outputs {
		if strings.Contains(o, password) || strings.Contains(o, "battery") {
			t.Errorf("password shown: %q", o)
		}
	}
	if got := b.String(); got != "[redacted password from PYPI_USERNAME/PYPI_PASSWORD]" {
		t.Errorf("String() = %q", got)
	}
	tok, err := Fixed(b).Token(t.Context())
	if err != nil || tok != b {
		t.Errorf("Fixed: %v, %v", tok, err)
	}
}
