package endpoint

import (
	"net/url"
	"strings"
)

// The domains of the two public Warehouse instances. Warehouse stamps its
// API tokens with the domain that issued them (the macaroon's location), so
// these are also the locations of PyPI's and TestPyPI's tokens.
const (
	PyPIDomain     = "pypi.org"
	TestPyPIDomain = "test.pypi.org"
)

// Warehouse names the public Warehouse instance u belongs to: PyPIDomain
// for pypi.org and upload.pypi.org, TestPyPIDomain for test.pypi.org (and
// upload.test.pypi.org), "" for every other index. The scheme and port are
// not considered: an http URL to PyPI is refused by Parse anyway.
func Warehouse(u *url.URL) string {
	if u == nil {
		return ""
	}
	switch strings.TrimSuffix(strings.ToLower(u.Hostname()), ".") {
	case "pypi.org", "upload.pypi.org", "www.pypi.org":
		return PyPIDomain
	case "test.pypi.org", "upload.test.pypi.org":
		return TestPyPIDomain
	}
	return ""
}

// WarehouseName is the index's name in messages: "PyPI", "TestPyPI", or
// "" for a domain that is neither.
func WarehouseName(domain string) string {
	switch domain {
	case PyPIDomain:
		return "PyPI"
	case TestPyPIDomain:
		return "TestPyPI"
	}
	return ""
}
