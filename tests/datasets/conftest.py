"""Shared fixtures: a small synthetic generator on the DejaVu fonts only."""

from __future__ import annotations

from pathlib import Path

import pytest

from docvision.datasets.synth.fonts import find_fonts
from docvision.datasets.synth.generator import SynthConfig, SyntheticPages

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


@pytest.fixture(scope="session")
def small_fonts():
    """DejaVu only (the font set of a bare machine), or all fonts if DejaVu lives elsewhere."""
    return find_fonts(str(DEJAVU)) if DEJAVU.is_dir() else find_fonts()


@pytest.fixture(scope="session")
def small_synth(small_fonts) -> SyntheticPages:
    """A 4 x 5 inch page at 100 DPI: fast, still every layout."""
    return SyntheticPages(64, seed=3, config=SynthConfig(page_size=(4.0, 5.0), dpi=100), fonts=small_fonts)
