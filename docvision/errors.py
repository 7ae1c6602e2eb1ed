"""Errors a user can act on; their message is a complete one-line explanation."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class DocvisionError(Exception):
    """Base class: the CLI prints the message alone, without a traceback."""


class InputError(DocvisionError):
    """An input document or image can't be read. ``source`` names it and starts the message;
    ``reason`` is the rest (the CLI, which names the input itself, prints that)."""

    def __init__(self, reason: str, source: str | None = None):
        super().__init__(f"{source}: {reason}" if source else reason)
        self.reason, self.source = reason, source

    def __reduce__(self):  # across processes (DataLoader workers) as it was made
        return InputError, (self.reason, self.source)

    def naming(self, source: str) -> InputError:
        """This error with ``source`` named (if it named none yet)."""
        return self if self.source else InputError(self.reason, source)


@contextmanager
def naming(source: str) -> Iterator[None]:
    """Name ``source`` in the :class:`InputError` raised inside (unless it names one already)."""
    try:
        yield
    except InputError as err:
        raise err.naming(source) from None


class WeightsError(DocvisionError):
    """Model weights are missing, corrupt or don't match the model."""


class MissingExtraError(DocvisionError, ModuleNotFoundError):
    """An optional package is not installed; the message names the extra that installs it."""
