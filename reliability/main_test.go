package reliability

import (
	"fmt"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestMain removes the binary built for the end-to-end tests and fails the
// package when a test leaves goroutines behind (the in-process runs of
// publisher.Run must not leak connections, watchdogs or timers).
func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	if code == 0 {
		// Handlers of the local indexes may still be sleeping out an
		// injected delay (a POST whose body is unread does not see its
		// client go away); they end within seconds. A real leak does not.
		err := goleak.Find()
		if err != nil {
			time.Sleep(3 * time.Second)
			err = goleak.Find()
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "goroutines left behind: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}
