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

// summary counts results the way the report does: a file that was never
// sent counts as failed.
type summary struct{ Uploaded, Skipped, Failed, WouldUpload int }

func summarize(rs Results) summary {
	return summary{
		Uploaded:    rs.Count(StatusUploaded),
		Skipped:     rs.Count(StatusSkipped),
		Failed:      rs.Count(StatusFailed) + rs.Count(StatusNotAttempted),
		WouldUpload: rs.Count(StatusWouldUpload),
	}
}
