#!/usr/bin/python3
"""Post-processing steps testdata/build.sh applies to real tools' output.

Subcommands:

  clamp-sdist SDIST
      Make a setuptools sdist reproducible the way strip-nondeterminism does:
      every member's mtime is clamped to SOURCE_DATE_EPOCH and the gzip header
      carries SOURCE_DATE_EPOCH. Member names, order, modes and contents are
      left exactly as the build tool wrote them.

  pep639 WHEEL SDIST OUTDIR LICENSE_EXPRESSION
      Debian's flit 3.8 predates PEP 639. Rewrite its wheel and sdist into
      what a PEP 639 backend (flit >= 3.11) writes: Metadata-Version 2.4 with
      License-Expression and License-File, the license moved to
      {name}-{version}.dist-info/licenses/, a regenerated RECORD, and a PEP 625
      sdist name and top directory ({name with _}-{version}).
"""

import base64
import gzip
import hashlib
import io
import os
import re
import sys
import tarfile
import time
import zipfile


def epoch() -> int:
    return int(os.environ.get("SOURCE_DATE_EPOCH", "1767225600"))


def write_targz(path: str, members) -> None:
    """Write (TarInfo, bytes-or-None) pairs as a reproducible tar.gz."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    with open(path, "wb") as f:
        with gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=epoch()) as gz:
            gz.write(raw.getvalue())


def read_targz(path: str):
    out = []
    with tarfile.open(path, "r:gz") as tar:
        for info in tar.getmembers():
            data = tar.extractfile(info).read() if info.isfile() else None
            out.append((info, data))
    return out


def clamp_sdist(path: str) -> None:
    members = read_targz(path)
    for info, _ in members:
        info.mtime = min(int(info.mtime), epoch())
        info.pax_headers = {}
    write_targz(path, members)


def record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def pep639_metadata(text: str, expression: str, license_files) -> str:
    head, sep, body = text.partition("\n\n")
    lines = [l for l in head.split("\n") if not l.startswith("License:")]
    if lines[0] != "Metadata-Version: 2.1":
        raise SystemExit(f"expected Metadata-Version 2.1 from flit, got {lines[0]!r}")
    lines[0] = "Metadata-Version: 2.4"
    # Core metadata order as flit >= 3.11 writes it: after the author fields.
    at = max(i for i, l in enumerate(lines) if l.split(":")[0] in
             ("Name", "Version", "Summary", "Author", "Author-email",
              "Maintainer", "Maintainer-email", "Home-page")) + 1
    new = [f"License-Expression: {expression}"] + [f"License-File: {f}" for f in license_files]
    lines[at:at] = new
    return "\n".join(lines) + sep + body


def zipinfo(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=time.gmtime(max(epoch(), 315532800))[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (0o100644 << 16)
    info.create_system = 3
    return info


def pep639(wheel: str, sdist: str, outdir: str, expression: str) -> None:
    base = os.path.basename(wheel)
    name, version = base.split("-")[:2]
    distinfo = f"{name}-{version}.dist-info/"
    files = []
    with zipfile.ZipFile(wheel) as z:
        for info in z.infolist():
            files.append([info.filename, z.read(info)])
    license_files = []
    for f in files:
        if f[0].startswith(distinfo) and f[0][len(distinfo):] in ("LICENSE", "COPYING", "LICENSE.txt"):
            license_files.append(f[0][len(distinfo):])
            f[0] = distinfo + "licenses/" + f[0][len(distinfo):]
    if not license_files:
        raise SystemExit(f"{wheel}: no license file under {distinfo}")
    for f in files:
        if f[0] == distinfo + "METADATA":
            metadata = pep639_metadata(f[1].decode(), expression, license_files)
            f[1] = metadata.encode()
        elif f[0] == distinfo + "WHEEL":
            f[1] = re.sub(rb"Generator: (.*)\n",
                          rb"Generator: \1 (PEP 639 metadata: testdata/tools/distfix.py)\n", f[1])
    files = [f for f in files if f[0] != distinfo + "RECORD"]
    record = "".join(f"{n},{record_hash(d)},{len(d)}\n" for n, d in files)
    record += f"{distinfo}RECORD,,\n"
    files.append([distinfo + "RECORD", record.encode()])
    with zipfile.ZipFile(os.path.join(outdir, base), "w") as z:
        for n, d in files:
            z.writestr(zipinfo(n), d)

    # sdist: PEP 625 name and top directory, PKG-INFO equal to METADATA.
    top = f"{name}-{version}"
    members = []
    for info, data in read_targz(sdist):
        old_top, _, rest = info.name.partition("/")
        info.name = top + ("/" + rest if rest else "")
        info.pax_headers = {}
        if rest == "PKG-INFO":
            data = metadata.encode()
            info.size = len(data)
            info.mtime = epoch()
        members.append((info, data))
    names = {i.name for i, _ in members}
    for lf in license_files:
        if f"{top}/{lf}" not in names:
            raise SystemExit(f"{sdist}: License-File {lf} is not in the sdist")
    write_targz(os.path.join(outdir, top + ".tar.gz"), members)


def main(argv) -> None:
    if len(argv) >= 2 and argv[1] == "clamp-sdist":
        for p in argv[2:]:
            clamp_sdist(p)
    elif len(argv) == 6 and argv[1] == "pep639":
        pep639(*argv[2:])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
