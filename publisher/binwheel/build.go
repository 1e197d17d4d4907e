package binwheel

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
)

// Binary is one Go binary to publish, with the target GoReleaser (or the
// user) says it was built for. The target is checked against the build
// information the binary carries; empty fields are taken from it.
type Binary struct {
	// Path is the binary on disk.
	Path string
	// Name is the command users type (default: the file name without
	// ".exe"). On Windows the wheel installs {Name}.exe.
	Name string
	// GOOS, GOARCH ("all" for a macOS universal binary), GOARM and GOAMD64
	// as GoReleaser's artifact gives them; optional.
	GOOS, GOARCH, GOARM, GOAMD64 string
	// PlatformTag overrides the platform tag derived from the binary
	// (e.g. "manylinux_2_28_x86_64" for a cgo binary checked by hand):
	// one tag or a compound one ("a.b"), each part one PyPI accepts. It is
	// the only way to publish a cgo binary or a binary not built by Go.
	PlatformTag string
}

// Wheel is a wheel written by Build or BuildAll.
type Wheel struct {
	Path     string
	Platform string   // the compound platform tag, e.g. "win_amd64"
	Binaries []Binary // what it installs, in the order given
	// Warnings are worth telling the user (e.g. a wheel near PyPI's size
	// limit); the wheel is written regardless.
	Warnings []string
}

// CgoError refuses a binary built with cgo: it needs the C library (and
// whatever else it was linked against) in versions nothing in the binary
// states, so no platform tag can be derived from it.
type CgoError struct {
	Binary string // path
	Target string // e.g. "linux/amd64"
	Detail string // e.g. "it loads /lib64/ld-linux-x86-64.so.2 and libc.so.6"
}

func (e *CgoError) Error() string {
	return fmt.Sprintf("%s (%s) was built with cgo (CGO_ENABLED=1)%s: it needs the system's C library, and the oldest glibc, musl or macOS version it runs on cannot be read from the binary, so no platform tag can be derived. "+
		"Build it with CGO_ENABLED=0, or give its platform tag explicitly (for example manylinux_2_28_x86_64 after checking the binary with auditwheel)", e.Binary, e.Target, e.Detail)
}

// MaxWheelWarnSize is where a wheel earns a warning: PyPI refuses files
// over 100 MiB unless the project's limit was raised.
const MaxWheelWarnSize = 90 << 20

var commandRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]*$`)

// resolved is a Binary checked and placed.
type resolved struct {
	Binary
	goos     string
	script   string // file name under .data/scripts/
	platform string
	warnings []string
}

// resolve reads the binary's build information, checks the declared target
// against it and derives the platform tag. A target without a PyPI tag is
// a *NoPlatformTagError, a cgo binary a *CgoError.
func resolve(b Binary) (*resolved, error) {
	r := &resolved{Binary: b}
	if b.Path == "" {
		return nil, errors.New("binary: no path given")
	}
	fi, err := os.Stat(b.Path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", b.Path)
	}
	x, err := readExecutable(b.Path)
	if err != nil && (b.PlatformTag == "" || !errors.Is(err, errNotGo)) {
		if errors.Is(err, errNotGo) {
			return nil, fmt.Errorf("%w; the platform tag is derived from a Go binary's build information: for another binary give the platform tag explicitly", err)
		}
		return nil, err
	}
	if x != nil {
		if err := checkDeclared(b, x); err != nil {
			return nil, err
		}
	}
	r.goos = b.GOOS
	if x != nil && x.goos != "" {
		r.goos = x.goos
	}
	if r.goos == "" && strings.HasPrefix(b.PlatformTag, "win") {
		r.goos = "windows"
	}

	name := b.Name
	if name == "" {
		name = strings.TrimSuffix(filepath.Base(b.Path), ".exe")
	}
	name = strings.TrimSuffix(name, ".exe")
	if !commandRE.MatchString(name) {
		return nil, fmt.Errorf("%s: command name %q must be ASCII letters, digits, '.', '_', '+' and '-' (set the binary name)", b.Path, name)
	}
	r.Name = name
	r.script = name
	if r.goos == "windows" {
		r.script += ".exe"
	}

	if b.PlatformTag != "" {
		for _, p := range strings.Split(b.PlatformTag, ".") {
			if !dist.ValidPlatformTag(p) {
				return nil, fmt.Errorf("%s: platform tag %q is not one PyPI accepts (any, win*, manylinux*, musllinux*, macosx*, linux_armv6l/7l...)", b.Path, p)
			}
		}
		r.platform = b.PlatformTag
		return r, nil
	}

	target := fmt.Sprintf("%s/%s", x.goos, x.goarch)
	switch {
	case !x.cgoKnown:
		return nil, fmt.Errorf("%s was built with %s, which records no build settings (Go 1.18 and later do): nothing tells whether it uses cgo. Rebuild it with a newer Go or give its platform tag explicitly", b.Path, x.goVersion)
	case x.cgo && x.format == "elf" && x.interpreter == "" && len(x.libraries) == 0:
		// CGO_ENABLED=1 is recorded by every native build with a C
		// compiler around, used or not; a static ELF file needs only the
		// kernel, like any CGO_ENABLED=0 build.
		r.warnings = append(r.warnings, fmt.Sprintf("%s was built with CGO_ENABLED=1 but is statically linked: it needs only the Linux kernel, so it gets the usual tag", b.Path))
	case x.cgo:
		detail := ""
		if x.interpreter != "" || len(x.libraries) > 0 {
			detail = fmt.Sprintf(" and is dynamically linked (loader %s, libraries %s)", orNone(x.interpreter), orNone(strings.Join(x.libraries, ", ")))
		}
		return nil, &CgoError{Binary: b.Path, Target: target, Detail: detail}
	}
	t := Target{
		GOOS:      x.goos,
		GOARCH:    x.goarch,
		GOARM:     armLevel(x.settings["GOARM"]),
		GOAMD64:   x.settings["GOAMD64"],
		GOARM64:   x.settings["GOARM64"],
		GOPPC64:   x.settings["GOPPC64"],
		GORISCV64: x.settings["GORISCV64"],
		GoVersion: x.goVersion,
		MinMacOS:  x.minMacOS,
	}
	if x.levels != nil {
		t.GOAMD64, t.GOARM64 = x.levels["GOAMD64"], x.levels["GOARM64"]
	}
	if t.GOOS == "" || t.GOARCH == "" {
		return nil, fmt.Errorf("%s: its build information names no GOOS/GOARCH", b.Path)
	}
	r.platform, err = Platform(t)
	if err != nil {
		var nt *NoPlatformTagError
		if errors.As(err, &nt) {
			nt.Binary = b.Path
			return nil, nt
		}
		return nil, fmt.Errorf("%s: %w", b.Path, err)
	}
	if m, ok := goMinor(x.goVersion); ok && t.GOOS == "darwin" && m > newestKnownGo {
		r.warnings = append(r.warnings, fmt.Sprintf("%s was built with %s, newer than the releases whose macOS floor goreleaser-pypi knows (up to go1.%d): it is tagged %s; if that Go release requires a newer macOS, give the platform tag explicitly", b.Path, x.goVersion, newestKnownGo, r.platform))
	}
	return r, nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// armLevel is the ARM version of a GOARM setting ("7", "6,softfloat").
func armLevel(goarm string) string {
	v, _, _ := strings.Cut(goarm, ",")
	return v
}

// checkDeclared compares what the caller says with what the binary says:
// a mismatch means a mixed-up artifact list, which would put a binary in a
// wheel for the wrong platform.
func checkDeclared(b Binary, x *executable) error {
	mismatch := func(what, declared, actual string) error {
		return fmt.Errorf("%s is given as %s %s, but its build information says %s: check which file belongs to which target", b.Path, what, declared, actual)
	}
	if b.GOOS != "" && x.goos != "" && b.GOOS != x.goos {
		return mismatch("GOOS", b.GOOS, x.goos)
	}
	if b.GOARCH != "" && x.goarch != "" {
		declared := b.GOARCH
		if x.goarch == "all" && (declared == "universal" || declared == "universal2") {
			declared = "all"
		}
		if declared != x.goarch {
			if x.goarch == "all" {
				return mismatch("GOARCH", b.GOARCH, "a universal binary (amd64 and arm64; give GOARCH all)")
			}
			return mismatch("GOARCH", b.GOARCH, x.goarch)
		}
	}
	if s, ok := x.settings["GOARM"]; ok && b.GOARM != "" && strings.TrimPrefix(b.GOARM, "v") != armLevel(s) {
		return mismatch("GOARM", b.GOARM, armLevel(s))
	}
	if s, ok := x.settings["GOAMD64"]; ok && b.GOAMD64 != "" && b.GOAMD64 != s {
		return mismatch("GOAMD64", b.GOAMD64, s)
	}
	return nil
}

// Build writes the wheel of one binary into outDir and returns its path.
// See BuildAll.
func Build(ctx context.Context, spec Spec, bin Binary, outDir string) (string, error) {
	r, err := resolve(bin)
	if err != nil {
		return "", err
	}
	w, err := buildWheel(ctx, spec, []*resolved{r}, outDir)
	if err != nil {
		return "", err
	}
	return w.Path, nil
}

// BuildAll writes one wheel per platform into outDir: binaries of the same
// platform (several commands of one project) share a wheel. A binary PyPI
// has no platform tag for is not an error: it is returned in skipped, for
// the caller to warn about. Any other problem (a cgo binary, a target that
// does not match the binary, two binaries of one name on one platform)
// stops everything, and wheels already written by this call are removed.
//
// Every wheel holds each binary byte for byte at
// {dist}-{version}.data/scripts/{name}[.exe] (mode 0755, so installers make
// it executable), METADATA, WHEEL (Root-Is-Purelib: false, one Tag line
// per platform tag) and RECORD, and with Spec.PythonModule a small package
// for `python -m`. The archive follows PyPI's ZIP rules (deflate, no data
// descriptor, no comment, sorted members, .dist-info last, RECORD last) and
// is reproducible: the same inputs give the same bytes. Callers publishing
// the wheels verify them with dist.Check like any other distribution.
func BuildAll(ctx context.Context, spec Spec, bins []Binary, outDir string) (wheels []Wheel, skipped []*NoPlatformTagError, err error) {
	var groups [][]*resolved
	byPlatform := map[string]int{}
	for _, b := range bins {
		r, err := resolve(b)
		var nt *NoPlatformTagError
		if errors.As(err, &nt) {
			skipped = append(skipped, nt)
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		i, ok := byPlatform[r.platform]
		if !ok {
			i = len(groups)
			byPlatform[r.platform] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], r)
		if spec.Name == "" {
			spec.Name = r.Name // every wheel of the set under one name
		}
	}
	defer func() {
		if err != nil {
			for _, w := range wheels {
				os.Remove(w.Path)
			}
			wheels = nil
		}
	}()
	for _, g := range groups {
		w, err := buildWheel(ctx, spec, g, outDir)
		if err != nil {
			return wheels, skipped, err
		}
		wheels = append(wheels, *w)
	}
	return wheels, skipped, nil
}

// member is one file of the wheel before it is written.
type member struct {
	name    string
	content *content
}

func buildWheel(ctx context.Context, spec Spec, bins []*resolved, outDir string) (w *Wheel, err error) {
	if spec.Name == "" && len(bins) > 0 {
		spec.Name = bins[0].Name
	}
	p, err := spec.resolve()
	if err != nil {
		return nil, err
	}
	platform := bins[0].platform
	fileName := dist.FilenameName(p.Name) + "-" + p.version
	distInfo := fileName + ".dist-info"
	scripts := fileName + ".data/scripts/"
	wheelName := fileName + "-py3-none-" + platform + ".whl"

	var members []member
	defer func() {
		for _, m := range members {
			m.content.release()
		}
	}()
	seen := map[string]string{}
	for _, r := range bins {
		if prev, dup := seen[r.script]; dup {
			return nil, fmt.Errorf("%s and %s would both be installed as %s on %s: give them different names", prev, r.Path, r.script, platform)
		}
		seen[r.script] = r.Path
		c, err := deflateFile(ctx, r.Path, outDir)
		if err != nil {
			return nil, err
		}
		c.executable = true
		members = append(members, member{scripts + r.script, c})
	}
	if p.PythonModule != "" {
		for name, data := range pythonModuleFiles(p.PythonModule, p.Name, bins[0].script) {
			c, err := deflateBytes(data)
			if err != nil {
				return nil, err
			}
			members = append(members, member{name, c})
		}
	}
	var info []member
	add := func(name string, data []byte) error {
		c, err := deflateBytes(data)
		if err != nil {
			return err
		}
		info = append(info, member{distInfo + "/" + name, c})
		return nil
	}
	if err := add("METADATA", p.metadata()); err != nil {
		return nil, err
	}
	if err := add("WHEEL", wheelFile(p.generator(), platform)); err != nil {
		return nil, err
	}
	for _, lf := range p.licenses {
		data, err := readText(lf.src)
		if err != nil {
			return nil, fmt.Errorf("license file: %w", err)
		}
		if err := add("licenses/"+lf.name, data); err != nil {
			return nil, err
		}
	}
	sort.Slice(members, func(i, j int) bool { return members[i].name < members[j].name })
	sort.Slice(info, func(i, j int) bool { return info[i].name < info[j].name })
	members = append(members, info...)

	final := filepath.Join(outDir, wheelName)
	tmp, err := os.CreateTemp(outDir, "."+wheelName+".*.part")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 256<<10)
	ww := newWheelWriter(bw, p.modified())
	for _, m := range members {
		if err := ww.add(ctx, m.name, m.content); err != nil {
			return nil, fmt.Errorf("%s: %w", wheelName, err)
		}
	}
	if err := ww.finish(ctx, distInfo+"/RECORD"); err != nil {
		return nil, fmt.Errorf("%s: %w", wheelName, err)
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("writing %s: %w", final, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("writing %s: %w", final, err)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return nil, err
	}
	w = &Wheel{Path: final, Platform: platform}
	for _, r := range bins {
		w.Binaries = append(w.Binaries, r.Binary)
		w.Warnings = append(w.Warnings, r.warnings...)
	}
	if fi, err := os.Stat(final); err == nil && fi.Size() > MaxWheelWarnSize {
		w.Warnings = append(w.Warnings, fmt.Sprintf("%s is %d MiB: PyPI refuses files over 100 MiB unless the project's limit was raised", final, fi.Size()>>20))
	}
	return w, nil
}

// wheelFile renders WHEEL: one Tag line per platform tag of the compound
// tag, as installers and dist.Check compare them with the file name.
func wheelFile(generator, platform string) []byte {
	var b strings.Builder
	b.WriteString("Wheel-Version: 1.0\n")
	b.WriteString("Generator: " + generator + "\n")
	b.WriteString("Root-Is-Purelib: false\n")
	for _, p := range strings.Split(platform, ".") {
		b.WriteString("Tag: py3-none-" + p + "\n")
	}
	return []byte(b.String())
}
