// Package faketoken builds API tokens shaped exactly like Warehouse's
// (PyPI's, TestPyPI's) for tests: "pypi-" and a pymacaroons MACAROON_V2
// serialisation (location, a UUID identifier, JSON caveats, a 32-byte
// signature) in unpadded URL-safe base64. The signature is random, so no
// index accepts them. Tests build them at run time instead of committing
// token-shaped strings, which secret scanners would report.
package faketoken

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
)

// ProjectCaveat is a project-scoped token's caveat, as Warehouse writes it.
const ProjectCaveat = `{"version": 1, "permissions": {"projects": ["demo"]}}`

// New returns a token issued by location ("pypi.org", "test.pypi.org",
// "" for none) with the given caveats.
func New(location string, caveats ...string) string {
	var b []byte
	field := func(typ uint64, data []byte) {
		b = binary.AppendUvarint(b, typ)
		b = binary.AppendUvarint(b, uint64(len(data)))
		b = append(b, data...)
	}
	const locationField, identifier, signature, eos = 1, 2, 6, 0
	b = append(b, 2) // MACAROON_V2
	if location != "" {
		field(locationField, []byte(location))
	}
	field(identifier, []byte("2b6b0b1c-7d3e-4a55-9d0e-3f1f6f2a9c11"))
	b = append(b, eos)
	for _, c := range caveats {
		field(identifier, []byte(c))
		b = append(b, eos)
	}
	b = append(b, eos)
	sig := make([]byte, 32)
	_, _ = rand.Read(sig)
	field(signature, sig)
	return "pypi-" + base64.RawURLEncoding.EncodeToString(b)
}
