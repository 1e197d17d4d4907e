#!/usr/bin/python3
"""Checks that every distribution in a directory follows the rules PyPI
enforces on file names and archive layout, so a mistake in build.sh cannot
silently put a broken file into testdata/good.

For each wheel: PEP 427 name with the normalized project name, version equal
to METADATA's, METADATA/WHEEL/RECORD present, RECORD listing exactly the
archive's files with matching sha256 and sizes, no data descriptors, no
archive comment, stored/deflate only, License-File paths present; then it is
installed with pip (--no-deps, into a scratch directory) and imported.
For each sdist: PEP 625 name, exactly one top directory named like the file,
{top}/PKG-INFO whose Name/Version match, License-File paths present.
"""

import base64
import email.parser
import hashlib
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile

ACCEPTED = {"1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5"}


def fail(path, msg):
    raise SystemExit(f"{path}: {msg}")


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_metadata(path, raw):
    msg = email.parser.BytesParser().parsebytes(raw)
    mv = msg["Metadata-Version"]
    if mv not in ACCEPTED:
        fail(path, f"Metadata-Version {mv} is not accepted by PyPI")
    for field in ("License-Expression", "License-File"):
        if msg[field] is not None and mv not in ("2.4", "2.5"):
            fail(path, f"{field} needs Metadata-Version 2.4, file has {mv}")
    if msg["License"] is not None and msg["License-Expression"] is not None:
        fail(path, "License and License-Expression together")
    return msg


def check_wheel(path):
    base = os.path.basename(path)
    parts = base[: -len(".whl")].split("-")
    if len(parts) != 5:
        fail(path, "wheel filename is not name-version-python-abi-platform.whl")
    name, version = parts[0], parts[1]
    with zipfile.ZipFile(path) as z:
        if z.comment:
            fail(path, "archive comment")
        infos = z.infolist()
        names = [i.filename for i in infos]
        if len(set(names)) != len(names):
            fail(path, "duplicate entries")
        for i in infos:
            if i.flag_bits & 0x08:
                fail(path, f"{i.filename}: data descriptor (flag bit 3)")
            if i.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                fail(path, f"{i.filename}: compression {i.compress_type}")
        di = f"{name}-{version}.dist-info/"
        for f in ("METADATA", "WHEEL", "RECORD"):
            if di + f not in names:
                fail(path, f"missing {di}{f}")
        msg = parse_metadata(path, z.read(di + "METADATA"))
        if normalize(msg["Name"]).replace("-", "_") != name:
            fail(path, f"filename name {name} is not the normalized {msg['Name']}")
        if msg["Version"] != version:
            fail(path, f"filename version {version} != METADATA {msg['Version']}")
        record = {}
        for line in z.read(di + "RECORD").decode().splitlines():
            fn, h, size = line.rsplit(",", 2)
            record[fn] = (h, size)
        if set(record) != set(names):
            fail(path, f"RECORD lists {sorted(record)} but the zip has {sorted(names)}")
        for fn, (h, size) in record.items():
            if fn == di + "RECORD":
                continue
            data = z.read(fn)
            want = "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            if h != want or int(size) != len(data):
                fail(path, f"RECORD entry for {fn} does not match")
        for lf in msg.get_all("License-File") or []:
            if di + "licenses/" + lf not in names:
                fail(path, f"License-File {lf} is not at {di}licenses/{lf}")
        modules = sorted({n.split("/")[0] for n in names if not n.startswith(di)})
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["python3", "-m", "pip", "install", "--quiet", "--no-deps",
                        "--disable-pip-version-check", "--root-user-action=ignore", "--no-index", "--target", tmp, path], check=True)
        for mod in modules:
            out = subprocess.run(["python3", "-c", f"import {mod}; print({mod}.__version__)"],
                                 env={**os.environ, "PYTHONPATH": tmp}, check=True,
                                 capture_output=True, text=True).stdout.strip()
            if out != version:
                fail(path, f"import {mod}: __version__ {out} != {version}")


def check_sdist(path):
    base = os.path.basename(path)
    stem = base[: -len(".tar.gz")]
    name, _, version = stem.partition("-")
    with tarfile.open(path, "r:gz") as tar:
        members = tar.getmembers()
        tops = {m.name.split("/")[0] for m in members}
        if tops != {stem}:
            fail(path, f"top directories {sorted(tops)}, want exactly {stem}")
        for m in members:
            if not (m.isfile() or m.isdir()):
                fail(path, f"{m.name}: not a regular file or directory")
        msg = parse_metadata(path, tar.extractfile(f"{stem}/PKG-INFO").read())
        expected = normalize(msg["Name"]).replace("-", "_") + "-" + msg["Version"] + ".tar.gz"
        if base != expected:
            fail(path, f"not a PEP 625 name, should be {expected}")
        names = {m.name for m in members}
        for lf in msg.get_all("License-File") or []:
            if f"{stem}/{lf}" not in names:
                fail(path, f"License-File {lf} is not in the sdist")


def main(d):
    files = sorted(os.listdir(d))
    n = 0
    for f in files:
        p = os.path.join(d, f)
        if f.endswith(".whl"):
            check_wheel(p)
        elif f.endswith(".tar.gz"):
            check_sdist(p)
        else:
            continue
        n += 1
    print(f"verify_good: {n} distributions in {d} OK")


if __name__ == "__main__":
    main(sys.argv[1])
