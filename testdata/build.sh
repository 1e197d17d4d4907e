#!/bin/sh
# Rebuilds every committed test distribution from testdata/src with real tools:
#   good/  accepted by PyPI's rules (see good/README.md)
#   bad/   real tools' output PyPI rejects, plus generated broken files (bad/make.py)
# Tools: Debian's /usr/bin/python3 -m build --no-isolation (setuptools 66,
# wheel 0.38) and flit 3.8. Re-running gives byte-identical files on the same
# tool versions: SOURCE_DATE_EPOCH fixes zip/tar timestamps, and setuptools'
# sdists get their member mtimes clamped (tools/distfix.py clamp-sdist).
# Needs: /usr/bin/python3 with build+setuptools (python3-build), flit, and a
# python3 on PATH with pip (tools/verify_good.py installs and imports each wheel).
set -eu

export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-1767225600}" # 2026-01-01T00:00:00Z
export PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1 TZ=UTC LC_ALL=C.UTF-8
umask 022

here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Build from a copy so build/ and *.egg-info never land in testdata/src, with
# every source file's mtime at SOURCE_DATE_EPOCH.
cp -R "$here/src" "$work/src"
find "$work/src" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
mkdir -p "$work/out"

setuptools_build() { # project
	(cd "$work/src/$1" && $py -m build --no-isolation --outdir "$work/out/$1" . >"$work/$1.log" 2>&1) ||
		{ cat "$work/$1.log"; exit 1; }
	for f in "$work/out/$1"/*.tar.gz; do $py "$here/tools/distfix.py" clamp-sdist "$f"; done
}
flit_build() { # project
	(cd "$work/src/$1" && flit build >"$work/$1.log" 2>&1) || { cat "$work/$1.log"; exit 1; }
	mkdir -p "$work/out/$1" && mv "$work/src/$1"/dist/* "$work/out/$1/"
}

for p in tinyutil demo-py richmeta; do setuptools_build "$p"; done
for p in flit-hello spdx-demo; do flit_build "$p"; done
mkdir -p "$work/out/spdx-demo-2.4"
$py "$here/tools/distfix.py" pep639 \
	"$work/out/spdx-demo/spdx_demo-0.2.0-py3-none-any.whl" \
	"$work/out/spdx-demo/spdx-demo-0.2.0.tar.gz" \
	"$work/out/spdx-demo-2.4" MIT

rm -rf "$here/good"/*.whl "$here/good"/*.tar.gz
mkdir -p "$here/good" "$here/bad"
o="$work/out"
cp "$o/tinyutil/tinyutil-0.1.0-py3-none-any.whl" "$o/tinyutil/tinyutil-0.1.0.tar.gz" \
	"$o/demo-py/demo_py-0.1.0-py3-none-any.whl" \
	"$o/richmeta/richmeta-1.2.0-py3-none-any.whl" "$o/richmeta/richmeta-1.2.0.tar.gz" \
	"$o/flit-hello/flit_hello-0.3.0-py2.py3-none-any.whl" \
	"$o/spdx-demo-2.4/spdx_demo-0.2.0-py3-none-any.whl" "$o/spdx-demo-2.4/spdx_demo-0.2.0.tar.gz" \
	"$here/good/"
chmod 644 "$here/good"/*.whl "$here/good"/*.tar.gz

# Real tools' output that PyPI rejects (see bad/README.md).
cp "$o/demo-py/demo-py-0.1.0.tar.gz" \
	"$o/flit-hello/flit-hello-0.3.0.tar.gz" \
	"$here/bad/"
chmod 644 "$here/bad"/*.whl "$here/bad"/*.tar.gz

# Check the good set: PEP 427/625 file names consistent with the metadata inside.
$py "$here/tools/verify_good.py" "$here/good"

# Generated broken distributions, derived from the good ones.
$py "$here/bad/make.py" "$here/good" "$here/bad"

# Real outputs of many build backends, with what check must say of each.
"$here/corpus/build.sh"
