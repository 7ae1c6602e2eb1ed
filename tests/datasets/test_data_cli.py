from __future__ import annotations

import cv2

from docvision.cli import build_parser
from docvision.datasets.lmdb_store import lmdb_kind
from docvision.datasets.formats import open_labeled


def _run(*argv: str) -> int:
    args = build_parser().parse_args(list(argv))
    return args.func(args)


def test_synth_show_pack(tmp_path):
    out = tmp_path / "synth"
    assert _run("synth", str(out), "--pages", "2", "--seed", "7", "--dpi", "72") == 0
    pages = open_labeled(out)
    assert len(pages) == 2 and pages[1].image.shape == (792, 612, 3)
    assert _run("data", "show", str(out), "--index", "1", "-o", str(tmp_path / "show.png")) == 0
    sheet = cv2.imread(str(tmp_path / "show.png"))
    assert sheet.shape[0] == 792 and sheet.shape[1] > 3 * 612
    assert _run("data", "pack", str(out), str(tmp_path / "det")) == 0
    assert lmdb_kind(tmp_path / "det") == "detection"
    assert (
        _run("data", "pack", str(tmp_path / "det"), str(tmp_path / "words"), "--kind", "words", "--jitter", "0.1") == 0
    )
    assert lmdb_kind(tmp_path / "words") == "recognition"
    assert _run("data", "show", str(out), "--index", "5", "-o", str(tmp_path / "x.png")) == 2


def test_synth_word_crops(tmp_path):
    assert _run("synth", str(tmp_path / "w.lmdb"), "--pages", "1", "--dpi", "72", "--kind", "lines", "--clean") == 0
    assert lmdb_kind(tmp_path / "w.lmdb") == "recognition"
