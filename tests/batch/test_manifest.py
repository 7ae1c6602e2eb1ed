"""The manifest of an output folder: a true record after a kill at any moment."""

from __future__ import annotations

import hashlib
import json
import os

from docvision.batch.manifest import NAME, Manifest, options_key


def test_records_survive_a_cut_last_line_and_decide_what_is_done(tmp_path):
    source = tmp_path / "a.pdf"
    source.write_bytes(b"%PDF-1.4 a")
    (tmp_path / "a.json").write_text("{}")
    digest = hashlib.sha256(b"%PDF-1.4 a").hexdigest()
    manifest = Manifest(tmp_path)
    stat = source.stat()
    assert manifest.sha256(str(source), stat) == digest
    base = {"input": str(source), "sha256": digest, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns,
            "options": "k1", "output": "a.json"}
    manifest.append({**base, "event": "start"})
    manifest.append({**base, "event": "done"})
    manifest.close()
    with open(tmp_path / NAME, "ab") as f:
        f.write(b'{"input": "b.pdf", "event": "do')  # a kill in the middle of a line

    manifest = Manifest(tmp_path)
    assert manifest.is_done(str(source), digest, "k1", "a.json", tmp_path)
    assert not manifest.is_done(str(source), digest, "k2", "a.json", tmp_path)  # other options
    assert not manifest.is_done(str(source), "0" * 64, "k1", "a.json", tmp_path)  # other content
    assert not manifest.is_done(str(source), digest, "k1", "b.json", tmp_path)  # another output name
    assert "b.pdf" not in manifest.last
    manifest.append({**base, "event": "start"})  # in flight when killed: not done
    manifest.close()
    lines = (tmp_path / NAME).read_text().splitlines()
    assert json.loads(lines[-1])["event"] == "start" and lines[-2].endswith('"event": "do')
    assert not Manifest(tmp_path).is_done(str(source), digest, "k1", "a.json", tmp_path)

    (tmp_path / "a.json").unlink()
    with open(tmp_path / NAME, "a") as f:
        f.write(json.dumps({**base, "event": "done"}) + "\n")
    assert not Manifest(tmp_path).is_done(str(source), digest, "k1", "a.json", tmp_path)  # the output is gone


def test_the_hash_is_reused_while_size_and_time_are_unchanged(tmp_path):
    source = tmp_path / "a.png"
    source.write_bytes(b"one")
    manifest = Manifest(tmp_path)
    stat = source.stat()
    manifest.append({"input": str(source), "sha256": "cached", "size": stat.st_size, "mtime_ns": stat.st_mtime_ns})
    assert manifest.sha256(str(source), stat) == "cached"
    source.write_bytes(b"two")
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert manifest.sha256(str(source), source.stat()) == hashlib.sha256(b"two").hexdigest()


def test_options_key_ignores_key_order():
    key = options_key({"a": 1, "b": [1, 2]})
    assert key == options_key({"b": [1, 2], "a": 1}) != options_key({"a": 2, "b": [1, 2]})
