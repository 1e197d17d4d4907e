package upload

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves goroutines behind: an
// upload must not leak connections, watchdogs or progress tickers.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
