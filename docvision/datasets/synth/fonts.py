"""Font discovery through fontconfig (``fc-list`` / ``fc-scan``) with per-font character sets."""

from __future__ import annotations

import functools
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from PIL import ImageFont

FONT_SUFFIXES = (".ttf", ".otf", ".ttc")
_FORMAT = "%{file}\t%{family[0]}\t%{style[0]}\t%{weight}\t%{slant}\t%{spacing}\t%{width}\t%{charset}\n"
_DECORATIVE = re.compile(r"initials|keyboard|symbol|dingbat|math|d050000l|smallcaps|display", re.IGNORECASE)
MAX_CODEPOINT = 0x3000
"""Coverage is tracked below this code point (Latin, symbols, check boxes), not for CJK."""
_REQUIRED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.,:-/$%()")
_HANDWRITING = re.compile(
    r"^(dkg|breip|dancing script|kristi|rufscript|delphine|steve|purisa|comic neue|ecolier)", re.IGNORECASE
)
"""Families that imitate handwriting (the Makefile's handwriting font packages): fontconfig does not
classify them, and a page typeset in one is no document, so layouts use them only where a hand writes
(filled-in form fields, signatures)."""


@dataclass(frozen=True)
class FontInfo:
    """One font file and what it looks like and covers."""

    path: str
    family: str
    style: str
    bold: bool
    italic: bool
    mono: bool
    condensed: bool
    chars: frozenset[str]
    handwriting: bool = False

    def covers(self, text: str) -> bool:
        """Whether the font has a glyph for every character of ``text``."""
        return all(c in self.chars or c == " " for c in text)


def parse_charset(charset: str, limit: int = MAX_CODEPOINT) -> frozenset[str]:
    """Characters below ``limit`` of a fontconfig charset string such as ``"20-7e a0-17f"``."""
    chars: set[str] = set()
    for part in charset.split():
        lo, _, hi = part.partition("-")
        chars.update(map(chr, range(int(lo, 16), min(int(hi or lo, 16) + 1, limit))))
    return frozenset(chars)


def _fixed_pitch(path: str) -> bool:
    """Whether narrow and wide letters advance alike (typewriter fonts fontconfig does not
    mark as monospaced, such as TeX Gyre Cursor)."""
    try:
        font = load_font(path, 32)
    except OSError:
        return False
    return len({font.getlength(c) for c in "ilW.m0"}) == 1


def _parse_record(line: str) -> FontInfo | None:
    fields = line.split("\t")
    if len(fields) != 8:
        return None
    path, family, style, weight, slant, spacing, width, charset = fields
    if not path.lower().endswith(FONT_SUFFIXES) or _DECORATIVE.search(family + " " + style):
        return None
    chars = parse_charset(charset)
    if not _REQUIRED <= chars:
        return None
    return FontInfo(
        path=path,
        family=family,
        style=style,
        bold=int(weight or 80) >= 180,
        italic=int(slant or 0) > 0,
        mono=spacing in ("90", "100") or _fixed_pitch(path),
        condensed=int(width or 100) < 100 or "condensed" in (family + style).lower(),
        chars=chars,
        handwriting=bool(_HANDWRITING.match(family)),
    )


INDEX = "fonts.tsv"
"""fontconfig's description of a font folder, saved in it so that machines without
fontconfig (a bare GPU machine) can use the folder too; paths relative to the folder."""


def _scan(folder: Path) -> str:
    files = sorted(str(p) for p in folder.rglob("*") if p.suffix.lower() in FONT_SUFFIXES)
    if not files:
        raise FileNotFoundError(f"no font files ({', '.join(FONT_SUFFIXES)}) under {folder}")
    return subprocess.run(["fc-scan", "--format", _FORMAT, *files], check=True, capture_output=True, text=True).stdout


def write_font_index(folder: str | Path) -> Path:
    """Describe the fonts under ``folder`` in ``folder/fonts.tsv`` (needs ``fc-scan``)."""
    folder = Path(folder).resolve()
    lines = [line.replace(f"{folder}/", "", 1) for line in _scan(folder).splitlines()]
    index = folder / INDEX
    index.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return index


@functools.lru_cache(maxsize=8)
def find_fonts(folder: str | None = None) -> tuple[FontInfo, ...]:
    """Usable text fonts: those fontconfig knows, or the font files under ``folder``
    (described by its ``fonts.tsv`` when present, else by ``fc-scan``).

    Decorative fonts and fonts lacking basic Latin letters, digits or punctuation are left out.
    The result is sorted by path so that a seed gives the same pages on the same font set.
    """
    if folder is None:
        out = subprocess.run(["fc-list", "--format", _FORMAT], check=True, capture_output=True, text=True).stdout
    elif (Path(folder) / INDEX).is_file():
        root = Path(folder).resolve()
        out = "\n".join(f"{root}/{line}" for line in (root / INDEX).read_text(encoding="utf-8").splitlines())
    else:
        out = _scan(Path(folder))
    fonts = {f.path: f for f in map(_parse_record, out.splitlines()) if f is not None}
    if not fonts:
        raise RuntimeError("no usable fonts found; install the Debian font packages (see README)")
    return tuple(sorted(fonts.values(), key=lambda f: f.path))


@functools.lru_cache(maxsize=4096)
def load_font(path: str, size_px: int) -> ImageFont.FreeTypeFont:
    """A cached PIL font of ``size_px`` pixels (em size), basic layout (Latin text, fast)."""
    return ImageFont.truetype(path, size_px, layout_engine=ImageFont.Layout.BASIC)
