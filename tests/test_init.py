"""The package's face: ``help(docvision)`` shows the API, importing it stays light, it is typed."""

from __future__ import annotations

import pydoc
import subprocess
import sys
from importlib import resources
from pathlib import Path

import docvision

REPO = Path(__file__).resolve().parent.parent


def test_help_shows_the_api():
    text = pydoc.render_doc(docvision, renderer=pydoc.plaintext)
    for shown in ("load(weights", "class OCRPipeline", "class Document", "from_json(", "lines(self)", "class InputError"):
        assert shown in text, shown
    assert {"load", "OCRPipeline", "Document"} <= set(dir(docvision)) and set(docvision.__all__) <= set(dir(docvision))


def test_import_is_light_and_the_package_typed():
    script = "import sys, docvision; print(sorted({'torch', 'numpy', 'docvision.pipeline'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "[]", result.stderr
    assert resources.files("docvision").joinpath("py.typed").is_file()
