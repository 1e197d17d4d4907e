#!/bin/sh
# Rebuilds testdata/corpus: small real distributions written by the build
# backends people publish with, each as the tool wrote it (sdists only get
# their member mtimes clamped, tools/distfix.py clamp-sdist). corpus.json
# says what `check` must answer for each file and why; the Go tests fail
# when a file listed there is missing.
#
# Tools (Debian 12 packages unless noted):
#   setuptools 66.1  /usr/bin/python3 -m build --no-isolation (python3-build, python3-setuptools, python3-wheel)
#   setuptools 56.0  the copy bundled with CPython 3.8 (pyenv 3.8.18's site-packages), with
#                    Debian's wheel 0.38 put on its path for bdist_wheel
#   hatchling 1.12   python3-hatchling (built with -x: Debian lacks its editables dependency, unused here)
#   poetry-core 1.4  python3-poetry-core
#   flit_core 3.8    flit
# Re-running with the same tools gives identical files (SOURCE_DATE_EPOCH).
set -eu

export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-1767225600}" # 2026-01-01T00:00:00Z
export PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1 TZ=UTC LC_ALL=C.UTF-8
umask 022

here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
py38=${PY38:-/root/.pyenv/versions/3.8.18/bin/python3.8}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cp -R "$here/src" "$work/src"
find "$work/src" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
mkdir -p "$work/out"

build() { # project [extra build flags]
	p=$1
	shift
	(cd "$work/src/$p" && $py -m build --no-isolation "$@" --outdir "$work/out/$p" . >"$work/$p.log" 2>&1) ||
		{ cat "$work/$p.log"; exit 1; }
}

# setuptools 56: bdist_wheel needs the wheel package, which CPython 3.8's
# site-packages lacks; give it Debian's (and nothing else from there).
old_setuptools() { # project
	p=$1
	mkdir -p "$work/pywheel"
	for d in /usr/lib/python3/dist-packages/wheel /usr/lib/python3/dist-packages/wheel-*-info; do
		ln -sf "$d" "$work/pywheel/"
	done
	(cd "$work/src/$p" && PYTHONPATH="$work/pywheel" $py38 -c 'import setuptools, sys; assert setuptools.__version__ == "56.0.0", setuptools.__version__' &&
		PYTHONPATH="$work/pywheel" $py38 setup.py -q sdist --formats=gztar --dist-dir "$work/out/$p" bdist_wheel --dist-dir "$work/out/$p" >"$work/$p.log" 2>&1) ||
		{ cat "$work/$p.log"; exit 1; }
}

for p in licfile21 rstdoc badrst poetry-demo flitdjango flitunknown; do build "$p"; done
for p in hatch-demo hatch-spdx; do build "$p" -x; done
old_setuptools oldst

rm -f "$here"/*.whl "$here"/*.tar.gz
for f in "$work"/out/*/*.whl "$work"/out/*/*.tar.gz; do
	case "$f" in *.tar.gz) $py "$here/../tools/distfix.py" clamp-sdist "$f" ;; esac
	cp "$f" "$here/"
done
chmod 644 "$here"/*.whl "$here"/*.tar.gz
ls -l "$here"/*.whl "$here"/*.tar.gz
