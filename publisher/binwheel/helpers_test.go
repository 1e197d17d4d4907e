package binwheel

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
)

// testVersion is what the test programs print: go build -X main.version.
const testVersion = "1.2.3-rc.1"

// helloMain prints "hello <version>" and exits 3 with "fail" as its first
// argument, so a test sees arguments and the exit status passed through.
const helloMain = `package main

import "os"

var version = "dev"

func main() {
	if len(os.Args) > 1 && os.Args[1] == "fail" {
		os.Exit(3)
	}
	os.Stdout.WriteString("hello " + version + "\n")
}
`

const cgoMain = `package main

// static int answer(void) { return 42; }
import "C"

import "fmt"

func main() { fmt.Println(C.answer()) }
`

var (
	buildDirOnce sync.Once
	buildDir     string
	buildMu      sync.Mutex
	built        = map[string]string{}
)

// goBuild builds a program for a target once per test binary and returns
// the binary's path. env adds GOARM, GOAMD64, CGO_ENABLED...
func goBuild(t testing.TB, src, goos, goarch string, env ...string) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go is not installed")
	}
	buildDirOnce.Do(func() {
		d, err := os.MkdirTemp("", "binwheel-bins-")
		if err != nil {
			t.Fatal(err)
		}
		buildDir = d
	})
	key := strings.Join(append([]string{src, goos, goarch}, env...), "|")
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := built[key]; ok {
		return p
	}
	dir := filepath.Join(buildDir, fmt.Sprintf("b%d", len(built)))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "go.mod"), "module example.com/hello\n\ngo 1.21\n")
	write(t, filepath.Join(dir, "main.go"), src)
	out := filepath.Join(dir, "hello")
	if goos == "windows" {
		out += ".exe"
	}
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -X main.version="+testVersion, "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "GOTOOLCHAIN=local", "GOFLAGS=")
	hasCgo := false
	for _, e := range env {
		hasCgo = hasCgo || strings.HasPrefix(e, "CGO_ENABLED=")
	}
	if !hasCgo {
		cmd.Env = append(cmd.Env, "CGO_ENABLED=0")
	}
	cmd.Env = append(cmd.Env, env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s/%s %v: %v\n%s", goos, goarch, env, err, b)
	}
	built[key] = out
	return out
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

func write(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// universal joins Mach-O files into a universal (fat) binary as
// GoReleaser's universal_binaries and lipo do: a big-endian header, one
// fat_arch per slice, each slice aligned to 2^14 bytes.
func universal(t testing.TB, out string, slices ...string) string {
	t.Helper()
	const align = 14
	var hdr bytes.Buffer
	be := binary.BigEndian
	binary.Write(&hdr, be, uint32(0xcafebabe))
	binary.Write(&hdr, be, uint32(len(slices)))
	var datas [][]byte
	offset := uint32(1 << align)
	for _, s := range slices {
		b, err := os.ReadFile(s)
		if err != nil {
			t.Fatal(err)
		}
		cpu := binary.LittleEndian.Uint32(b[4:])
		sub := binary.LittleEndian.Uint32(b[8:])
		binary.Write(&hdr, be, []uint32{cpu, sub, offset, uint32(len(b)), align})
		datas = append(datas, b)
		offset += (uint32(len(b)) + (1<<align - 1)) &^ (1<<align - 1)
	}
	file := make([]byte, 0, offset)
	file = append(file, hdr.Bytes()...)
	for _, d := range datas {
		file = append(file, make([]byte, (len(file)+(1<<align-1))&^(1<<align-1)-len(file))...)
		file = append(file, d...)
	}
	if err := os.WriteFile(out, file, 0o755); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkWheel runs the project's own verification (what publish runs) and
// fails on any problem.
func checkWheel(t testing.TB, path string, opts dist.Options) *dist.Distribution {
	t.Helper()
	ds, problems := dist.Check([]string{path}, opts)
	for _, p := range problems {
		t.Errorf("dist.Check: %s", p.Error())
	}
	for _, w := range ds[0].Warnings {
		t.Errorf("dist.Check warning: %s", w.Error())
	}
	return ds[0]
}

func testSpec() Spec {
	return Spec{
		Name:        "Hello-Tool",
		Version:     "v" + testVersion,
		Summary:     "Says hello",
		License:     "Apache License, version 2",
		URLs:        map[string]string{"Source": "https://example.com/hello", "Homepage": "https://example.com"},
		Keywords:    []string{"cli", "hello"},
		Classifiers: []string{"Topic :: Utilities", "Environment :: Console"},
		Generator:   "goreleaser-pypi test",
	}
}

func ctx() context.Context { return context.Background() }
