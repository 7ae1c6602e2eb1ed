"""``docvision ocr`` on folders, lists and stdin: mirrored outputs, the manifest that makes a run
resumable, worker processes, progress and the summary."""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
from pathlib import Path

from pypdf import PdfReader

import docvision.pipeline
from docvision.batch.command import _record
from docvision.batch.engine import Job
from docvision.batch.manifest import NAME, Manifest
from tests.conftest import page_image, pdf_bytes
from tests.test_cli import FAST, bad_inputs, cli, is_summary, ocr  # noqa: F401 (fixtures)


def manifest(out: Path) -> list[dict]:
    """The whole lines of the manifest about inputs."""
    lines = (out / NAME).read_text().splitlines()
    return [r for r in (json.loads(line) for line in lines if line.endswith("}")) if "input" in r]


def started(out: Path) -> list[str]:
    """The inputs that runs began to read, in order."""
    return [Path(r["input"]).name for r in manifest(out) if r["event"] == "start"]


def folder(root: Path) -> Path:
    for name, data in [("a.pdf", pdf_bytes(2)), ("sub/deep/c.pdf", pdf_bytes(1)), ("broken.pdf", b"not a pdf\n"),
                       ("notes.txt", b"not an input")]:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    page_image(150, 100).save(root / "sub" / "b.png")
    return root


def test_a_folder_is_mirrored_and_a_rerun_redoes_only_what_changed_or_failed(ocr, tmp_path):
    source, out = folder(tmp_path / "in"), tmp_path / "out"
    code, stdout, err = ocr(source, "-o", out)
    assert code == 1 and stdout == ""
    assert err[0] == f"docvision: {source / 'broken.pdf'}: error: not a PDF or a supported image (PNG, JPEG, TIFF, ...)"
    assert len(err) == 2 and is_summary(err[1], 3, 0, 1, 4, out), err
    outputs = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert outputs == {"a.json", "sub/b.json", "sub/deep/c.json", NAME}
    assert json.loads((out / "sub/deep/c.json").read_text())["source"] == str(source / "sub/deep/c.pdf")
    first = {name: (out / name).read_bytes() for name in ("a.json", "sub/b.json", "sub/deep/c.json")}
    failed = [r for r in manifest(out) if r["event"] == "failed"]
    assert [(Path(r["input"]).name, r["reason"]) for r in failed] == [
        ("broken.pdf", "not a PDF or a supported image (PNG, JPEG, TIFF, ...)")]
    assert sorted(started(out)) == ["a.pdf", "b.png", "c.pdf"]
    run = json.loads((out / NAME).read_text().splitlines()[0])  # what the options keys stand for
    assert run["event"] == "run" and run["settings"]["format"] == "json" and run["settings"]["open"]["dpi"] == 36

    code, _, err = ocr(source, "-o", out)  # the failed input is tried again, nothing else
    assert code == 1 and is_summary(err[-1], 0, 3, 1, 0, out)
    assert {name: (out / name).read_bytes() for name in first} == first and len(started(out)) == 3

    (source / "broken.pdf").write_bytes(pdf_bytes(1))  # mended
    (source / "a.pdf").write_bytes(pdf_bytes(3))  # changed
    (out / "sub/b.json").unlink()  # lost
    code, _, err = ocr(source, "-o", out)
    assert code == 0 and len(err) == 1 and is_summary(err[0], 3, 1, 0, 5), err
    assert sorted(started(out)[3:]) == ["a.pdf", "b.png", "broken.pdf"]
    assert len(json.loads((out / "a.json").read_text())["pages"]) == 3

    code, _, err = ocr(source, "-o", out, "--box-thresh", "0.6")  # other options: all again
    assert code == 0 and is_summary(err[0], 4, 0, 0, 6)
    code, _, err = ocr(source, "-o", out, "--box-thresh", "0.6", "--force")
    assert code == 0 and is_summary(err[0], 4, 0, 0, 6) and len(started(out)) == 14


def test_what_a_kill_left_in_flight_is_read_again(ocr, tmp_path):
    source, out = folder(tmp_path / "in"), tmp_path / "out"
    (source / "broken.pdf").unlink()
    assert ocr(source, "-o", out)[0] == 0
    done = (out / "a.json").read_bytes()
    last = [r for r in manifest(out) if r["input"].endswith("a.pdf")][-1]
    with open(out / NAME, "a") as f:  # what a kill while a.pdf was read and written leaves
        f.write(json.dumps({**last, "event": "start"}) + "\n" + json.dumps({**last, "event": "do"})[:30])
    (out / ".a.json.0123456789ab.tmp").write_text('{"schema": "docvi')
    code, _, err = ocr(source, "-o", out)
    assert code == 0 and is_summary(err[0], 1, 2, 0, 2)
    assert (out / "a.json").read_bytes() == done and not (out / ".a.json.0123456789ab.tmp").exists()
    assert manifest(out)[-1]["event"] == "done" and started(out)[-1] == "a.pdf"


def test_ctrl_c_writes_the_pages_done_and_the_next_run_finishes(ocr, tmp_path, monkeypatch):
    source, out = folder(tmp_path / "in"), tmp_path / "out"
    (source / "broken.pdf").unlink()
    real = docvision.pipeline.OCRPipeline.ocr_image
    calls = []

    def interrupted(self, image, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # on the second page of a.pdf
        return real(self, image, **kwargs)

    monkeypatch.setattr(docvision.pipeline.OCRPipeline, "ocr_image", interrupted)
    code, _, err = ocr(source, "-o", out)
    assert code == 130
    assert err == [f"docvision: {source / 'a.pdf'}: interrupted: the 1 of 2 pages done are in {out / 'a.json'}, "
                   "marked partial", "docvision: interrupted"]
    assert json.loads((out / "a.json").read_text())["partial"] is True
    assert [r["event"] for r in manifest(out)][-1] == "interrupted"
    code, _, err = ocr(source, "-o", out)
    assert code == 0 and is_summary(err[0], 3, 0, 0, 4)
    assert "partial" not in json.loads((out / "a.json").read_text())


def test_searchable_pdfs_of_stdin_and_of_a_locked_input(ocr, make_pdf, page_image, tmp_path, monkeypatch):
    """The searchable PDF is made from the input's bytes, or its file opened with the password."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(pdf_bytes(3))))
    code, _, err = ocr("-", "--format", "pdf", "-o", tmp_path / "stdin.pdf")
    assert code == 0 and err == [] and len(PdfReader(tmp_path / "stdin.pdf").pages) == 3
    bad_inputs(tmp_path / "bad", make_pdf, page_image)
    code, _, err = ocr(tmp_path / "bad" / "locked.pdf", "--password", "pw", "-o", tmp_path / "locked.pdf")
    assert code == 0 and err == [] and len(PdfReader(tmp_path / "locked.pdf", password="pw").pages) == 2


def test_an_input_is_looked_up_once_for_its_manifest_lines(tmp_path, monkeypatch):
    source, data = tmp_path / "a.pdf", pdf_bytes(1)
    source.write_bytes(data)
    manifest = Manifest(tmp_path)
    looked = []
    stat = os.stat
    monkeypatch.setattr(os, "stat", lambda path, *a, **k: looked.append(str(path)) or stat(path, *a, **k))
    record = _record(Job(str(source)), "a.json", {}, manifest)
    assert looked == [str(source)]
    assert record["size"] == len(data) and record["sha256"] == hashlib.sha256(data).hexdigest()
    manifest.close()


def test_stdin_and_lists_with_page_ranges(ocr, tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(pdf_bytes(3))))
    code, out, err = ocr("-", "--pages", "2-3")
    data = json.loads(out)
    assert code == 0 and err == [] and data["source"] == "<stdin>" and [p["index"] for p in data["pages"]] == [1, 2]
    code, _, err = ocr("-", tmp_path / "x.pdf")
    assert code == 2 and err == ["docvision: error: - (stdin) must be the only input"]

    (tmp_path / "a.pdf").write_bytes(pdf_bytes(3))
    page_image(150, 100).save(tmp_path / "b.png")
    listing = tmp_path / "inputs.txt"
    listing.write_text(f"# today's scans\n{tmp_path / 'a.pdf'}:2,3\n\n{tmp_path / 'b.png'}\n")
    code, _, err = ocr("--from-list", listing, "-o", tmp_path / "out")
    assert code == 0 and is_summary(err[0], 2, 0, 0, 3)
    assert [p["index"] for p in json.loads((tmp_path / "out/a.json").read_text())["pages"]] == [1, 2]
    code, _, err = ocr("--from-list", tmp_path / "missing.txt", "-o", tmp_path / "out")
    assert code == 2
    assert err == [f"docvision: error: {tmp_path / 'missing.txt'}: cannot read the list (No such file or directory)"]
    code, _, err = ocr("-o", tmp_path / "out")
    assert code == 2 and err == ["docvision: error: no inputs: give files, folders, - (stdin) or --from-list FILE"]


def test_workers_write_what_this_process_writes(ocr, tmp_path):
    source = folder(tmp_path / "in")
    code, _, err = ocr(source, "-o", tmp_path / "here", "--threads", "1")
    assert code == 1
    code, _, err = ocr(source, "-o", tmp_path / "workers", "--threads", "1", "--jobs", "2", "--page-timeout", "120")
    assert code == 1 and err[0].startswith(f"docvision: {source / 'broken.pdf'}: error: not a PDF")
    assert len(err) == 2 and is_summary(err[1], 3, 0, 1, 4, tmp_path / "workers")
    for name in ("a.json", "sub/b.json", "sub/deep/c.json"):
        assert (tmp_path / "workers" / name).read_bytes() == (tmp_path / "here" / name).read_bytes(), name


def test_batch_progress_on_a_terminal_and_quiet(ocr, tmp_path, monkeypatch):
    source = folder(tmp_path / "in")
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    code, _, err = ocr(source, "-o", tmp_path / "out")
    text = "".join(err)
    assert code == 1 and "files" in text and "/4 [" in text and "pages/s, 1 failed" in text  # the bar's postfix
    code, _, err = ocr(source, "-o", tmp_path / "out", "-q")
    assert code == 1 and len(err) == 1 and "broken.pdf: error:" in err[0]  # errors only


def test_a_bad_page_costs_only_that_page(ocr, tmp_path, validate):
    from tests.batch.test_engine import with_poster_page

    with_poster_page(tmp_path / "three.pdf")
    code, out, err = ocr(tmp_path / "three.pdf", "-o", tmp_path / "three.json")
    assert code == 1 and out == ""
    assert err == [f"docvision: {tmp_path / 'three.pdf'}: error: page 2: page size 300 x 300 in is absurd (over "
                   f"60,000,000 pixels even at 36 dpi); the 2 of 3 pages done are in {tmp_path / 'three.json'}, "
                   "marked partial"]
    data = json.loads((tmp_path / "three.json").read_text())
    validate(data)
    assert data["partial"] is True and [p["index"] for p in data["pages"]] == [0, 2]
