// Package reliability is goreleaser-pypi's reliability and security suite:
// end-to-end fault matrices against the local index (publisher/pypitest)
// driving the real binary, a soak run, interruption, hostile distributions
// and settings files, fuzz targets, and secret scanning of everything a run
// prints. It holds tests and the small helpers they share; RELIABILITY.md at
// the repository root lists each scenario, what it proves and its figures.
package reliability
