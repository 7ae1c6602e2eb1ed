"""LMDB datasets: recognition crops (CRNN key convention) and packed detection pages.

Keys, 1-based: ``image-%09d`` (encoded image bytes), ``label-%09d`` (UTF-8) and ``num-samples``
(ASCII integer). Recognition labels are the text; detection labels are page-folder JSON (with
``"id"``), and a detection LMDB also holds ``kind`` = ``detection``, which is how they are told apart.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path

import lmdb
import numpy as np
from torch.utils.data import Dataset

from docvision.datasets.labels import (
    clean_words,
    decode_image,
    encode_image,
    page_json,
    page_json_labels,
)
from docvision.datasets.readers import PageDataset
from docvision.datasets.types import LabeledPage

log = logging.getLogger(__name__)

DEFAULT_MAP_SIZE = 1 << 40  # virtual address space only; the file grows as it is written
_COMMIT_EVERY = 1000


_READERS: dict[tuple[int, str], lmdb.Environment] = {}
"""Read-only environments by (process, path): LMDB allows one per file and process, and an
environment must not cross a fork, so DataLoader workers open their own."""


def open_readonly(path: str | Path) -> lmdb.Environment:
    """The process's shared read-only environment of an LMDB."""
    path = Path(path).resolve()
    key = (os.getpid(), str(path))
    if key not in _READERS:
        for inherited in [k for k in _READERS if k[1] == key[1]]:  # from the parent of a fork
            _READERS.pop(inherited).close()
        _READERS[key] = lmdb.open(
            str(path), readonly=True, lock=False, readahead=False, meminit=False, subdir=path.is_dir()
        )
    return _READERS[key]


def _close_readonly(path: str | Path) -> None:
    env = _READERS.pop((os.getpid(), str(Path(path).resolve())), None)
    if env is not None:
        env.close()


def lmdb_kind(path: str | Path) -> str | None:
    """``"detection"`` or ``"recognition"`` for an LMDB at ``path``, ``None`` if it is not one."""
    path = Path(path)
    if not ((path / "data.mdb").is_file() or (path.is_file() and path.suffix in (".mdb", ".lmdb"))):
        return None
    with open_readonly(path).begin() as txn:
        kind = txn.get(b"kind")
    return kind.decode() if kind else "recognition"


def _write(path: str | Path, items: Iterable[tuple[bytes, bytes]], extra: dict[bytes, bytes], map_size: int) -> int:
    _close_readonly(path)
    Path(path).mkdir(parents=True, exist_ok=True)
    env = lmdb.open(str(path), map_size=map_size)
    n = 0
    txn = env.begin(write=True)
    for image, label in items:
        n += 1
        txn.put(b"image-%09d" % n, image)
        txn.put(b"label-%09d" % n, label)
        if n % _COMMIT_EVERY == 0:
            txn.commit()
            txn = env.begin(write=True)
    txn.put(b"num-samples", str(n).encode())
    for key, value in extra.items():
        txn.put(key, value)
    txn.commit()
    env.close()
    return n


def write_recognition_lmdb(
    path: str | Path, samples: Iterable[tuple[np.ndarray, str]], ext: str = ".png", map_size: int = DEFAULT_MAP_SIZE
) -> int:
    """Write ``(crop RGB image, text)`` samples; returns how many were written."""
    return _write(path, ((encode_image(img, ext), text.encode("utf-8")) for img, text in samples), {}, map_size)


def write_detection_lmdb(
    path: str | Path, pages: Iterable[LabeledPage], ext: str = ".png", map_size: int = DEFAULT_MAP_SIZE
) -> int:
    """Write labeled pages; returns how many were written."""

    def items() -> Iterable[tuple[bytes, bytes]]:
        for page in pages:
            label = {"id": page.id, **page_json(page)}
            yield encode_image(page.image, ext), json.dumps(label, ensure_ascii=False).encode("utf-8")

    return _write(path, items(), {b"kind": b"detection"}, map_size)


class _LmdbReader:
    """Samples of a read-only LMDB by 0-based index (picklable: holds only the path)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        env = open_readonly(self.path)
        with env.begin() as txn:
            raw = txn.get(b"num-samples", b"0")
            try:
                self.length = int(raw)
            except ValueError:
                raise ValueError(f"{self.path}: num-samples is {raw[:40]!r}, not a count") from None
            # two keys a sample: a count the database cannot hold would loop over missing samples for ever
            most = (env.stat()["entries"] - 1) // 2
            if not 0 <= self.length <= most:
                raise ValueError(
                    f"{self.path}: num-samples is {self.length}, but the database holds {most} samples at most"
                )
            if self.length and txn.get(b"image-%09d" % self.length) is None:
                raise ValueError(f"{self.path}: num-samples is {self.length}, but sample {self.length} is missing")

    def get(self, index: int) -> tuple[bytes | None, bytes | None]:
        """Image bytes and label bytes of 0-based sample ``index``."""
        with open_readonly(self.path).begin() as txn:
            return txn.get(b"image-%09d" % (index + 1)), txn.get(b"label-%09d" % (index + 1))

    def first_readable(self, index: int, what: str) -> tuple[int, np.ndarray, bytes]:
        """Entry ``index``, or the next one whose image decodes (the bad ones are logged)."""
        if not 0 <= index < self.length:
            raise IndexError(index)
        for k in range(self.length):
            i = (index + k) % self.length
            buf, label = self.get(i)
            image = decode_image(buf) if buf else None
            if image is not None and label is not None:
                return i, image, label
            log.error("%s: %s %d unreadable, skipped", self.path, what, i + 1)
        raise RuntimeError(f"{self.path}: no readable {what}")


class RecognitionLmdb(Dataset):
    """Word or line crops: ``[i] -> (RGB uint8 image, text)``; undecodable samples are logged
    and replaced by the next good one."""

    def __init__(self, path: str | Path) -> None:
        self.store = _LmdbReader(path)

    def __len__(self) -> int:
        return self.store.length

    def __getitem__(self, index: int) -> tuple[np.ndarray, str]:
        i, image, label = self.store.first_readable(index, "sample")
        return image, label.decode("utf-8")


class DetectionLmdb(PageDataset):
    """Pages packed by :func:`write_detection_lmdb`."""

    def __init__(self, path: str | Path) -> None:
        self.store = _LmdbReader(path)

    def __len__(self) -> int:
        return self.store.length

    def __getitem__(self, index: int) -> LabeledPage:
        i, image, label = self.store.first_readable(index, "page")
        data = json.loads(label)
        raw, ordered = page_json_labels(data, f"{self.store.path}: page {i + 1}")
        return LabeledPage(data.get("id", str(i + 1)), image, clean_words(raw, image.shape[1], image.shape[0]), ordered)
