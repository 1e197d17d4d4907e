// Package binwheel turns Go binaries into PyPI platform wheels, so that
// `pip install tool` or `uvx tool` installs the binary GoReleaser built.
//
// A wheel holds each binary byte for byte at
// {dist}-{version}.data/scripts/{name}[.exe], the layout maturin, ruff and
// uv use: installers copy it to the environment's bin/ (Scripts\ on
// Windows) and make it executable, and nothing but the binary runs. Its
// platform tag comes from the binary itself: the build settings Go records
// (GOOS, GOARCH, GOARM, GOAMD64 and the other instruction-set levels,
// CGO_ENABLED), the Go release (macOS floors), the Mach-O minimum version
// and whether the file is a universal binary. See Platform for the table.
//
// Use BuildAll for a release: one call per project, every binary of every
// platform; it returns the wheels written and the binaries skipped because
// PyPI has no tag for their target (*NoPlatformTagError, to be reported as
// warnings). A cgo binary is a *CgoError unless Binary.PlatformTag is given.
// The wheels are ordinary distributions: verify them with dist.Check and
// publish them with the release's other files.
package binwheel
