// Command polyglot is the Go half of a repository that also ships a Python
// package (python/): one `goreleaser release` builds both, and publishes the
// Python distributions to PyPI through goreleaser-pypi.
package main

import (
	"flag"
	"fmt"
	"os"
)

// version is set by GoReleaser: -ldflags "-X main.version={{.Version}}".
var version = "dev"

func main() {
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println(version)
		return
	}
	name := "world"
	if flag.NArg() > 0 {
		name = flag.Arg(0)
	}
	fmt.Fprintf(os.Stdout, "hello, %s (from Go, polyglot %s)\n", name, version)
}
