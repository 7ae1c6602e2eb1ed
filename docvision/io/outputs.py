"""Atomic output files: readers never see a half-written file."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

_TEMPORARY = re.compile(r"\.(.+)\.[0-9a-f]{12}\.tmp")


def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Write ``data`` (text as UTF-8) to a temporary file beside ``path``, then rename it over ``path``."""
    path = Path(path)
    # not mkstemp: its 0600 mode would end up on the output; O_EXCL + 0666 lets the umask decide
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"  # as _TEMPORARY finds it
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def remove_temporaries(paths: Iterable[str | Path]) -> int:
    """Remove the temporary files that a killed ``write_atomic`` of any of ``paths`` left behind;
    returns how many. (Another process writing one of ``paths`` at the same time loses its file.)"""
    names: defaultdict[Path, set[str]] = defaultdict(set)
    for path in map(Path, paths):
        names[path.parent].add(path.name)
    removed = 0
    for folder, wanted in names.items():
        try:
            entries = os.listdir(folder)
        except OSError:  # not made yet
            continue
        for entry in entries:
            match = _TEMPORARY.fullmatch(entry)
            if match and match.group(1) in wanted:
                (folder / entry).unlink(missing_ok=True)
                removed += 1
    return removed


def sha256_file(path: str | os.PathLike) -> str:
    """sha256 of the file's bytes, read 1 MiB at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
