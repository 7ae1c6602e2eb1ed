"""Progress on stderr, drawn only when it is a terminal: the pages of a single input, or for a batch
the files done of all, pages done, pages/s, the time left and the failures so far."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from tqdm import tqdm

from docvision.batch.engine import Event, Job, Opened, PageDone, PageFailed
from docvision.io.sources import display_name


class Progress:
    """Counts of a run, and the bar that shows them (``enabled`` and stderr a terminal)."""

    def __init__(self, files: int, *, enabled: bool, name: str = ""):
        self.single = files == 1
        self.pages = self.done = self.failed = self.skipped = 0
        self.start = time.monotonic()
        show = enabled and sys.stderr.isatty()
        if self.single:
            self.bar = tqdm(desc=display_name(Path(name).name), unit="page", leave=False, disable=not show)
        else:
            self.bar = tqdm(total=files, desc="files", unit="file", leave=False, disable=not show, dynamic_ncols=True)

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.start

    def event(self, job: Job, event: Event) -> None:
        if isinstance(event, Opened) and self.single:
            self.bar.total = len(event.pages)
            self.bar.refresh()
        elif isinstance(event, (PageDone, PageFailed)):
            self.pages += isinstance(event, PageDone)
            if self.single:
                self.bar.update()
            else:
                self._postfix()

    def finished(self, ok: bool, skipped: bool = False) -> None:
        """One input more: done, failed or skipped (done by an earlier run)."""
        self.skipped += skipped
        self.done += ok and not skipped
        self.failed += not ok
        if not self.single:
            self.bar.update()
            self._postfix()

    def summary(self) -> str:
        rate = f" ({self.pages / self.seconds:.2f} pages/s)" if self.pages and self.seconds > 0 else ""
        return (f"{self.done} done, {self.skipped} skipped (done before), {self.failed} failed; "
                f"{self.pages} pages in {self.seconds:.0f} s{rate}")

    def close(self) -> None:
        self.bar.close()

    def _postfix(self) -> None:
        rate = self.pages / self.seconds if self.seconds > 0 else 0.0
        self.bar.set_postfix_str(f"{self.pages} pages, {rate:.2f} pages/s, {self.failed} failed", refresh=False)
