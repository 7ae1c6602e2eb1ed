"""Ray Data: OCR a dataset of files on the actors of a Ray cluster, one loaded pipeline per actor
(``pip install "docvision[ray]"``).

    import ray
    from docvision.integrations.ray import OCRPages, documents

    files = ray.data.from_items([{"path": p} for p in paths])      # or read_binary_files(..., include_paths=True)
    pages = files.map_batches(OCRPages, fn_constructor_kwargs={"device": "cpu", "threads": 1},
                              batch_size=1, concurrency=2, num_cpus=1)    # GPUs: {"device": "cuda"}, num_gpus=1
    for path, text, errors in documents(pages.iter_rows()):        # JSON as `docvision ocr` writes it
        ...

A row of the input has ``path`` (a file every node can read, or a name when ``bytes`` is given),
optionally ``bytes`` (the file's content) and ``pages`` (ranges such as ``"1-3"``). A row of the
output is one page (:data:`COLUMNS`); an input that cannot be opened gives one row with ``page`` 0.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import Any

from docvision.batch import InlineRunner, Job, Result, WorkerPool
from docvision.config import PipelineConfig
from docvision.document import Document
from docvision.export.json import dumps, page_to_dict, to_dict
from docvision.io.sources import display_name

COLUMNS = ("path", "page", "page_count", "result", "text", "models", "error")
"""``page``: 1-based page number (0: the whole input); ``page_count``: the rows of this path (its
selected pages, or 1); ``result``: the page as the JSON of ``docvision ocr`` has it (empty when the
page failed); ``text``: its plain text; ``models``: JSON of the models' names; ``error``: why the page
or input failed, else empty."""


class OCRPages:
    """The callable class for ``Dataset.map_batches``: each actor loads one pipeline (arguments as
    :func:`docvision.load`) and turns a batch of inputs into one row per page. ``page_timeout``
    (seconds) reads the pages in a worker process of the actor, which is killed and replaced when
    a page takes longer: the page fails and the actor goes on."""

    def __init__(self, weights: str | Path | None = None, *, device: str = "auto", threads: int | None = None,
                 config: PipelineConfig | str | Path | None = None, dpi: int | None = None,
                 password: str | None = None, page_timeout: float | None = None):
        from docvision.pipeline import load

        open_options = {"dpi": dpi, "password": password}  # the rest is the pipeline's config
        loader = partial(load, weights, device=device, config=config, threads=threads)
        self.runner = (WorkerPool(1, load=loader, open_options=open_options, page_timeout=page_timeout)
                       if page_timeout is not None else InlineRunner(loader(), open_options))

    def __call__(self, batch: Mapping[str, Any]) -> dict[str, list]:
        empty = [None] * len(batch["path"])  # a column of nulls may come as NaNs: only str and bytes count
        jobs = [Job(str(path), pages if isinstance(pages, str) and pages else None,
                    bytes(data) if isinstance(data, (bytes, bytearray)) else None)
                for path, pages, data in zip(batch["path"], batch.get("pages", empty), batch.get("bytes", empty))]
        rows: dict[str, list] = {column: [] for column in COLUMNS}
        for result in self.runner.run(jobs):
            for row in _rows(result, self.runner.models):
                for column in COLUMNS:
                    rows[column].append(row[column])
        return rows


def _rows(result: Result, models: dict[str, str]) -> list[dict[str, Any]]:
    """The rows of one input, by page number."""
    base = {"path": result.job.source, "models": json.dumps(models)}
    if result.document is None:
        return [{**base, "page": 0, "page_count": 1, "result": "", "text": "", "error": result.errors[0]}]
    count = len(result.selected)
    rows = [{**base, "page": p.index + 1, "page_count": count, "result": dumps(page_to_dict(p)), "text": p.text,
             "error": ""} for p in result.document.pages]
    rows += [{**base, "page": number, "page_count": count, "result": "", "text": "", "error": error}
             for number, error in zip(result.failed_pages, result.errors)]
    return sorted(rows, key=lambda row: row["page"])


def documents(rows: Iterable[Mapping[str, Any]]) -> Iterator[tuple[str, str | None, list[str]]]:
    """Each input of ``rows`` (in any order) as soon as all its rows are seen: its path, the JSON text
    that ``docvision ocr`` writes for it (None when no page was read) and its errors. Pages that
    failed leave the document marked partial, as the command does."""
    pending: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        seen = pending.setdefault(row["path"], [])
        seen.append(row)
        if len(seen) < row["page_count"]:
            continue
        del pending[row["path"]]
        seen.sort(key=lambda r: r["page"])
        errors = [r["error"] for r in seen if r["error"]]
        pages = [json.loads(r["result"]) for r in seen if r["result"]]
        if not pages:
            yield row["path"], None, errors
            continue
        data = to_dict(Document(display_name(row["path"]), json.loads(row["models"]), [], partial=bool(errors)))
        data["pages"] = pages
        yield row["path"], dumps(data), errors
