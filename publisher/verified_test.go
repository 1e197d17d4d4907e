package publisher

import (
	"testing"

	"github.com/goreleaser-pypi/goreleaser-pypi/publisher/dist"
)

func TestVerifiedAlready(t *testing.T) {
	a := &dist.Distribution{Path: "dist/a.whl"}
	b := &dist.Distribution{Path: "dist/b.tar.gz", Digests: dist.Digests{MD5: "x"}}
	for _, c := range []struct {
		name string
		job  Job
		want bool
	}{
		{"none", Job{Files: []string{"dist/a.whl"}}, false},
		{"matches", Job{Files: []string{"dist/a.whl", "dist/b.tar.gz"}, Verified: []*dist.Distribution{a, b}}, true},
		{"other order", Job{Files: []string{"dist/b.tar.gz", "dist/a.whl"}, Verified: []*dist.Distribution{a, b}}, false},
		{"fewer", Job{Files: []string{"dist/a.whl", "dist/b.tar.gz"}, Verified: []*dist.Distribution{a}}, false},
		{"nil entry", Job{Files: []string{"dist/a.whl"}, Verified: []*dist.Distribution{nil}}, false},
		{"print-hash wants md5", Job{Files: []string{"dist/a.whl"}, Verified: []*dist.Distribution{a}, PrintHash: true}, false},
		{"print-hash has md5", Job{Files: []string{"dist/b.tar.gz"}, Verified: []*dist.Distribution{b}, PrintHash: true}, true},
	} {
		if got := verifiedAlready(c.job); got != c.want {
			t.Errorf("%s: verifiedAlready = %v, want %v", c.name, got, c.want)
		}
	}
}
