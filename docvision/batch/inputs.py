"""The inputs of a run and where their results go: files, folders walked recursively (their tree
mirrored under the output folder), list files, and page ranges per input (``scan.pdf:1-3``)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path, PurePath

from docvision.batch.engine import Job

FOLDER_SUFFIXES = frozenset({".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".gif", ".bmp", ".webp"})
"""The files a folder contributes (by suffix, any case); a file named on the command line or in a list
is read whatever its name."""
_WITH_PAGES = re.compile(r"(.+):(\d[\d,\-\s]*)")


def split_pages(arg: str) -> tuple[str, str | None]:
    """``scan.pdf:1-3`` -> ``("scan.pdf", "1-3")``; a name that exists as written is never split."""
    match = _WITH_PAGES.fullmatch(arg)
    if match is None or os.path.lexists(arg):
        return arg, None
    return match.group(1), match.group(2)


def read_list(text: str) -> list[str]:
    """The inputs of a list file: one per line; blank lines and lines starting with ``#`` are skipped."""
    return [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def walk(folder: str, skip: Path | None, on_error: Callable[[OSError], None]) -> Iterator[str]:
    """Files of ``folder`` and its subfolders with a :data:`FOLDER_SUFFIXES` suffix, in sorted order;
    hidden files and folders (a leading dot) and the folder ``skip`` (the output folder) left out."""
    skip = skip.resolve() if skip is not None else None
    for root, dirs, files in os.walk(folder, onerror=on_error):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and Path(root, d).resolve() != skip)
        for name in sorted(files):
            if not name.startswith(".") and Path(name).suffix.lower() in FOLDER_SUFFIXES:
                yield os.path.join(root, name)


def expand(args: Iterable[str], pages: str | None, skip: Path | None,
           on_error: Callable[[OSError], None]) -> list[tuple[Job, PurePath, bool]]:
    """Each input as a job, the output path it gets (relative, without suffix) and whether it came
    from a folder. ``pages`` applies to inputs without ranges of their own; a folder's ranges apply
    to each of its files. A folder without inputs stays a job of its own, which fails."""
    found = []
    for arg in args:
        name, own = split_pages(arg)
        ranges = own if own is not None else pages
        files = list(walk(name, skip, on_error)) if os.path.isdir(name) else []
        for path in files:
            found.append((Job(path, ranges), PurePath(os.path.relpath(path, name)).with_suffix(""), True))
        if not files:  # a file, a name that is neither (it fails when read) or a folder without inputs (said so)
            found.append((Job(name, ranges), PurePath(PurePath(name).stem), False))
    return found


def output_paths(stems: Iterable[PurePath], folder: Path, suffix: str) -> list[Path]:
    """``folder/STEM+suffix`` for each stem; a name taken already gets ``-2``, ``-3``, ... in order."""
    paths, used = [], set()
    for stem in stems:
        candidate, n = folder / f"{stem}{suffix}", 1
        while candidate in used:
            n += 1
            candidate = folder / f"{stem}-{n}{suffix}"
        used.add(candidate)
        paths.append(candidate)
    return paths

