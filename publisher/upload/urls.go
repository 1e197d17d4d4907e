package upload

import (
	"net/url"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
)

// ProjectURL is the page of a release on the index: {index}/project/{name}/{version}/.
func ProjectURL(index *url.URL, name, version string) string {
	return index.JoinPath("project", dist.NormalizeName(name), version).String() + "/"
}
