"""The ``docvision`` command, in-process through ``docvision.cli.main`` (plus one real
subprocess for the installed entry point)."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter

import docvision.pipeline
from docvision import __version__
from docvision.cli import main
from docvision.models import weights as weights_module

FAST = ["--dpi", "36", "--det-max-side", "128"]


@pytest.fixture
def cli(capsys):
    """``cli(*args)`` -> (exit code, stdout, stderr lines), with logging set up by ``main``
    itself as in a fresh process (pytest's own log capture is put aside meanwhile)."""
    root = logging.getLogger()

    def run(*args):
        handlers, level = root.handlers[:], root.level  # pytest's handlers of this test phase
        root.handlers = []
        try:
            code = main([str(a) for a in args])
        finally:
            root.handlers, root.level = handlers, level
        out, err = capsys.readouterr()
        return code, out, [line for line in err.splitlines() if line.strip()]

    return run


@pytest.fixture
def ocr(cli, small_weights):
    """``ocr(*args)``: ``docvision ocr`` with small test weights and fast settings."""
    return lambda *args: cli("ocr", *args, "--weights", small_weights, *FAST)


@pytest.fixture
def no_package_weights(monkeypatch, tmp_path, small_detector_config):
    empty = tmp_path / "no-weights"
    empty.mkdir()
    monkeypatch.setattr(weights_module, "PACKAGE_WEIGHTS", empty)
    monkeypatch.setattr(docvision.pipeline, "PACKAGE_WEIGHTS", empty)
    # untrained models as load() builds them, but a ResNet-18 detector: 4x faster to build
    monkeypatch.setattr(docvision.pipeline, "DetectorConfig", lambda: small_detector_config)


def assert_clean(err_lines):
    assert not any("Traceback" in line for line in err_lines), err_lines


def test_end_to_end_json_to_stdout(ocr, make_pdf, validate):
    pdf = make_pdf("letter.pdf", pages=2)
    code, out, err = ocr(pdf)
    assert code == 0 and err == []
    data = json.loads(out)
    validate(data)
    assert data["source"] == str(pdf)
    assert data["models"] == {"detector": "test-dbnet", "recognizer": "test-crnn"}
    assert [(p["index"], p["width"], p["height"], p["dpi"]) for p in data["pages"]] == [(0, 150, 100, 36), (1, 150, 100, 36)]


def test_format_from_output_suffix(ocr, make_pdf, tmp_path):
    pdf = make_pdf()
    code, out, err = ocr(pdf, "-o", tmp_path / "out.txt")
    assert code == 0 and out == "" and err == []
    text = (tmp_path / "out.txt").read_text(encoding="utf-8")
    assert not text.lstrip().startswith("{") and text.endswith("\n") and text.count("\f") == 1
    assert ocr(pdf, "-o", tmp_path / "out.hocr")[0] == 0
    ET.fromstring((tmp_path / "out.hocr").read_bytes())
    assert ocr(pdf, "-o", tmp_path / "out.html")[0] == 0
    assert "ocr_page" in (tmp_path / "out.html").read_text()
    assert ocr(pdf, "-o", tmp_path / "out.json", "--format", "text")[0] == 0  # --format wins
    assert not (tmp_path / "out.json").read_text().startswith("{")
    assert ocr(pdf, "-o", tmp_path / "out.unknown")[0] == 0  # unknown suffix: json
    json.loads((tmp_path / "out.unknown").read_text())
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_stdout_text_and_hocr(ocr, make_pdf):
    pdf = make_pdf()
    code, out, _ = ocr(pdf, "--format", "hocr")
    assert code == 0 and ET.fromstring(out.encode()).tag.endswith("html")
    code, out, _ = ocr(pdf, "-f", "text")
    assert code == 0 and out.count("\f") == 1


def test_output_file_in_a_new_folder(ocr, make_pdf, tmp_path):
    target = tmp_path / "new" / "dir" / "out.json"
    code, _, err = ocr(make_pdf(), "-o", target)
    assert code == 0 and err == [] and json.loads(target.read_text())["pages"]


def test_several_inputs_one_output_each_with_name_collisions(ocr, make_pdf, page_image, tmp_path, validate):
    a = make_pdf("a/scan.pdf", pages=1)
    b = make_pdf("b/scan.pdf", pages=2)
    png = tmp_path / "c" / "photo.png"
    png.parent.mkdir()
    page_image(150, 100).save(png)
    out = tmp_path / "results"
    code, stdout, err = ocr(a, b, png, "-o", out)
    assert code == 0 and stdout == "" and err == []
    assert sorted(p.name for p in out.iterdir()) == ["photo.json", "scan-2.json", "scan.json"]
    for name, source, pages in (("scan.json", a, 1), ("scan-2.json", b, 2), ("photo.json", png, 1)):
        data = json.loads((out / name).read_text())
        validate(data)
        assert data["source"] == str(source) and len(data["pages"]) == pages
    code, _, _ = ocr(a, b, "-o", out, "--format", "hocr")
    assert code == 0 and {"scan.hocr", "scan-2.hocr"} <= {p.name for p in out.iterdir()}


def test_several_inputs_need_an_output_folder(ocr, make_pdf):
    code, out, err = ocr(make_pdf("x.pdf"), make_pdf("y.pdf"))
    assert code == 2 and out == ""
    assert len(err) == 1 and "-o FOLDER" in err[0]


def bad_inputs(folder: Path, make_pdf, page_image) -> dict[str, str]:
    """Name -> expected reason of every kind of bad input, written into ``folder``."""
    folder.mkdir(exist_ok=True)
    (folder / "notes.pdf").write_text("not a pdf at all\n")
    (folder / "empty.pdf").write_bytes(b"")
    good = make_pdf("tmp-good.pdf").read_bytes()
    (folder / "cut.pdf").write_bytes(good[: len(good) // 2])
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(good)))
    writer.encrypt(user_password="pw", owner_password="owner", algorithm="RC4-128")
    writer.write(str(folder / "locked.pdf"))
    PdfWriter().write(str(folder / "nopages.pdf"))
    writer = PdfWriter()
    writer.add_blank_page(width=300 * 72, height=300 * 72)
    writer.write(str(folder / "poster.pdf"))
    buffer = io.BytesIO()
    page_image(150, 100).save(buffer, "PNG")
    (folder / "cut.png").write_bytes(buffer.getvalue()[:200])
    (folder / "adir.pdf").mkdir()
    return {
        "missing.pdf": "no such file",
        "adir.pdf": "not a file",
        "notes.pdf": "not a PDF or a supported image",
        "empty.pdf": "empty file",
        "cut.pdf": "corrupt or truncated PDF",
        "locked.pdf": "encrypted PDF: a password is needed",
        "nopages.pdf": "no pages",
        "poster.pdf": "page 1: page size 300 x 300 in is absurd",
        "cut.png": "unreadable image",
    }


def test_each_bad_input_is_one_line_and_the_others_complete(ocr, make_pdf, page_image, tmp_path, validate):
    bad = bad_inputs(tmp_path / "bad", make_pdf, page_image)
    good_pdf = make_pdf("good.pdf", pages=1)
    good_png = tmp_path / "good2.png"
    page_image(150, 100).save(good_png)
    inputs = [good_pdf, *(tmp_path / "bad" / name for name in bad), good_png]
    out = tmp_path / "out"
    code, stdout, err = ocr(*inputs, "-o", out)
    assert code == 1 and stdout == ""
    assert_clean(err)
    assert len(err) == len(bad), err
    for line, (name, reason) in zip(err, bad.items()):
        assert line.startswith(f"docvision: {tmp_path / 'bad' / name}: error: "), line
        assert reason in line, line
    assert sorted(p.name for p in out.iterdir()) == ["good.json", "good2.json"]
    for name in ("good.json", "good2.json"):
        validate(json.loads((out / name).read_text()))


@pytest.mark.parametrize("password, ok", [("pw", True), ("nope", False)])
def test_password(ocr, make_pdf, page_image, tmp_path, password, ok):
    bad_inputs(tmp_path / "bad", make_pdf, page_image)
    code, out, err = ocr(tmp_path / "bad" / "locked.pdf", "--password", password)
    if ok:
        assert code == 0 and len(json.loads(out)["pages"]) == 2
    else:
        assert code == 1 and out == "" and len(err) == 1 and "wrong password" in err[0]


def test_pages_option(ocr, make_pdf):
    pdf = make_pdf(pages=3)
    code, out, _ = ocr(pdf, "--pages", "2-3")
    assert code == 0 and [p["index"] for p in json.loads(out)["pages"]] == [1, 2]
    code, out, err = ocr(pdf, "--pages", "2,5")
    assert code == 1 and out == ""
    assert err == [f"docvision: {pdf}: error: page 5 out of range (document has 3 pages)"]
    code, _, err = ocr(pdf, "--pages", "0")
    assert code == 1 and "invalid page range" in err[0]


def test_dpi_option(cli, small_weights, make_pdf):
    code, out, _ = cli("ocr", make_pdf(pages=1), "--weights", small_weights, "--dpi", "72", "--det-max-side", "128")
    page = json.loads(out)["pages"][0]
    assert (page["width"], page["height"], page["dpi"]) == (300, 200, 72)


def test_existing_output_replaced_only_when_complete(ocr, make_pdf, tmp_path):
    target = tmp_path / "out.json"
    target.write_text("OLD")
    code, _, err = ocr(tmp_path / "missing.pdf", "-o", target)
    assert code == 1 and target.read_text() == "OLD"
    code, _, err = ocr(make_pdf(), "-o", target)
    assert code == 0 and json.loads(target.read_text())["pages"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doc.pdf", "out.json"]  # no temp file left


def test_export_failure_leaves_the_old_output(ocr, make_pdf, tmp_path, monkeypatch):
    target = tmp_path / "out.json"
    target.write_text("OLD")

    def crash(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", crash)
    code, _, err = ocr(make_pdf(), "-o", target)
    assert code == 1 and target.read_text() == "OLD"
    assert len(err) == 1 and "No space left on device" in err[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doc.pdf", "out.json"]


def test_an_internal_error_does_not_lose_the_other_inputs(ocr, make_pdf, tmp_path, monkeypatch):
    real = docvision.pipeline.OCRPipeline.ocr_image
    first = make_pdf("first.pdf", pages=1)

    def flaky(self, image, **kwargs):
        if not flaky.failed:
            flaky.failed = True
            raise RuntimeError("boom")
        return real(self, image, **kwargs)

    flaky.failed = False
    monkeypatch.setattr(docvision.pipeline.OCRPipeline, "ocr_image", flaky)
    code, _, err = ocr(first, make_pdf("second.pdf", pages=1), "-o", tmp_path / "out")
    assert code == 1
    assert err == [f"docvision: {first}: internal error: RuntimeError: boom"]
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["second.json"]


def test_bad_weights_folder(cli, make_pdf, tmp_path):
    code, out, err = cli("ocr", make_pdf(), "--weights", tmp_path / "nowhere", *FAST)
    assert code == 2 and out == ""
    assert len(err) == 1 and str(tmp_path / "nowhere" / "detector.safetensors") in err[0]


def test_untrained_warning_and_quiet(cli, make_pdf, no_package_weights, monkeypatch):
    pdf = make_pdf(pages=1)
    code, out, err = cli("ocr", pdf, *FAST)
    assert code == 0 and json.loads(out)["models"]["detector"] == "untrained"
    assert len(err) == 1 and "no trained weights installed" in err[0] and "detector, recognizer" in err[0]

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    code, out, err = cli("ocr", pdf, *FAST, "--quiet")
    assert code == 0 and json.loads(out)["pages"] and err == []  # no warning, no progress bar


def test_progress_bar_on_a_terminal_only(ocr, make_pdf, monkeypatch, capsys):
    pdf = make_pdf("report.pdf", pages=2)
    code, out, err = ocr(pdf)
    assert code == 0 and err == []  # stderr is not a terminal here
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    code, out, err = ocr(pdf)
    assert code == 0 and json.loads(out)["pages"]
    assert "report.pdf" in "".join(err) and "/2 [" in "".join(err)  # a bar over the 2 pages (redraws are throttled)


def test_detector_options_reach_the_pipeline(cli, small_weights, make_pdf, monkeypatch):
    loaded = []
    real = docvision.pipeline.load
    monkeypatch.setattr(docvision.pipeline, "load", lambda *a, **k: loaded.append(real(*a, **k)) or loaded[-1])
    args = ["--bin-thresh", "0.2", "--box-thresh", "0.9", "--unclip-ratio", "2.5", "--det-max-side", "160"]
    code, _, _ = cli("ocr", make_pdf(), "--weights", small_weights, "--dpi", "36", *args, "--no-orientation", "--upright-boxes")
    assert code == 0
    (pipeline,) = loaded
    post = pipeline.detector.postprocess
    assert (post.bin_thresh, post.box_thresh, post.unclip_ratio, pipeline.detector.max_side) == (0.2, 0.9, 2.5, 160)
    assert (pipeline.config.orientation, pipeline.config.upright_boxes) == (False, True)
    cli("ocr", make_pdf(), "--weights", small_weights, "--dpi", "36")
    assert (loaded[-1].config.orientation, loaded[-1].config.upright_boxes) == (True, False)  # the defaults
    code, _, err = cli("ocr", make_pdf(), "--weights", small_weights, "--det-runtime", "int8")
    assert code == 2 and len(err) == 1 and "detector.int8.onnx: file missing" in err[0]  # small_weights has none


def test_version_and_usage(cli, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and __version__ in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_:
        main([])
    assert exit_.value.code == 2


def test_installed_entry_point(make_pdf, tmp_path, validate, small_weights):
    """One real run of the installed command (weights from $DOCVISION_WEIGHTS): a one-line
    error for the bad input, output for the good one, exit 1, no traceback."""
    command = Path(sys.executable).with_name("docvision")
    assert command.is_file(), "the docvision entry point is not installed in this environment"
    good = make_pdf("good.pdf", pages=1)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    env[weights_module.WEIGHTS_ENV] = str(small_weights)  # the environment variable, for real
    result = subprocess.run(
        [str(command), "ocr", str(good), str(tmp_path / "missing.pdf"), "-o", str(tmp_path / "out"), *FAST],
        capture_output=True, text=True, env=env, timeout=180,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    err = result.stderr.splitlines()
    assert err == [f"docvision: {tmp_path / 'missing.pdf'}: error: no such file"]
    data = json.loads((tmp_path / "out" / "good.json").read_text())
    validate(data)
    assert data["models"]["detector"] == "test-dbnet"
