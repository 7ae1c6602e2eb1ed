"""Inputs of a run: folders walked in a stable order, page ranges per input, mirrored output names."""

from __future__ import annotations

from pathlib import Path, PurePath

from docvision.batch.inputs import expand, output_paths, read_list, split_pages


def test_page_ranges_per_input(tmp_path):
    assert split_pages("scan.pdf:1-3,7") == ("scan.pdf", "1-3,7")
    assert split_pages("scan.pdf") == ("scan.pdf", None)
    assert split_pages("odd:name.pdf") == ("odd:name.pdf", None)
    (tmp_path / "kept:12").touch()  # an existing name is never split
    assert split_pages(str(tmp_path / "kept:12")) == (str(tmp_path / "kept:12"), None)


def test_list_files_skip_blank_lines_and_comments():
    assert read_list("a.pdf\n\n# all of b\nb/\n  c.png:2\n") == ["a.pdf", "b/", "  c.png:2"]


def test_folders_are_walked_sorted_and_mirrored(tmp_path):
    root = tmp_path / "in"
    names = ["b.pdf", "a.PNG", "sub/deep/c.tiff", "sub/x.pdf", "notes.txt", ".hidden.pdf", ".git/d.pdf", "out/e.pdf"]
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).touch()
    errors = []
    found = expand([str(root), f"{root / 'b.pdf'}:2"], "1", root / "out", errors.append)
    assert [(job.source, job.pages, str(stem), folder) for job, stem, folder in found] == [
        (str(root / "a.PNG"), "1", "a", True),
        (str(root / "b.pdf"), "1", "b", True),
        (str(root / "sub/x.pdf"), "1", "sub/x", True),
        (str(root / "sub/deep/c.tiff"), "1", "sub/deep/c", True),
        (str(root / "b.pdf"), "2", "b", False),
    ]
    assert errors == []
    empty = tmp_path / "empty"
    empty.mkdir()
    assert [(job.source, folder) for job, _, folder in expand([str(empty)], None, None, errors.append)] == [
        (str(empty), False)]  # kept, so that it fails with its reason


def test_taken_output_names_get_a_number():
    stems = [PurePath("a"), PurePath("sub/a"), PurePath("a"), PurePath("a")]
    assert output_paths(stems, Path("/out"), ".json") == [
        Path("/out/a.json"), Path("/out/sub/a.json"), Path("/out/a-2.json"), Path("/out/a-3.json")]
