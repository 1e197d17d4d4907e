// Command trustedroot fetches Sigstore's public-good trusted_root.json
// through its TUF repository (tuf-repo-cdn.sigstore.dev, verified from the
// TUF root embedded in sigstore-go) and writes it where publisher/attest
// embeds it. Run it through scripts/update-trusted-root.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/tuf"
)

func main() {
	out := flag.String("out", "publisher/attest/trusted_root.json", "where to write trusted_root.json")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "update-trusted-root:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	cache, err := os.MkdirTemp("", "tuf-cache-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(cache)
	opts := tuf.DefaultOptions()
	opts.CachePath = cache
	client, err := tuf.New(opts)
	if err != nil {
		return fmt.Errorf("TUF client for %s: %w", opts.RepositoryBaseURL, err)
	}
	data, err := client.GetTarget("trusted_root.json")
	if err != nil {
		return fmt.Errorf("fetching trusted_root.json: %w", err)
	}
	if _, err := root.NewTrustedRootFromJSON(data); err != nil {
		return fmt.Errorf("the fetched trusted_root.json does not parse: %w", err)
	}
	old, _ := os.ReadFile(out)
	sum := sha256.Sum256(data)
	if bytes.Equal(old, data) {
		fmt.Printf("%s is up to date (sha256 %s)\n", out, hex.EncodeToString(sum[:]))
		return nil
	}
	if err := os.WriteFile(out, data, 0o644); err != nil {
		return err
	}
	fmt.Printf("wrote %s (sha256 %s): update PublicGoodTrustedRoot's source, date and sha256 in publisher/attest/defaults.go\n", out, hex.EncodeToString(sum[:]))
	return nil
}
