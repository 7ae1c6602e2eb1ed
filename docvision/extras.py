"""Optional dependencies. ``pip install docvision`` carries what ``docvision ocr`` needs; what only
evaluation and benchmarks import is the ``eval`` extra, and training, quantization and the data
tools need ``train`` (which holds ``eval``'s too). A missing one is a one-line error naming the extra.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from docvision.errors import MissingExtraError

EXTRAS = {
    "eval": ("lmdb", "rapidfuzz", "scipy", "shapely"),
    "train": ("lmdb", "pyclipper", "rapidfuzz", "scipy", "shapely", "wordfreq"),
}
"""Import names of the packages of each extra of pyproject.toml (they equal the distribution names)."""


def _hint(extra: str) -> str:
    return f"pip install 'docvision[{extra}]'"


def require(module: str, extra: str) -> ModuleType:
    """``import module``, or a :class:`MissingExtraError` saying which extra installs it."""
    top = module.partition(".")[0]
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as err:
        if err.name not in (top, module):
            raise  # the package is there but broken: its own error says more
        message = f"{top} is not installed (docvision's {extra} extra): {_hint(extra)}"
        raise MissingExtraError(message, name=top) from None


def check_extra(extra: str, command: str) -> None:
    """Before ``command`` starts: every missing package of ``extra`` in one error, or nothing."""
    missing = [name for name in EXTRAS[extra] if importlib.util.find_spec(name) is None]
    if missing:
        message = f"{command} needs docvision's {extra} extra ({', '.join(missing)} missing): {_hint(extra)}"
        raise MissingExtraError(message, name=missing[0])
