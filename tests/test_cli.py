"""The ``docvision`` command, in-process through ``docvision.cli.main`` (plus one real
subprocess for the installed entry point)."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import secrets
import subprocess
import sys
import time
import warnings
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter

import docvision.pipeline
import docvision.zoo
from docvision import __version__
from docvision.cli import PASSWORD_ENV, build_parser, main
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
    monkeypatch.setattr(docvision.zoo, "PACKAGE_WEIGHTS", empty)
    # untrained models as load() builds them, but a ResNet-18 detector: 4x faster to build
    detector = docvision.zoo.ARCHITECTURES["detector"]
    monkeypatch.setitem(docvision.zoo.ARCHITECTURES, "detector", replace(detector, config=lambda: small_detector_config))


MANIFEST = "docvision-manifest.jsonl"


def is_summary(line: str, done: int, skipped: int, failed: int, pages: int, folder: Path | None = None) -> bool:
    """Whether ``line`` is the last line of a run with an output folder (its seconds matched loosely)."""
    listed = f"; the failures are the \"failed\" lines of {folder / MANIFEST}" if failed else ""
    return re.fullmatch(rf"docvision: {done} done, {skipped} skipped \(done before\), {failed} failed; "
                        rf"{pages} pages in \d+ s( \([\d.]+ pages/s\))?{re.escape(listed)}", line) is not None


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
    assert ocr(pdf, "-o", tmp_path / "out")[0] == 0  # no suffix: json
    json.loads((tmp_path / "out").read_text())
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


@pytest.mark.parametrize("name", ["out.md", "out.unknown"])
def test_unknown_output_suffix_is_a_usage_error(cli, make_pdf, tmp_path, name, monkeypatch):
    monkeypatch.setattr(docvision.pipeline, "load", lambda *a, **k: pytest.fail("models loaded"))
    code, out, err = cli("ocr", make_pdf(), "-o", tmp_path / name)
    assert code == 2 and out == "" and not (tmp_path / name).exists()
    assert err == [f"docvision: error: {tmp_path / name}: unknown output suffix '{Path(name).suffix}' "
                   "(use one of .json .txt .hocr .html .xml .tsv .pdf, or --format)"]


def test_alto_tsv_and_searchable_pdf_outputs(ocr, make_pdf, tmp_path, ink_pipeline, monkeypatch):
    """The format follows the suffix; the PDF keeps the input's pages and holds the JSON's words
    (words from the ink pipeline, which finds the test pages' black boxes)."""
    monkeypatch.setattr(docvision.pipeline, "load", lambda *a, **k: ink_pipeline)
    pdf = make_pdf(pages=2)
    for name in ("out.alto.xml", "out.tsv", "out.searchable.pdf", "out.json"):
        code, out, err = ocr(pdf, "-o", tmp_path / name)
        assert code == 0 and out == "" and err == []
    assert ET.fromstring((tmp_path / "out.alto.xml").read_bytes()).tag == "{http://www.loc.gov/standards/alto/ns-v4#}alto"
    assert (tmp_path / "out.tsv").read_text().startswith("level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\t")
    searchable = PdfReader(tmp_path / "out.searchable.pdf")
    assert len(searchable.pages) == 2
    data = json.loads((tmp_path / "out.json").read_text())
    for page, result in zip(searchable.pages, data["pages"]):
        words = [w["text"] for b in result["blocks"] for ln in b["lines"] for w in ln["words"]]
        assert words and page.extract_text().split() == words


def test_searchable_pdf_options(ocr, make_pdf, page_image, tmp_path, monkeypatch):
    png = tmp_path / "scan.png"
    page_image(300, 200).save(png)
    code, _, err = ocr(png, "-o", tmp_path / "scan.pdf", "--jpeg-quality", "40")
    assert code == 0 and err == []
    (image,) = PdfReader(tmp_path / "scan.pdf").pages[0]["/Resources"]["/XObject"].values()
    assert image.get_object()["/Filter"] == "/DCTDecode"
    code, _, err = ocr(png, "-o", tmp_path / "scan.json", "--jpeg-quality", "40")
    assert code == 2 and err == ["docvision: error: --jpeg-quality applies to --format pdf only"]
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    code, _, err = ocr(png, "--format", "pdf")
    assert code == 2 and len(err) == 1 and "-o FILE.pdf" in err[0]


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
    assert code == 0 and stdout == ""
    assert len(err) == 1 and is_summary(err[0], 3, 0, 0, 4), err
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "photo.json", "scan-2.json", "scan.json"]
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
        "adir.pdf": "a folder without PDF or image files",
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
    assert len(err) == len(bad) + 1, err
    for line, (name, reason) in zip(err, bad.items()):
        assert line.startswith(f"docvision: {tmp_path / 'bad' / name}: error: "), line
        assert reason in line, line
    assert is_summary(err[-1], 2, 0, len(bad), 2, out), err[-1]
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "good.json", "good2.json"]
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
    assert err == [f"docvision: {target}: error: cannot write (No space left on device)"]  # the output's name
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
    assert err[0] == f"docvision: {first}: error: page 1: internal error: RuntimeError: boom"
    assert len(err) == 2 and is_summary(err[1], 1, 0, 1, 1, tmp_path / "out"), err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [MANIFEST, "second.json"]


def test_debug_prints_tracebacks_and_verbose_the_models_and_pages(ocr, cli, make_pdf, tmp_path, monkeypatch):
    pdf = make_pdf("first.pdf", pages=2)
    code, _, err = ocr(pdf, "-o", tmp_path / "v.json", "-v")
    assert code == 0 and err[0].startswith("docvision: models {'detector': 'test-dbnet', 'recognizer': 'test-crnn'}: ")
    pages = [re.sub(r"\d+ words, detect .*", "", line) for line in err[1:]]
    assert pages == [f"docvision: {pdf}: page {n}: " for n in (1, 2)]
    code, _, err = cli("--debug", "ocr", tmp_path / "missing.pdf")  # before the command too
    assert code == 1 and err[0] == f"docvision: {tmp_path / 'missing.pdf'}: error: no such file"
    assert err[1] == "Traceback (most recent call last):" and err[-1].startswith("docvision.errors.InputError: ")
    monkeypatch.setattr(docvision.pipeline.OCRPipeline, "ocr_image", lambda *a, **k: 1 / 0)
    code, _, err = ocr(pdf, "--debug")  # -v's lines too (no models line: ocr_image, which would load them, fails)
    line = f"docvision: {pdf}: error: page 1: internal error: ZeroDivisionError: division by zero (and 1 more failed pages)"
    assert code == 1 and err[0] == line
    assert "Traceback (most recent call last):" in err and err[-1] == "ZeroDivisionError: division by zero"
    code, _, err = ocr(pdf)  # the same without --debug: one line
    assert code == 1 and err == [line]


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
    assert err[0] == f"docvision: {tmp_path / 'missing.pdf'}: error: no such file" and len(err) == 2
    data = json.loads((tmp_path / "out" / "good.json").read_text())
    validate(data)
    assert data["models"]["detector"] == "test-dbnet"


# --------------------------------------------------------------------------- hostile options, names, outputs


@pytest.fixture
def no_load(monkeypatch):
    """``docvision.pipeline.load`` made to fail the test: these errors must come before the models load."""

    def load(*args, **kwargs):
        raise AssertionError("the models were loaded")

    monkeypatch.setattr(docvision.pipeline, "load", load)


@pytest.mark.parametrize(
    "options, message",
    [
        (["--threads", "-1"], "argument --threads: expected a positive integer, got '-1'"),
        (["--threads", "x"], "argument --threads: expected a positive integer, got 'x'"),
        (["--device", "bogus"], "argument --device: expected auto, cpu, cuda or cuda:N, got 'bogus'"),
        (["--dpi", "-5"], "argument --dpi: expected a positive integer, got '-5'"),
        (["--dpi", "0"], "argument --dpi: expected a positive integer, got '0'"),
        (["--det-max-side", "0"], "argument --det-max-side: expected a positive integer, got '0'"),
        (["--renderer", "gs"], "argument --renderer: invalid choice: 'gs'"),
        (["--text-layer", "never"], "argument --text-layer: invalid choice: 'never'"),
    ],
)
def test_bad_options_are_one_line(make_pdf, no_load, capsys, options, message):
    with pytest.raises(SystemExit) as exit_:
        main(["ocr", str(make_pdf()), *options])
    assert exit_.value.code == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"docvision ocr: error: {message}") and line.endswith(" (see docvision ocr --help)")


@pytest.mark.parametrize(
    "text, message",
    [
        ("a: [", "not valid YAML (expected the node content, but found '<stream end>' at line 1, column 5)"),
        ("- 1\n- 2", "PipelineConfig: expected a mapping of settings, got list [1, 2]"),
        ("5", "PipelineConfig: expected a mapping of settings, got int 5"),
        ("dpi: -5", "dpi must be positive, got -5"),
        ("dpi: abc", "PipelineConfig.dpi: expected int, got 'abc'"),
        ("renderer: gs", "renderer must be one of pdfium, poppler, got 'gs'"),
        ("postprocess: {box_thresh: 2}", "box_thresh must be between 0 and 1, got 2"),
    ],
)
def test_bad_config_files_are_one_line(cli, make_pdf, tmp_path, no_load, text, message):
    config = tmp_path / "bad.yaml"
    config.write_text(text)
    code, out, err = cli("ocr", make_pdf(), "--config", config)
    assert code == 2 and out == ""
    assert err == [f"docvision: error: {config}: {message}"]


def test_bad_threshold_options_are_one_line(cli, make_pdf, no_load):
    code, out, err = cli("ocr", make_pdf(), "--line-margin", "-1")
    assert code == 2 and out == ""
    assert err == ["docvision: error: line_margin must be between 0 and 1, got -1.0"]


def test_input_errors_come_before_the_models_load(cli, make_pdf, page_image, tmp_path, no_load):
    bad = bad_inputs(tmp_path / "bad", make_pdf, page_image)
    del bad["cut.png"]  # a damaged image shows when its pixels are read
    code, out, err = cli("ocr", *(tmp_path / "bad" / name for name in bad), "-o", tmp_path / "out")
    assert code == 1 and out == "" and len(err) == len(bad) + 1
    for line, (name, reason) in zip(err, bad.items()):
        assert line.startswith(f"docvision: {tmp_path / 'bad' / name}: error: ") and reason in line, line


@pytest.mark.parametrize("target, reason", [
    ("/proc/x.json", "No such file or directory"),
    ("/proc/nowhere/x.json", "No such file or directory"),
    ("{tmp}/a-file/x.json", "File exists"),
])
def test_an_output_that_cannot_be_written_is_named_before_the_work(cli, make_pdf, tmp_path, no_load, target, reason):
    (tmp_path / "a-file").touch()
    target = target.format(tmp=tmp_path)
    code, out, err = cli("ocr", make_pdf(), "-o", target)
    assert code == 2 and out == ""
    assert err == [f"docvision: {target}: error: cannot write ({reason})"]
    folder = Path(target).with_suffix("")  # an output folder for several inputs
    code, out, err = cli("ocr", make_pdf(), make_pdf("other.pdf"), "-o", folder)
    assert code == 2 and len(err) == 1
    assert re.fullmatch(rf"docvision: {re.escape(str(folder))}(/doc\.json)?: error: cannot write \(.+\)", err[0])


def test_file_names_that_are_not_utf8_or_hold_control_characters(ocr, page_image, tmp_path, validate):
    folder = os.fsencode(tmp_path)
    names = [os.fsdecode(folder + b"/bad\xffname.png"), os.fsdecode(folder + b"/tab\x01name.png")]
    for name in names:
        page_image(150, 100).save(name)
    for name, shown in zip(names, ("bad\\xffname.png", "tab\\x01name.png")):
        code, _, err = ocr(name, "-o", tmp_path / "out.json")
        assert code == 0 and err == []
        data = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
        validate(data)
        assert data["source"] == str(tmp_path / shown)
        code, _, err = ocr(name, "-o", tmp_path / "out.hocr")
        assert code == 0 and err == []
        root = ET.fromstring((tmp_path / "out.hocr").read_bytes())  # well-formed XML
        assert str(tmp_path / shown) in ET.tostring(root, encoding="unicode")
    code, _, err = ocr(os.fsdecode(folder + b"/gone\xff\n.png"))
    assert code == 1 and err == [f"docvision: {tmp_path}/gone\\xff\\x0a.png: error: no such file"]  # one line


def corrupt_exif_jpeg(path: Path, page_image) -> Path:
    """A JPEG whose EXIF block points past its end (Pillow warns)."""
    ifd = b"MM\x00\x2a\x00\x00\x00\x08" + b"\x00\x01" + b"\x01\x0e\x00\x02\x00\x00\x00\x40\x00\x00\x00\x1a" + b"\x00" * 4
    page_image(150, 100).save(path, exif=b"Exif\x00\x00" + ifd + b"short")
    return path


def test_pillow_warnings_become_docvision_lines(ocr, page_image, tmp_path):
    jpeg = corrupt_exif_jpeg(tmp_path / "exif.jpg", page_image)
    bomb = tmp_path / "bomb.png"
    image = Image.new("1", (10_000, 9_000))  # 90 Mpx: over Pillow's warning size, under its error size
    image.save(bomb, optimize=True)
    with warnings.catch_warnings(record=True) as raw:
        warnings.simplefilter("always")
        code, out, err = ocr(jpeg, bomb, "-o", tmp_path / "out")
    assert not [w for w in raw if "PIL" in w.filename], [str(w.message) for w in raw]
    assert code == 1 and len(err) == 3, err
    assert err[0] == f"docvision: {jpeg}: page 1: warning: Tag data larger than file. Skipping tag 270"
    assert err[1] == f"docvision: {bomb}: error: page 1: image is 10000 x 9000 pixels, over the limit of 60,000,000"
    assert (tmp_path / "out" / "exif.json").is_file()


def test_an_interrupt_keeps_the_finished_pages(ocr, make_pdf, tmp_path, monkeypatch, validate):
    real = docvision.pipeline.OCRPipeline.ocr_image
    calls = []

    def interrupted(self, image, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt  # as Ctrl-C during the third page
        return real(self, image, **kwargs)

    monkeypatch.setattr(docvision.pipeline.OCRPipeline, "ocr_image", interrupted)
    pdf = make_pdf("long.pdf", pages=5)
    code, out, err = ocr(pdf, "-o", tmp_path / "out.json")
    assert code == 130 and out == ""
    done = f"docvision: {pdf}: interrupted: the 2 of 5 pages done are in {tmp_path / 'out.json'}, marked partial"
    assert err == [done, "docvision: interrupted"]
    data = json.loads((tmp_path / "out.json").read_text())
    validate(data)
    assert data["partial"] is True and [p["index"] for p in data["pages"]] == [0, 1]
    calls.clear()
    code, _, _ = ocr(pdf, "-o", tmp_path / "out.hocr")
    assert code == 130 and 'name="docvision-partial"' in (tmp_path / "out.hocr").read_text()
    calls[:] = [1, 1]  # the next page is the third: interrupted before any page is done
    code, _, err = ocr(pdf, "-o", tmp_path / "none.json")
    assert code == 130 and not (tmp_path / "none.json").exists() and err == ["docvision: interrupted"]
    monkeypatch.setattr(docvision.pipeline.OCRPipeline, "ocr_image", real)
    code, out, _ = ocr(pdf, "--pages", "1")
    assert code == 0 and "partial" not in json.loads(out)  # a complete document says nothing


# --------------------------------------------------------------------------- PDF renderers and passwords


def test_renderer_option(ocr, make_pdf):
    pdf = make_pdf(pages=1)
    pages = {}
    for renderer in ("pdfium", "poppler"):
        code, out, err = ocr(pdf, "--renderer", renderer)
        assert code == 0 and err == []
        (page,) = json.loads(out)["pages"]
        pages[renderer] = (page["width"], page["height"], page["dpi"])
    assert pages["pdfium"] == pages["poppler"] == (150, 100, 36)


def test_password_from_a_file_or_the_environment(ocr, make_pdf, page_image, tmp_path, monkeypatch):
    bad_inputs(tmp_path / "bad", make_pdf, page_image)
    locked = tmp_path / "bad" / "locked.pdf"
    (tmp_path / "pw").write_text("pw\n")
    code, out, err = ocr(locked, "--password-file", tmp_path / "pw")
    assert code == 0 and len(json.loads(out)["pages"]) == 2
    code, _, err = ocr(locked, "--password-file", tmp_path / "nope")
    assert code == 2 and len(err) == 1 and "cannot read the password file" in err[0]
    monkeypatch.setenv(PASSWORD_ENV, "pw")
    code, out, err = ocr(locked)
    assert code == 0 and len(json.loads(out)["pages"]) == 2
    code, _, err = ocr(locked, "--renderer", "poppler")
    assert code == 2 and err == ["docvision: error: a password needs the pdfium renderer "
                                 "(poppler's tools would show it in process lists)"]


def scan_cmdlines(process: subprocess.Popen, *needles: bytes) -> dict[bytes, list[str]]:
    """Read every process's command line until ``process`` ends: those holding each needle."""
    seen: dict[bytes, list[str]] = {needle: [] for needle in needles}
    while process.poll() is None:
        for path in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                cmdline = path.read_bytes()
            except OSError:  # the process ended meanwhile
                continue
            for needle in needles:
                if needle in cmdline:
                    seen[needle].append(cmdline.replace(b"\0", b" ").decode(errors="replace"))
        time.sleep(0.02)  # leave the cores to docvision
    return seen


def test_the_password_is_in_no_command_line(make_pdf, tmp_path, small_weights):
    """Every /proc/*/cmdline is read while docvision renders an encrypted PDF with the password from
    the environment: the password is in none (docvision's, or a child's), while the scan does see
    docvision's own command line (the PDF's path) all along."""
    secret = f"pw-{secrets.token_hex(8)}"
    locked = tmp_path / f"locked-{secrets.token_hex(4)}.pdf"
    writer = PdfWriter()
    writer.append(PdfReader(str(make_pdf(pages=3))))
    writer.encrypt(user_password=secret, owner_password="owner", algorithm="AES-128")
    writer.write(str(locked))
    root = Path(docvision.__file__).resolve().parent.parent
    command = [sys.executable, "-m", "docvision", "ocr", str(locked), "--weights", str(small_weights), *FAST,
               "-o", str(tmp_path / "out.json")]
    env = dict(os.environ, OMP_NUM_THREADS="1", **{PASSWORD_ENV: secret})
    with subprocess.Popen(command, cwd=root, env=env, stderr=subprocess.PIPE) as run:
        seen = scan_cmdlines(run, secret.encode(), str(locked).encode())
        assert run.wait(timeout=180) == 0, run.stderr.read()
    assert len(json.loads((tmp_path / "out.json").read_text())["pages"]) == 3
    assert seen[secret.encode()] == []
    assert len(seen[str(locked).encode()]) > 10 and all("docvision ocr" in line for line in seen[str(locked).encode()])


def test_text_layer_option(cli, small_weights, tmp_path, monkeypatch, validate):
    """auto (the default) takes a born-digital page's words without loading the models; only never OCRs."""
    from tests.textlayer import pdfs

    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(pdfs.join(pdfs.born_digital(), pdfs.scanned()))
    monkeypatch.setattr(docvision.zoo, "stages", lambda *a, **k: pytest.fail("models loaded"))
    code, out, err = cli("ocr", pdf, "--weights", small_weights, "--pages", "1")
    assert code == 0 and err == []
    data = json.loads(out)
    validate(data)
    (page,) = data["pages"]
    assert page["text_layer"] == {"path": "used", "reason": "", "regions": []}
    assert {w["source"] for b in page["blocks"] for ln in b["lines"] for w in ln["words"]} == {"pdf"}
    code, out, err = cli("ocr", pdf, "--weights", small_weights, "--text-layer", "only", "--format", "text")
    assert code == 0 and out.startswith("Quarterly report of the harbour board")
    assert err == [f"docvision: {pdf}: warning: page 2 needs OCR, not done (--text-layer only)"]


@pytest.mark.parametrize("where", ["before", "after"])
def test_quiet_leaves_only_errors_on_every_command(where, tmp_path, capsys):
    out = tmp_path / "synth"
    args = ["synth", str(out), "--pages", "1", "--dpi", "36", "--clean"]
    assert main(args) == 0
    assert "wrote 1 pages" in capsys.readouterr().err
    level = logging.getLogger("docvision").level
    assert main(["-q", *args] if where == "before" else [*args, "-q"]) == 0
    assert capsys.readouterr().err == ""
    assert logging.getLogger("docvision").level == level  # a library's caller keeps its logging
    assert main(["data", "show", str(out), "--index", "3", "-o", str(tmp_path / "x.png"), "-q"]) == 2
    assert "out of range" in capsys.readouterr().err
    parser = build_parser()
    for command in (["ocr", "x.pdf"], ["eval", "x"], ["train", "rec"], ["bench"], ["quantize"], ["data", "pack", "a", "b"]):
        assert parser.parse_args([*command, "-q"]).quiet and parser.parse_args(["-q", *command]).quiet
        assert not parser.parse_args(command).quiet
