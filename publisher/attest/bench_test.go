package attest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
)

// BenchmarkAttest40 is the cost of attesting a release of 40 files (B1's
// size) on top of its upload, against the local fake Sigstore over
// loopback HTTP: one Sigstore identity token, one Fulcio certificate, 40
// statements signed, 40 Rekor entries (4 at a time), 40 local
// verifications with sigstore-go. Network latency to the real Sigstore is
// not in it: add about one round trip to Fulcio and 40/4 to Rekor.
//
//	go test -run '^$' -bench Attest40 -benchtime 20x ./publisher/attest/
func BenchmarkAttest40(b *testing.B) {
	e := newEnvB(b)
	a := e.attester(b, Always)
	cred := e.credential(b)
	fs := make([]File, 40)
	for i := range fs {
		sum := sha256.Sum256([]byte(fmt.Sprint(i)))
		fs[i] = File{Filename: fmt.Sprintf("bench_pkg-1.0.%d-py3-none-any.whl", i), SHA256: hex.EncodeToString(sum[:])}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := a.Attest(context.Background(), cred, fs)
		if err != nil {
			b.Fatal(err)
		}
		if len(res) != 40 {
			b.Fatal(len(res))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/release")
}

// BenchmarkVerify is the local verification of one real production
// attestation (chain, SCT, inclusion proof, checkpoint, SET, DSSE, subject,
// identity) with sigstore-go against the embedded public-good root.
func BenchmarkVerify(b *testing.B) {
	v, err := NewVerifier(nil)
	if err != nil {
		b.Fatal(err)
	}
	sdist := "pypi_attestations-0.0.19.tar.gz"
	att, _ := readReal(b, sdist+".publish.attestation")
	digest := fileSHA256(b, realDir+"/"+sdist)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := v.Verify(att, sdist, digest, realGitHub); err != nil {
			b.Fatal(err)
		}
	}
}
