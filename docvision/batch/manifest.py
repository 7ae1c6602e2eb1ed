"""The manifest of an output folder, ``docvision-manifest.jsonl``: one JSON line per input event
(``start``, then ``done``, ``failed`` or ``interrupted``), appended as it happens, so a run killed at
any moment leaves a true record of what it finished. An input is done when its last line says ``done``
for the same content (sha256), the same options and the same output file, and that file exists; a
later run skips it and redoes every other input.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from docvision.io.outputs import sha256_file

NAME = "docvision-manifest.jsonl"


def options_key(settings: dict[str, Any]) -> str:
    """A short digest of the settings that shape a result (JSON with sorted keys)."""
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]


class Manifest:
    """The manifest in ``folder``: read once when opened, appended to from then on."""

    def __init__(self, folder: Path):
        self.path = folder / NAME
        self.last: dict[str, dict[str, Any]] = {}
        """Input name -> its last record."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            data = b""
        for line in data.splitlines():
            try:
                record = json.loads(line)
            except ValueError:  # a line cut short by a kill
                continue
            if isinstance(record, dict) and isinstance(record.get("input"), str):
                self.last[record["input"]] = record
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        if data and not data.endswith(b"\n"):
            os.write(self._fd, b"\n")  # end the cut line: the next record must start a line of its own

    def append(self, record: dict[str, Any]) -> None:
        """One line, in one write (O_APPEND): a kill leaves whole lines and at most one cut last line."""
        record = {**record, "time": round(time.time(), 3)}
        os.write(self._fd, (json.dumps(record) + "\n").encode())
        if "input" in record:
            self.last[record["input"]] = record

    def sha256(self, name: str, stat: os.stat_result) -> str:
        """The content hash of input ``name``, reused from its last record while its size and
        modification time (``stat``, its :func:`os.stat`) are those recorded (as git's index does)."""
        record = self.last.get(name, {})
        if record.get("size") == stat.st_size and record.get("mtime_ns") == stat.st_mtime_ns and record.get("sha256"):
            return record["sha256"]
        return sha256_file(name)

    def is_done(self, name: str, sha256: str, options: str, output: str, folder: Path) -> bool:
        record = self.last.get(name)
        return (record is not None and record.get("event") == "done" and record.get("sha256") == sha256
                and record.get("options") == options and record.get("output") == output and (folder / output).is_file())

    def close(self) -> None:
        os.close(self._fd)
