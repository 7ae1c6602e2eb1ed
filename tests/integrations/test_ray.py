"""Ray Data on a real local Ray (2 CPUs): the rows of every page, and documents equal to those of
``docvision ocr``. Runs where Ray is installed (the ``ray`` extra, in the Makefile's set-up)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import docvision
from docvision.config import PipelineConfig
from tests.batch.test_engine import with_poster_page
from tests.conftest import page_image, pdf_bytes
from tests.test_cli import FAST, cli, ocr  # noqa: F401 (fixtures)

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def local_ray():
    root = str(Path(docvision.__file__).resolve().parent.parent)
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [root, old]))  # the actors import this checkout
    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=200 * 2**20, log_to_driver=False)
    yield ray
    ray.shutdown()
    if old is None:
        del os.environ["PYTHONPATH"]
    else:
        os.environ["PYTHONPATH"] = old


def test_actors_give_the_pages_and_the_documents_of_the_command(local_ray, ocr, small_weights, tmp_path):
    from docvision.integrations.ray import COLUMNS, OCRPages, documents

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.pdf").write_bytes(pdf_bytes(3))
    page_image(150, 100).save(folder / "b.png")
    (folder / "broken.pdf").write_bytes(b"not a pdf\n")
    with_poster_page(folder / "c.pdf")
    listing = tmp_path / "list.txt"
    listing.write_text("".join(f"{folder / name}\n" for name in ("a.pdf:2-3", "b.png", "broken.pdf", "c.pdf")))
    code, _, _ = ocr("--from-list", listing, "-o", tmp_path / "out", "--threads", "1")
    assert code == 1

    items = [{"path": str(folder / "a.pdf"), "pages": "2-3", "bytes": None},  # the file read by the actor
             *({"path": str(folder / name), "pages": "", "bytes": (folder / name).read_bytes()}  # bytes in the dataset
               for name in ("b.png", "broken.pdf", "c.pdf"))]
    options = {"weights": str(small_weights), "device": "cpu", "threads": 1, "dpi": 36,
               "config": PipelineConfig(det_max_side=128)}
    pages = ray.data.from_items(items).map_batches(OCRPages, fn_constructor_kwargs=options, batch_size=1,
                                                   concurrency=2, num_cpus=1)
    rows = pages.take_all()
    assert all(set(row) == set(COLUMNS) for row in rows)
    assert sorted((Path(r["path"]).name, r["page"], r["page_count"], bool(r["result"])) for r in rows) == [
        ("a.pdf", 2, 2, True), ("a.pdf", 3, 2, True), ("b.png", 1, 1, True), ("broken.pdf", 0, 1, False),
        ("c.pdf", 1, 3, True), ("c.pdf", 2, 3, False), ("c.pdf", 3, 3, True)]
    assert {r["error"] for r in rows if r["error"]} == {
        "not a PDF or a supported image (PNG, JPEG, TIFF, ...)",
        "page 2: page size 300 x 300 in is absurd (over 60,000,000 pixels even at 36 dpi)"}

    got = {Path(path).name: (text, errors) for path, text, errors in documents(reversed(rows))}
    assert got.keys() == {"a.pdf", "b.png", "broken.pdf", "c.pdf"}
    assert got["broken.pdf"] == (None, ["not a PDF or a supported image (PNG, JPEG, TIFF, ...)"])
    for name in ("a.pdf", "b.png", "c.pdf"):
        assert got[name][0] == (tmp_path / "out" / Path(name).with_suffix(".json")).read_text(encoding="utf-8"), name
    assert '"partial": true' in got["c.pdf"][0] and len(got["c.pdf"][1]) == 1
