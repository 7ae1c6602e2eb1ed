"""``docvision ocr`` over its inputs: skip what an earlier run finished (output folders keep a
manifest), read the rest, write each result atomically as it completes, one line per failed input,
progress on a terminal and a summary at the end. Ctrl-C writes the pages done so far, marked partial."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from docvision.batch.engine import Event, Job, Opened, PageDone, Result, reason, trace
from docvision.batch.inputs import FOLDER_SUFFIXES
from docvision.batch.manifest import Manifest, options_key
from docvision.batch.progress import Progress
from docvision.document import Document
from docvision.export import export
from docvision.io import remove_temporaries, write_atomic
from docvision.io.sources import display_name, open_document

log = logging.getLogger("docvision")


class Runner(Protocol):
    models: dict[str, str]

    def run(self, jobs: list[Job], on_event: Callable[[Job, Event], None] | None = None): ...

    def in_flight(self) -> list[Result]: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Output:
    """How results are written: in format ``fmt``; a searchable PDF (``pdf``) opens its input with
    ``password`` and re-encodes images at ``jpeg_quality`` (None: kept as they are)."""

    fmt: str
    password: str | None = None
    jpeg_quality: int | None = None


def emit(document: Document, job: Job, out: Path | None, output: Output) -> str | None:
    """Write ``document``, read from ``job``, to ``out`` (atomically) or stdout; why it could not be
    written, or None."""
    if output.fmt == "pdf":  # the input's own pages with the text on them
        from docvision.export.pdf import to_pdf

        data: str | bytes = to_pdf(document, job.source if job.data is None else job.data, password=output.password,
                                   jpeg_quality=output.jpeg_quality)
    else:
        data = export(document, output.fmt)
    try:
        if out is None:
            stream = sys.stdout.buffer if isinstance(data, bytes) else sys.stdout
            stream.write(data)
            stream.flush()
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(out, data)
    except OSError as err:
        return f"cannot write ({err.strerror or err})"
    return None


def report(name: str, errors: list[str], note: str = "", trace: str = "") -> None:
    """The one line of an input that failed: its first error, how many more, and ``note``; the
    traceback of the first goes with it (``--debug`` prints it)."""
    first = errors[0]
    more = f" (and {len(errors) - 1} more failed pages)" if len(errors) > 1 else ""
    kind = "internal error" if first.startswith("internal error: ") else "error"
    log.error("%s: %s: %s%s%s", display_name(name), kind, first.removeprefix("internal error: "), more, note,
              extra={"trace": trace})


def run(items: list[tuple[Job, Path | None]], *, fmt: str, folder: Path | None, settings: dict[str, Any],
        force: bool, precheck: dict[str, Any] | None, start: Callable[[], Runner], password: str | None,
        jpeg_quality: int | None, quiet: bool) -> int:
    """OCR ``items`` (each input and its output file, None: stdout) and return the exit status.

    ``folder``: the output folder, whose manifest is read and kept; ``settings``: what shapes a result
    (with each input's pages, the manifest's options key); ``precheck``: open every input with these
    options before ``start`` loads the models, so that bad inputs are told at once; ``start``: the
    runner (one pipeline here, or worker processes)."""
    manifest = Manifest(folder) if folder is not None else None
    if manifest is not None:  # what the options keys of this run's lines stand for
        manifest.append({"event": "run", "settings": settings, "options": options_key({**settings, "pages": None})})
    progress = Progress(len(items), enabled=not quiet, name=items[0][0].source if len(items) == 1 else "")
    outputs: dict[int, Path | None] = {}
    records: dict[int, dict[str, Any]] = {}
    todo: list[Job] = []

    def failed(job: Job, errors: list[str], note: str | None = "", trace: str = "") -> None:
        """``note`` None: the line was told already."""
        if note is not None:
            report(job.source, errors, note, trace)
        if manifest is not None:
            manifest.append({**records[id(job)], "event": "failed", "reason": errors[0], "errors": errors})
        progress.finished(False)

    try:
        for job, out in items:
            if manifest is not None:
                records[id(job)] = record = _record(job, out.relative_to(folder).as_posix(), settings, manifest)
                if not force and record["sha256"] and manifest.is_done(
                        job.source, record["sha256"], record["options"], record["output"], folder):
                    progress.finished(True, skipped=True)
                    continue
            if problem := _problem(job, precheck):
                failed(job, [problem[0]], "", problem[1])
                continue
            outputs[id(job)] = out
            todo.append(job)
        remove_temporaries(out for out in outputs.values() if out is not None)
        if todo:
            _read(start(), todo, outputs, manifest, records, progress, failed, Output(fmt, password, jpeg_quality))
    finally:
        progress.close()
        if manifest is not None:
            manifest.close()
    if len(items) > 1 or folder is not None:
        where = f"; the failures are the \"failed\" lines of {display_name(manifest.path)}" if (
            progress.failed and manifest is not None) else ""
        log.info("%s%s", progress.summary(), where)
    return 1 if progress.failed else 0


def _problem(job: Job, precheck: dict[str, Any] | None) -> tuple[str, str] | None:
    """Why ``job`` fails before any page is read, and the traceback: a folder that gave no inputs, or
    with ``precheck`` (open options), what opening it finds, and checking its page if it has only one
    (a bad page among several fails when it is read, and the others are read)."""
    if job.data is None and os.path.isdir(job.source):
        return f"a folder without PDF or image files ({' '.join(sorted(FOLDER_SUFFIXES))})", ""
    if precheck is not None:
        try:
            source = open_document(job.source if job.data is None else job.data, **{**precheck, "pages": job.pages})
            with source:
                if len(source) == 1:
                    source.check()
        except Exception as err:
            return reason(err), trace(err)
    return None


def _record(job: Job, output: str, settings: dict[str, Any], manifest: Manifest) -> dict[str, Any]:
    """The fields of the input's manifest lines; no hash for an input that cannot be read (it fails)."""
    try:
        stat = os.stat(job.source)
        sha256 = manifest.sha256(job.source, stat)
        size, mtime = stat.st_size, stat.st_mtime_ns
    except OSError:
        sha256 = size = mtime = None
    return {"input": job.source, "sha256": sha256, "size": size, "mtime_ns": mtime, "pages": job.pages,
            "options": options_key({**settings, "pages": job.pages}), "output": output}


def _read(runner: Runner, todo: list[Job], outputs: dict[int, Path | None], manifest: Manifest | None,
          records: dict[int, dict[str, Any]], progress: Progress, failed: Callable[..., None],
          output: Output) -> None:
    warned = False

    def on_event(job: Job, event: Event) -> None:
        nonlocal warned
        if not warned and runner.models:
            warned = True
            untrained = [k for k, v in runner.models.items() if v == "untrained"]
            if untrained:
                log.warning("warning: no trained weights installed (%s): the models are random and the text is "
                            "meaningless; pass --weights DIR or train them (see README)", ", ".join(untrained))
        if isinstance(event, Opened) and manifest is not None:
            manifest.append({**records[id(job)], "event": "start"})  # in flight from here on
        if isinstance(event, PageDone) and log.isEnabledFor(logging.DEBUG):
            page = event.page
            log.debug("%s: page %d: %d words, %s", display_name(job.source), page.index + 1,
                      sum(1 for _ in page.words()), ", ".join(f"{k} {v:.2f} s" for k, v in page.timings.items()))
        progress.event(job, event)

    def write(result: Result) -> str | None:
        return emit(result.document, result.job, outputs[id(result.job)], output)

    try:
        for result in runner.run(todo, on_event):
            out = outputs[id(result.job)]
            document = result.document
            unread = [str(p.index + 1) for p in document.pages if p.text_layer and p.text_layer.path == "partial"] if (
                document is not None) else []
            if unread:
                log.warning("%s: warning: page%s %s need%s OCR, not done (--text-layer only)", document.source,
                            "s" * (len(unread) > 1), ", ".join(unread), "" if len(unread) > 1 else "s")
            problem = write(result) if document is not None and document.pages else None
            if problem:
                log.error("%s: error: %s", display_name(out) if out else "<stdout>", problem)
                failed(result.job, [*result.errors, problem], None)
            elif not result.ok:
                note = ""
                if document is not None and document.pages:
                    where = display_name(out) if out else "stdout"
                    note = (f"; the {len(document.pages)} of {len(result.selected)} pages done are in {where}, "
                            "marked partial")
                failed(result.job, result.errors, note, result.trace)
            else:
                if manifest is not None:
                    manifest.append({**records[id(result.job)], "event": "done", "pages_done": len(document.pages)})
                progress.finished(True)
    except KeyboardInterrupt:
        runner.close()  # workers stopped; their inputs' pages so far are kept
        for result in runner.in_flight():
            document, out = result.document, outputs[id(result.job)]
            if document is not None and document.pages:
                document.partial = True
                if not write(result):
                    log.error("%s: interrupted: the %d of %d pages done are in %s, marked partial", document.source,
                              len(document.pages), len(result.selected), display_name(out) if out else "stdout")
            if manifest is not None:
                manifest.append({**records[id(result.job)], "event": "interrupted"})
        raise
    finally:
        runner.close()
