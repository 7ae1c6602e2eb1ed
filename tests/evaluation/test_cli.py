"""Smoke tests of ``docvision eval`` and ``docvision bench`` on tiny generated sets, with the
small random models of ``small_weights`` (tests/conftest.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from docvision.cli import main
from docvision.evaluation.bench import rapidocr_version

# A small detector input and a high box threshold keep random-weight models fast.
TINY_CONFIG = "det_max_side: 128\npostprocess:\n  box_thresh: 0.8\n"


def run(argv: list[str]) -> int:
    """The real entry point: its handler turns user errors into one line and exit 2."""
    return main(argv)


@pytest.fixture
def model(tmp_path: Path, small_weights: Path) -> list[str]:
    """Options for small random models on a tiny detector input, single-threaded."""
    config = tmp_path / "tiny.yaml"
    config.write_text(TINY_CONFIG)
    return ["--weights", str(small_weights), "--config", str(config), "--device", "cpu", "--threads", "1"]


def test_bench_smoke(tmp_path: Path, model: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    report_path = tmp_path / "bench.json"
    argv = ["bench", *"--pages 1 --repeats 2 --dpi 30 --long-pdf 11".split(), *model, "--report", str(report_path)]
    tesseract = shutil.which("tesseract") is not None
    rapidocr = rapidocr_version() is not None
    assert run(argv + (["--tesseract"] if tesseract else []) + (["--rapidocr"] if rapidocr else [])) == 0

    report = json.loads(report_path.read_text())
    assert report["machine"]["cores"] >= 1 and report["machine"]["device"] == "cpu"
    assert report["det_batch_pages"] == 1 and "cuda_max_allocated_mib" not in report["engines"][0]  # CPU defaults
    engines = report["engines"]
    assert engines[0]["engine"] == "docvision" and engines[0]["pages"] == 1
    assert set(engines[0]["seconds_per_page"]) == {"rasterize", "detect", "recognize", "layout", "export"}
    assert engines[0]["pages_per_s"]["median"] > 0
    assert "f1" in engines[0]["detection"]  # generated pages carry ground truth
    others = [e["engine"].split()[0] for e in engines[1:]]
    assert others == ["tesseract"] * tesseract + ["rapidocr"] * rapidocr
    assert all("ocr" in e["seconds_per_page"] and "f1" in e["detection"] for e in engines[1:])
    memory = report["memory"]
    assert memory["pages"] == 11 and memory["checkpoint"] == 10
    assert 0 < memory["rss_mib_after_checkpoint"] <= memory["process_peak_rss_mib"]
    assert len(memory["rss_mib_by_quarter"]) == 4 and memory["rss_mib_by_quarter"][-1] == memory["rss_mib_after_last"]
    assert memory["pages_per_s"] == pytest.approx(11 / memory["seconds"])

    out = capsys.readouterr().out
    assert "pages/s" in out and "detect ms/page" in out and "RSS after 10 pages" in out
    assert "RSS after each quarter of the pages" in out


def test_bench_text_tells_a_gpu_user_the_gpu_the_batch_and_its_memory() -> None:
    from docvision.evaluation.cli import format_bench

    seconds = {"median": 0.01, "min": 0.01, "max": 0.02}
    report = {
        "machine": {"cpu": "x86", "cores": 16, "memory_gib": 128.0, "torch": "2.11", "torch_threads": 16,
                    "device": "cuda", "gpu": "NVIDIA H200", "gpu_memory_gib": 139.8, "cuda": "13.0", "cudnn": 91000},
        "dpi": 200, "repeats": 3, "det_batch_pages": 8,
        "engines": [{"engine": "docvision", "pages": 8, "pages_per_s": {"median": 9.5, "min": 9.0, "max": 10.0},
                     "seconds_per_page": {"detect": seconds}, "cuda_max_allocated_mib": 2048.4}],
    }
    text = format_bench(report)
    assert "NVIDIA H200 (139.8 GiB, CUDA 13.0, cuDNN 91000)" in text and "8 pages a detector forward" in text
    assert "docvision: CUDA max allocated 2048 MiB" in text and "9.50 (9.00-10.00)" in text


def test_bench_user_input_and_errors(tmp_path: Path, model: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    from PIL import Image

    image = tmp_path / "page.png"
    Image.new("RGB", (300, 200), "white").save(image)
    assert run(["bench", str(image), "--repeats", "1", *model]) == 0
    assert "| docvision | 1 " in capsys.readouterr().out
    assert run(["bench", "--repeats", "0"]) == 2
    assert run(["bench", str(tmp_path / "missing.pdf"), "--repeats", "1", *model]) == 2


def test_bench_missing_engine_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from docvision.evaluation import bench

    monkeypatch.setitem(bench.OTHER_ENGINES, "rapidocr", bench.OTHER_ENGINES["rapidocr"]._replace(version=lambda: None))
    assert run(["bench", "--rapidocr"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "docvision: error: rapidocr is not installed (pip install 'docvision[compare]')"
    ]


def write_page_folder(root: Path, n: int, height: int = 90) -> None:
    """The top ``height`` pixels of ``n`` generated pages in the page-folder format."""
    from PIL import Image

    from docvision.evaluation.pages import generate_pages

    (root / "pages").mkdir(parents=True)
    (root / "gt").mkdir()
    for page in generate_pages(n, dpi=40):
        Image.fromarray(page.image[:height]).save(root / "pages" / f"{page.id}.png")
        words = [
            {"text": w.text, "bbox": [float(v) for v in (*w.polygon.min(0), *w.polygon.max(0))]}
            for w in page.words
            if w.polygon[:, 1].max() < height
        ]
        width = page.image.shape[1]
        (root / "gt" / f"{page.id}.json").write_text(json.dumps({"width": width, "height": height, "words": words}))


def test_eval_smoke(tmp_path: Path, model: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    dataset = tmp_path / "set"
    write_page_folder(dataset, 3)
    report_path, draw = tmp_path / "eval.json", tmp_path / "draw"
    options = "--limit 2 --box-thresh-sweep 0.8:0.9:0.05 --worst 1 -q".split()
    argv = ["eval", str(dataset), *options, *model, "--report", str(report_path), "--draw", str(draw)]
    assert run(argv) == 0

    report = json.loads(report_path.read_text())
    assert report["pages"] == 2 and len(report["per_page"]) == 2
    assert report["box_thresh"] == 0.8
    n_gt = report["detection"]["n_gt"]
    assert n_gt == sum(p["detection"]["n_gt"] for p in report["per_page"]) > 40
    assert report["recognition"]["words"] == n_gt
    assert [r["box_thresh"] for r in report["box_thresh_sweep"]] == [0.8, 0.85, 0.9]
    assert report["box_thresh_sweep"][0]["n_pred"] == report["detection"]["n_pred"]
    assert len(report["worst_pages"]) == 1
    assert sorted(p.name for p in draw.iterdir()) == ["generated-0000.png", "generated-0001.png"]
    out = capsys.readouterr().out
    assert "detection" in out and "recognition on GT crops" in out and "worst pages" in out and "* best" in out


def test_eval_box_thresh_replaces_the_configs(tmp_path: Path, model: list[str]) -> None:
    """--box-thresh goes into the pipeline's config at load (the detector is never changed after)."""
    dataset = tmp_path / "set"
    write_page_folder(dataset, 1)
    report_path = tmp_path / "eval.json"
    assert run(["eval", str(dataset), "--box-thresh", "0.85", "-q", *model, "--report", str(report_path)]) == 0
    assert json.loads(report_path.read_text())["box_thresh"] == 0.85


def test_bench_labeled_pages(tmp_path: Path, model: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    dataset = tmp_path / "set"
    write_page_folder(dataset, 3)
    report_path = tmp_path / "bench.json"
    argv = ["bench", "--labeled", str(dataset), "--pages", "2", "--repeats", "1", *model, "--report", str(report_path)]
    assert run(argv) == 0
    report = json.loads(report_path.read_text())
    docvision = report["engines"][0]
    assert docvision["pages"] == 2 and report["dpi"] is None  # labeled pages are not rasterized
    assert docvision["detection"]["n_gt"] > 40  # the labeled words of the first two pages
    out = capsys.readouterr().out
    assert "e2e F1 (no case)" in out and "labeled pages at their own resolution" in out
    assert run(["bench", "--labeled", str(tmp_path / "missing"), *model]) == 2


def test_eval_errors(tmp_path: Path) -> None:
    assert run(["eval", str(tmp_path / "missing")]) == 2
    assert run(["eval", str(tmp_path), "--limit", "0"]) == 2
    assert run(["eval", str(tmp_path), "--box-thresh-sweep", "0.9:0.1:0.1"]) == 2
