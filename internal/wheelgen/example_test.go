package wheelgen_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/goreleaser-pypi/goreleaser-pypi/internal/wheelgen"
)

// A wheel just over PyPI's default 100 MiB per-file limit, for a test of the
// size check, written in a second without holding it in memory.
func ExampleWrite() {
	dir, err := os.MkdirTemp("", "wheelgen")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path, err := wheelgen.Write(dir, wheelgen.Spec{
		Name:    "too-big",
		Version: "1.0.0",
		Size:    100<<20 + 1,
		Metadata: []wheelgen.Header{
			{Name: "Requires-Python", Value: ">=3.9"},
		},
	})
	if err != nil {
		panic(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		panic(err)
	}
	fmt.Println(filepath.Base(path), st.Size() > 100<<20)
	// Output: too_big-1.0.0-py3-none-any.whl true
}
