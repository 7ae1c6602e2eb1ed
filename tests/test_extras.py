"""Optional dependencies: the extras' table matches pyproject.toml, a missing package is a
one-line error naming its extra, and ``docvision ocr`` runs without any of them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from docvision.errors import DocvisionError, MissingExtraError
from docvision.extras import EXTRAS, check_extra, require

REPO = Path(__file__).resolve().parent.parent
OPTIONAL = sorted({name for names in EXTRAS.values() for name in names})


def test_table_matches_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    for extra, names in EXTRAS.items():
        assert sorted(re.match(r"[A-Za-z0-9_.-]+", r)[0].lower() for r in extras[extra]) == sorted(names)
    runtime = {re.match(r"[A-Za-z0-9_.-]+", r)[0].lower() for r in project["dependencies"]}
    assert not runtime & set(OPTIONAL)
    assert set(EXTRAS["eval"]) <= set(EXTRAS["train"])  # training validates as eval does


def test_require_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "wordfreq", None)
    with pytest.raises(MissingExtraError) as err:
        require("wordfreq", "train")
    assert str(err.value) == "wordfreq is not installed (docvision's train extra): pip install 'docvision[train]'"
    assert isinstance(err.value, ImportError) and isinstance(err.value, DocvisionError) and err.value.name == "wordfreq"
    for name in ("scipy", "scipy.optimize"):  # the submodule too: other tests have imported it
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(MissingExtraError, match=r"^scipy is not installed .*docvision\[eval\]"):
        require("scipy.optimize", "eval")
    assert require("numpy.linalg", "eval").__name__ == "numpy.linalg"


def test_check_extra_lists_every_missing_package(monkeypatch):
    check_extra("train", "docvision train")  # the test set-up installs them all
    monkeypatch.setitem(sys.modules, "wordfreq", None)
    check_extra("eval", "docvision eval")  # wordfreq is not eval's
    monkeypatch.setitem(sys.modules, "scipy", None)
    message = r"^docvision train needs docvision's train extra \(scipy, wordfreq missing\)"
    with pytest.raises(MissingExtraError, match=message):
        check_extra("train", "docvision train")


@pytest.mark.parametrize("argv, extra", [
    (["train", "det"], "train"), (["quantize"], "train"), (["synth", "out"], "train"),
    (["data", "show", "x", "-o", "y.png"], "train"), (["eval", "x"], "eval"), (["bench"], "eval"),
])
def test_commands_say_which_extra_they_need(monkeypatch, capsys, argv, extra):
    from docvision.cli import main

    monkeypatch.setitem(sys.modules, "scipy", None)
    assert main(argv) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [f"docvision: error: docvision {argv[0]} needs docvision's {extra} extra (scipy missing): "
                   f"pip install 'docvision[{extra}]'"]


def test_ocr_needs_no_extra(make_pdf, small_weights, tmp_path):
    """``docvision ocr`` (lexicon included) in a process where importing any optional package fails."""
    out = tmp_path / "out.json"
    script = (
        f"import sys; sys.modules.update(dict.fromkeys({OPTIONAL!r}))\n"
        "from docvision.cli import main\n"
        f"code = main(['ocr', {str(make_pdf(pages=1))!r}, '--weights', {str(small_weights)!r}, '-o', {str(out)!r},"
        " '--dpi', '36', '--format', 'json'])\n"
        "from docvision.recognition.lexicon import Lexicon\n"
        "assert len(Lexicon.from_wordfreq(['en']).words) > 90_000\n"
        "sys.exit(code)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert json.loads(out.read_text())["pages"][0]["dpi"] == 36
