package main

import (
	"io"
	"os"
	"strconv"

	"github.com/caarlos0/log"
	"golang.org/x/term"
)

// newLogger returns GoReleaser's logger writing to w. caarlos0/log forces
// colours whenever CI is set; that suits GitHub Actions, whose log viewer
// renders them, but not a CI that stores plain logs or a script that parses
// our messages. So colours (and bold) are kept only for a terminal, on GitHub
// Actions, or when CLICOLOR_FORCE asks for them, and NO_COLOR always wins.
func newLogger(w io.Writer, getenv func(string) string) *log.Logger {
	if !wantColor(w, getenv) {
		w = &ansiStripper{w: w}
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

// ansiStripper removes ANSI escape sequences (CSI "ESC [ ... final" and
// two-byte "ESC x") from what passes through, even when a sequence is split
// across writes.
type ansiStripper struct {
	w     io.Writer
	state int // 0 text, 1 after ESC, 2 inside CSI
}

func (s *ansiStripper) Write(p []byte) (int, error) {
	out := make([]byte, 0, len(p))
	for _, b := range p {
		switch s.state {
		case 0:
			if b == 0x1b {
				s.state = 1
				continue
			}
			out = append(out, b)
		case 1:
			if b == '[' {
				s.state = 2
			} else {
				s.state = 0
			}
		case 2:
			if b >= 0x40 && b <= 0x7e {
				s.state = 0
			}
		}
	}
	if _, err := s.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}
