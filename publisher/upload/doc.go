// Package upload sends verified distributions to a package index through
// the legacy upload API (POST multipart/form-data), the way PyPI's
// Warehouse expects it, and reports on every file.
//
// What it does, and why:
//
//   - Streaming with a known length. The form fields and the "content" part
//     header are rendered up front, the file is read from disk as it is sent,
//     and Content-Length is exact: no chunked encoding, no buffering, memory
//     independent of the file size. Every attempt re-opens the file.
//   - Concurrency. Wheels go before the sdist. The first file of each new
//     release (its smallest wheel) leads: the index creates the release
//     inside that upload, so the release's other files start once its body
//     is sent and hold back their last 64 KiB until it is stored; they never
//     reach the index whole before the release exists, yet their transfers
//     overlap its processing. At most Options.Concurrency uploads are in
//     flight, each worker on its own keep-alive HTTP/1.1 connection (over
//     HTTP/2 all uploads would share one TCP connection and its windows).
//   - Retries. Connection errors, timeouts, stalls, 5xx and 429 are retried
//     with exponential backoff and jitter (Retry-After honoured, capped)
//     within RetryPolicy; other 4xx are final. The token is asked for per
//     attempt; a token the index calls expired is invalidated and renewed once.
//   - Safe re-runs. With SkipExisting the index is read first (JSON API, or
//     the simple API, or Options.CheckURL) without credentials, and files
//     with the same sha256 are skipped. An "already exists" answer is always
//     settled by reading the index: identical content is success (an earlier
//     attempt that landed counts once), different content fails with both
//     hashes and the advice to bump the version. Matching the answer's text
//     decides only when the index cannot be read.
//   - Safety. Plain http only to loopback; an upload never follows a
//     redirect (credentials go to the configured host only), and says what
//     the index answered; the token never appears in an error or a log.
//
// Upload returns one Result per file (Results), in upload order: its
// status, the error with its type, the attempts. Package report renders
// them (JSON schema, step summary, annotations); package index reads the
// index back.
package upload
