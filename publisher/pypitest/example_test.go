package pypitest_test

import (
	"fmt"
	"net/http"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/pypitest"
)

// A local index outside of a test: Start it, use its URLs, Close it.
func ExampleStart() {
	srv, err := pypitest.Start("127.0.0.1:0", pypitest.WithToken("pypi-example-token"))
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	// Make the next upload fail with a 503, as an overloaded index would.
	srv.Faults().Next(1, pypitest.Fault{Status: http.StatusServiceUnavailable, RetryAfter: "1"})

	resp, err := http.Get(srv.SimpleURL)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, len(srv.Files()))
	// Output: 200 0
}
