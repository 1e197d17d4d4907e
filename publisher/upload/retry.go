package upload

import (
	"time"

	"github.com/goreleaser-pypi/goreleaser-pypi/config"
	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/retry"
)

// defaultMaxElapsed caps the time spent on one file, waits included.
const defaultMaxElapsed = 10 * time.Minute

// retryPolicy fills the zero fields of p with the settings' defaults
// (config.DefaultRetry*), the one home of them.
func retryPolicy(p retry.Policy) retry.Policy {
	if p.Attempts <= 0 {
		p.Attempts = config.DefaultRetryAttempts
	}
	if p.Delay <= 0 {
		p.Delay = config.DefaultRetryDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = config.DefaultRetryMaxDelay
	}
	if p.MaxDelay < p.Delay {
		p.MaxDelay = p.Delay
	}
	if p.MaxElapsed <= 0 {
		p.MaxElapsed = defaultMaxElapsed
	}
	return p
}
