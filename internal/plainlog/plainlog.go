// Package plainlog gives caarlos0/log loggers without terminal escape codes.
//
// caarlos0/log forces colours whenever CI is set, and NO_COLOR still leaves
// bold in; a log that is stored as plain text, parsed by a script or matched
// by a test wants neither.
package plainlog

import (
	"io"

	"github.com/caarlos0/log"
)

// New returns a logger writing to w with every escape sequence removed.
func New(w io.Writer) *log.Logger { return log.New(Writer(w)) }

// Writer wraps w so that ANSI escape sequences (CSI "ESC [ ... final" and
// two-byte "ESC x") are removed from what passes through, even when a
// sequence is split across writes.
func Writer(w io.Writer) io.Writer { return &stripper{w: w} }

type stripper struct {
	w     io.Writer
	state int // 0 text, 1 after ESC, 2 inside CSI
}

func (s *stripper) Write(p []byte) (int, error) {
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
