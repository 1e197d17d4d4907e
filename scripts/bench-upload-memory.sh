#!/usr/bin/env bash
# Measures the peak memory (RSS) of `goreleaser-pypi upload` sending one
# large wheel (1 GiB by default) to a local index, and fails when it exceeds
# the budget: memory must not grow with the file size (the body is streamed
# from disk with a known Content-Length).
#
#   scripts/bench-upload-memory.sh              # 1 GiB, budget 48 MiB
#   SIZE_MIB=256 BUDGET_MIB=48 scripts/bench-upload-memory.sh
#
# The wheel is written by internal/wheelgen (valid, incompressible payload).
# The index is a small in-process stand-in that streams each upload through
# a multipart parser and checks its sha256, so the client is measured, not a
# server; it also checks that the body came with a Content-Length and
# without chunked encoding. Needs /usr/bin/time (Debian package "time").
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export GOTOOLCHAIN=local

size_mib=${SIZE_MIB:-1024}
budget_mib=${BUDGET_MIB:-48}

if [ ! -x /usr/bin/time ]; then
  echo "needs /usr/bin/time (apt-get install time)" >&2
  exit 1
fi

work=$(mktemp -d)
# The helper program must live inside the module to import internal/wheelgen.
helper_dir=$(mktemp -d "$root/.bench-upload-memory.XXXXXX")
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work" "$helper_dir"
}
trap cleanup EXIT

cat >"$helper_dir/main.go" <<'GO'
// Command helper writes the benchmark wheel, or serves a minimal upload endpoint.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"

	"github.com/goreleaser-pypi/goreleaser-pypi/internal/wheelgen"
)

func main() {
	switch os.Args[1] {
	case "wheel":
		mib, _ := strconv.ParseInt(os.Args[3], 10, 64)
		path, err := wheelgen.Write(os.Args[2], wheelgen.Spec{Name: "bench-upload-memory", Version: "1.0.0", Size: mib << 20, Seed: 1})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(path)
	case "serve":
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("http://%s/legacy/\n", ln.Addr())
		os.Stdout.Sync()
		http.Serve(ln, http.HandlerFunc(serve))
	}
}

func serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	if r.ContentLength <= 0 || len(r.TransferEncoding) > 0 {
		msg := fmt.Sprintf("want a Content-Length and no chunked encoding, got length %d, transfer encoding %v", r.ContentLength, r.TransferEncoding)
		fmt.Fprintln(os.Stderr, "index:", msg)
		http.Error(w, msg, http.StatusBadRequest)
		return
	}
	mr, err := r.MultipartReader()
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var want, got string
	var n int64
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		switch p.FormName() {
		case "sha256_digest":
			b, _ := io.ReadAll(p)
			want = string(b)
		case "content":
			h := sha256.New()
			n, _ = io.Copy(h, p)
			got = hex.EncodeToString(h.Sum(nil))
		default:
			io.Copy(io.Discard, p)
		}
	}
	if got != want {
		http.Error(w, "The digest supplied does not match a digest calculated from the uploaded file.", http.StatusBadRequest)
		return
	}
	fmt.Fprintf(os.Stderr, "index: stored %d bytes, sha256 %s\n", n, got)
}
GO

echo "building goreleaser-pypi"
go build -o "$work/goreleaser-pypi" ./cmd/goreleaser-pypi
go build -o "$work/helper" "$helper_dir"

echo "writing a ${size_mib} MiB wheel"
wheel=$("$work/helper" wheel "$work" "$size_mib")
ls -l "$wheel"

"$work/helper" serve >"$work/url" 2>"$work/index.log" &
server_pid=$!
for _ in $(seq 100); do [ -s "$work/url" ] && break; sleep 0.05; done
url=$(head -n1 "$work/url")

echo "uploading to $url"
start=$(date +%s.%N)
set +e
PYPI_API_TOKEN=pypi-bench-upload-memory /usr/bin/time -v "$work/goreleaser-pypi" upload \
  --repository-url "$url" --trusted-publishing never --max-file-size "$((size_mib + 16))MiB" \
  --json "$wheel" >"$work/report.json" 2>"$work/upload.log"
status=$?
set -e
end=$(date +%s.%N)
cat "$work/index.log"
if [ $status -ne 0 ]; then
  echo "upload failed (exit $status):" >&2
  cat "$work/upload.log" "$work/report.json" >&2
  exit 1
fi
grep -q '"status": "uploaded"' "$work/report.json" || { echo "report says the file was not uploaded" >&2; cat "$work/report.json" >&2; exit 1; }

rss_kib=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$work/upload.log")
rss_mib=$(awk -v k="$rss_kib" 'BEGIN { printf "%.1f", k / 1024 }')
secs=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f", e - s }')
rate=$(awk -v m="$size_mib" -v s="$secs" 'BEGIN { printf "%.0f", m / s }')
echo "upload of ${size_mib} MiB (verify + send): ${secs} s (${rate} MiB/s), peak RSS ${rss_mib} MiB (budget ${budget_mib} MiB)"
if [ "$rss_kib" -gt $((budget_mib * 1024)) ]; then
  echo "FAIL: peak RSS ${rss_mib} MiB is over the ${budget_mib} MiB budget" >&2
  exit 1
fi
echo "OK"
