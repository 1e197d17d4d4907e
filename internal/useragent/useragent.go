// Package useragent is the one home of the User-Agent goreleaser-pypi
// sends when its front end names none (front ends add the version).
package useragent

// Default is the product name, sent as is when no version is known.
const Default = "goreleaser-pypi"

// Or is ua, or Default when ua is empty.
func Or(ua string) string {
	if ua == "" {
		return Default
	}
	return ua
}
