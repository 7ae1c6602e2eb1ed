"""Atomic output files."""

from __future__ import annotations

import os

import pytest

from docvision.io import remove_temporaries, write_atomic


def test_writes_utf8_and_leaves_no_temp_file(tmp_path):
    path = tmp_path / "out.txt"
    write_atomic(path, "héllo €\n")
    assert path.read_bytes() == "héllo €\n".encode("utf-8")
    write_atomic(str(path), "second")
    assert path.read_text(encoding="utf-8") == "second"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_failure_keeps_the_old_file_and_removes_the_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "out.json"
    path.write_text("OLD")

    def crash(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError):
        write_atomic(path, "NEW" * 1000)
    assert path.read_text() == "OLD"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_interrupt_during_write_is_cleaned_up(tmp_path, monkeypatch):
    path = tmp_path / "out.json"
    monkeypatch.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        write_atomic(path, "x")
    assert list(tmp_path.iterdir()) == []


def test_temp_file_is_beside_the_target(tmp_path, monkeypatch):
    seen = []
    real = os.replace
    monkeypatch.setattr(os, "replace", lambda src, dst: seen.append((src, dst)) or real(src, dst))
    write_atomic(tmp_path / "a.hocr", "x")
    (src, dst), = seen
    assert os.path.dirname(src) == str(tmp_path) and os.path.basename(src).startswith(".a.hocr.")
    assert dst == tmp_path / "a.hocr"


def test_missing_folder_is_an_error(tmp_path):
    with pytest.raises(OSError):
        write_atomic(tmp_path / "no" / "such" / "dir" / "x.txt", "x")


def test_new_file_gets_the_usual_permissions(tmp_path):
    # like any file the user creates (umask applies), not mkstemp's private 0600
    (tmp_path / "reference").write_text("x")
    write_atomic(tmp_path / "out.txt", "x")
    assert (tmp_path / "out.txt").stat().st_mode & 0o777 == (tmp_path / "reference").stat().st_mode & 0o777


def test_temporaries_of_a_killed_write_are_removed(tmp_path):
    for name in [".a.json.0123456789ab.tmp", ".a.json.tmp", ".b.json.0123456789ab.tmp", "a.json", ".c.json.0123456789ab.tmp"]:
        (tmp_path / name).write_text("x")
    assert remove_temporaries([tmp_path / "a.json", tmp_path / "b.json", tmp_path / "new" / "d.json"]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == [".a.json.tmp", ".c.json.0123456789ab.tmp", "a.json"]
