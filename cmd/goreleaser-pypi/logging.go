package main

import (
	"io"
	"os"
	"strconv"

	"github.com/caarlos0/log"
	"golang.org/x/term"

	"github.com/goreleaser-pypi/goreleaser-pypi/internal/plainlog"
)

// newLogger returns GoReleaser's logger writing to w. caarlos0/log forces
// colours whenever CI is set; that suits GitHub Actions, whose log viewer
// renders them, but not a CI that stores plain logs or a script that parses
// our messages. So colours (and bold) are kept only for a terminal, on GitHub
// Actions, or when CLICOLOR_FORCE asks for them, and NO_COLOR always wins.
func newLogger(w io.Writer, getenv func(string) string) *log.Logger {
	if !wantColor(w, getenv) {
		w = plainlog.Writer(w)
	}
	return log.New(w)
}

func wantColor(w io.Writer, getenv func(string) string) bool {
	if getenv("NO_COLOR") != "" {
		return false
	}
	if force, _ := strconv.ParseBool(getenv("CLICOLOR_FORCE")); force {
		return true
	}
	if getenv("GITHUB_ACTIONS") == "true" {
		return true
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
