package binwheel

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"debug/macho"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// executable is what a binary's headers and Go build information say about
// it. One binary can be a macOS universal (fat) file: then the fields hold
// what its slices share, and the strictest of what they do not.
type executable struct {
	format    string // "elf", "macho", "fat", "pe"
	goVersion string
	goos      string
	goarch    string // "all" for a universal binary
	settings  map[string]string
	// cgo is CGO_ENABLED=1 in any slice; cgoKnown is false when the
	// binary records no build settings (Go older than 1.18).
	cgo, cgoKnown bool
	// interpreter is the ELF dynamic loader ("/lib64/ld-linux-x86-64.so.2"),
	// libraries the shared libraries it needs; both empty for a static binary.
	interpreter string
	libraries   []string
	minMacOS    string // the Mach-O minimum macOS ("12.0"), highest of the slices
	// levels are the instruction-set settings of a universal binary's
	// slices (GOAMD64 of the amd64 one, GOARM64 of the arm64 one).
	levels map[string]string
}

// errNotGo marks a file without Go build information.
var errNotGo = errors.New("not a Go executable")

// readExecutable reads the build information and the headers that matter
// for the platform tag. It reads a few sections, not the whole file.
func readExecutable(path string) (*executable, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var magic [4]byte
	if _, err := io.ReadFull(f, magic[:]); err != nil {
		return nil, fmt.Errorf("%s: %w (too short to be an executable)", path, errNotGo)
	}
	x := &executable{}
	switch {
	case bytes.Equal(magic[:], []byte("\x7fELF")):
		x.format = "elf"
		if err := x.readELF(f); err != nil {
			return nil, fmt.Errorf("%s: reading the ELF headers: %w", path, err)
		}
	case magic[0] == 'M' && magic[1] == 'Z':
		x.format = "pe"
	case bytes.Equal(magic[:], []byte{0xca, 0xfe, 0xba, 0xbe}) || bytes.Equal(magic[:], []byte{0xca, 0xfe, 0xba, 0xbf}):
		x.format = "fat"
		return x, x.readFat(path, f)
	case bytes.Equal(magic[1:], []byte{0xfa, 0xed, 0xfe}) || bytes.Equal(magic[:3], []byte{0xfe, 0xed, 0xfa}):
		x.format = "macho"
		mf, err := macho.NewFile(f)
		if err != nil {
			return nil, fmt.Errorf("%s: reading the Mach-O headers: %w", path, err)
		}
		x.minMacOS = machoMinOS(mf)
	default:
		return nil, fmt.Errorf("%s: %w (neither ELF, Mach-O nor PE)", path, errNotGo)
	}
	bi, err := buildinfo.Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: no Go build information (%v)", path, errNotGo, err)
	}
	x.setBuildInfo(bi)
	return x, nil
}

func (x *executable) setBuildInfo(bi *buildinfo.BuildInfo) {
	x.goVersion = bi.GoVersion
	x.settings = map[string]string{}
	for _, s := range bi.Settings {
		x.settings[s.Key] = s.Value
	}
	x.goos, x.goarch = x.settings["GOOS"], x.settings["GOARCH"]
	v, ok := x.settings["CGO_ENABLED"]
	x.cgoKnown = ok
	x.cgo = v == "1"
}

func (x *executable) readELF(r io.ReaderAt) error {
	ef, err := elf.NewFile(r)
	if err != nil {
		return err
	}
	defer ef.Close()
	for _, p := range ef.Progs {
		if p.Type != elf.PT_INTERP {
			continue
		}
		b, err := io.ReadAll(io.LimitReader(p.Open(), 4096))
		if err != nil {
			return err
		}
		x.interpreter = strings.TrimRight(string(b), "\x00")
	}
	libs, err := ef.ImportedLibraries()
	if err != nil && !errors.Is(err, elf.ErrNoSymbols) {
		return err
	}
	x.libraries = libs
	return nil
}

// readFat reads every slice of a universal binary. GoReleaser's
// universal_binaries joins the darwin/amd64 and darwin/arm64 builds.
func (x *executable) readFat(path string, f *os.File) error {
	ff, err := macho.NewFatFile(f)
	if err != nil {
		return fmt.Errorf("%s: reading the universal binary: %w", path, err)
	}
	arches := map[string]bool{}
	newest := -1
	x.cgoKnown = true
	x.goarch = "all"
	x.levels = map[string]string{}
	for i, a := range ff.Arches {
		slice := &executable{}
		bi, err := buildinfo.Read(io.NewSectionReader(f, int64(a.Offset), int64(a.Size)))
		if err != nil {
			return fmt.Errorf("%s: slice %d (%s): %w: no Go build information (%v)", path, i, a.Cpu, errNotGo, err)
		}
		slice.setBuildInfo(bi)
		if slice.goos != "darwin" {
			return fmt.Errorf("%s: slice %d is built for %s/%s, not darwin", path, i, slice.goos, slice.goarch)
		}
		// Each half's instruction-set level counts (Target.GOAMD64 and
		// GOARM64 of a universal binary).
		for _, k := range []string{"GOAMD64", "GOARM64"} {
			if v, ok := slice.settings[k]; ok {
				x.levels[k] = v
			}
		}
		if arches[slice.goarch] {
			return fmt.Errorf("%s: the universal binary holds two %s slices", path, slice.goarch)
		}
		arches[slice.goarch] = true
		x.goos = slice.goos
		x.cgo = x.cgo || slice.cgo
		x.cgoKnown = x.cgoKnown && slice.cgoKnown
		// The newest Go's floor is the highest: describe the file by it.
		if m, ok := goMinor(slice.goVersion); ok && m > newest {
			newest = m
			x.goVersion, x.settings = slice.goVersion, slice.settings
		} else if x.goVersion == "" {
			x.goVersion, x.settings = slice.goVersion, slice.settings
		}
		if v := machoMinOS(a.File); v != "" {
			if x.minMacOS == "" {
				x.minMacOS = v
			} else if a, errA := parseMacOSVersion(v); errA == nil {
				if b, errB := parseMacOSVersion(x.minMacOS); errB == nil && b.less(a) {
					x.minMacOS = v
				}
			}
		}
	}
	if len(arches) != 2 || !arches["amd64"] || !arches["arm64"] {
		var got []string
		for _, a := range ff.Arches {
			got = append(got, a.Cpu.String())
		}
		return fmt.Errorf("%s: a universal2 wheel needs a universal binary of exactly amd64 and arm64, this one holds %s", path, strings.Join(got, ", "))
	}
	return nil
}

// Mach-O load commands that carry the minimum macOS version.
const (
	lcVersionMinMacOSX = 0x24
	lcBuildVersion     = 0x32
	platformMacOS      = 1
)

// machoMinOS is the minimum macOS the file declares ("12.0"), or "".
// macOS refuses to start a binary whose minimum is newer than itself.
func machoMinOS(f *macho.File) string {
	for _, l := range f.Loads {
		raw := l.Raw()
		if len(raw) < 16 {
			continue
		}
		bo := f.ByteOrder
		var v uint32
		switch bo.Uint32(raw) {
		case lcBuildVersion: // cmd, size, platform, minos, sdk, ntools
			if bo.Uint32(raw[8:]) != platformMacOS {
				continue
			}
			v = bo.Uint32(raw[12:])
		case lcVersionMinMacOSX: // cmd, size, version, sdk
			v = bo.Uint32(raw[8:])
		default:
			continue
		}
		// xxxx.yy.zz nibbles: X.Y.Z as 16.8.8 bits.
		return fmt.Sprintf("%d.%d", v>>16, (v>>8)&0xff)
	}
	return ""
}
