"""Page layouts: letters, memos, articles, forms, tables, invoices and receipts.

Each layout draws into the content rectangle of a :class:`Context` with a :class:`PageBuilder`;
:func:`running_header` and :func:`decorate` add running headers, footers, page numbers and
distractor marks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from docvision.datasets.synth.fonts import FontInfo
from docvision.datasets.synth.render import PageBuilder, Style
from docvision.datasets.synth.text import TextSource

TYPEWRITTEN = 0.25
"""Share of pages whose body text is in a monospace (typewriter) font, as in office archives."""
CAPS = 0.3
"""Share of typewritten pages written all in capitals (telex-style memos, filled-in forms)."""
HANDWRITTEN = 0.5
"""Share of pages filled in by hand where handwriting fonts are installed (forms use it): their fields,
free-text answers and signer's name are written in one handwriting font, as on FUNSD's scanned forms
(whose tallest words are mostly handwriting)."""
CHECKED = 0.45
"""Share of form check boxes checked (FUNSD's: 35 of 123; more here, for the rarer sign to be learnt)."""
CHECK_MARKS = ("typed", "typed", "tick", "cross")
"""How checked boxes are marked: most of FUNSD's 35 hold a typed X, the rest a hand tick or cross."""
STAMP_WORDS = ("RECEIVED", "PAID", "APPROVED", "COPY", "CONFIDENTIAL", "FAXED", "VOID", "URGENT")


@dataclass
class Context:
    """What a layout needs: randomness, text, fonts and the area to fill (pixels)."""

    rng: np.random.Generator
    text: TextSource
    fonts: Sequence[FontInfo]
    dpi: float
    box: tuple[float, float, float, float]
    hand_rng: np.random.Generator | None = None
    """Draws whether the page is filled in by hand, and the hand, on a stream of its own: pages of print
    stay what they were before the handwriting fonts came (the bench's generated pages included)."""
    hand_share: float = HANDWRITTEN
    """Share of pages filled in by hand (drawn on ``hand_rng``)."""

    def __post_init__(self) -> None:
        hands = [f for f in self.fonts if f.handwriting]
        self.fonts = [f for f in self.fonts if not f.handwriting] or list(self.fonts)  # print
        mono = [f for f in self.fonts if f.mono] or list(self.fonts)
        self.mono_font = mono[int(self.rng.integers(len(mono)))]
        typewritten = self.chance(TYPEWRITTEN)
        self.caps = typewritten and self.chance(CAPS)  # every word of the page in capitals
        pool = mono if typewritten else self.fonts
        regular = [f for f in pool if not f.bold and not f.italic] or list(self.fonts)
        self.body = regular[int(self.rng.integers(len(regular)))]
        same = [f for f in self.fonts if f.family == self.body.family]
        self.bold_font = next((f for f in same if f.bold and not f.italic), self.body)
        self.italic_font = next((f for f in same if f.italic and not f.bold), self.body)
        self.body_pt = float(self.rng.choice([7, 8, 9, 9.5, 10, 10, 10.5, 11, 11, 12, 12, 13]))
        # a page filled in by hand: its handwriting font
        drawn = bool(hands) and self.hand_rng is not None and self.hand_rng.random() < self.hand_share
        self.hand = hands[int(self.hand_rng.integers(len(hands)))] if drawn else None

    def style(self, pt: float | None = None, font: FontInfo | None = None) -> Style:
        """``font`` (body font by default) at ``pt`` points (body size by default)."""
        pt = self.body_pt if pt is None else pt
        return Style(font or self.body, max(5, round(pt * self.dpi / 72)))

    def handwritten(self, size_px: int) -> Style:
        """The page's hand (:attr:`hand`) at 1-1.5x ``size_px``: people write larger than print."""
        assert self.hand is not None
        return Style(self.hand, round(size_px * self.uniform(1.0, 1.5)))

    def any_font(self) -> FontInfo:
        """A font drawn from the whole set."""
        return self.fonts[int(self.rng.integers(len(self.fonts)))]

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def uniform(self, lo: float, hi: float) -> float:
        return float(self.rng.uniform(lo, hi))

    def n(self, lo: int, hi: int) -> int:
        return int(self.rng.integers(lo, hi + 1))


def _shade(ctx: Context, lo: int, hi: int) -> dict[str, float]:
    """Fill of a shaded cell or bar: a light grey of ``lo``-``hi`` ink coverage (0-255), flat or,
    as printed forms and their copies often show, a halftone screen of 30-100 lines per inch
    (at least 2 pixels)."""
    fill = int(ctx.rng.integers(lo, hi))
    screen = max(2.0, ctx.dpi / ctx.uniform(30, 100)) if ctx.chance(0.5) else 0.0
    return {"fill": fill, "screen": screen}


def _heading(
    b: PageBuilder, ctx: Context, y: float, tokens: list[str], pt: float, align: str = "left", indent: float = 0.0
) -> float:
    x0, _, x1, _ = ctx.box
    x0 += indent
    font = ctx.bold_font if ctx.chance(0.7) else ctx.any_font()
    style = ctx.style(pt, font)
    baseline = y + style.pil.getmetrics()[0]
    b.line_at(x0, x1, baseline, tokens, style, align)
    return y + style.size_px * 1.5


def _paragraphs(
    b: PageBuilder, ctx: Context, x0: float, y: float, x1: float, y_max: float, count: int, align: str
) -> float:
    style = ctx.style()
    leading = ctx.uniform(1.1, 1.6)
    for _ in range(count):
        if y >= y_max:
            break
        tokens = ctx.text.sentence(ctx.rng, ctx.n(15, 90))
        y = b.paragraph(x0, y, x1, y_max, tokens, style, leading, align) + style.size_px * ctx.uniform(0.3, 1.2)
    return y


def _field(
    b: PageBuilder,
    ctx: Context,
    x: float,
    baseline: float,
    width: float,
    label: str,
    value: str,
    style: Style,
    frame: str,
) -> None:
    """``label: value`` with the value underlined, boxed or bare."""
    lstyle = Style(ctx.bold_font, style.size_px) if ctx.chance(0.4) else style
    sep = ":" if ctx.chance(0.8) else ""
    xv = b.line(x, baseline, (label + sep).split(), lstyle) + style.space * 2
    if ctx.hand is not None:  # written on or through the line
        value_style, value_baseline = ctx.handwritten(style.size_px), baseline + style.size_px * ctx.uniform(-0.1, 0.2)
    else:
        value_style, value_baseline = Style(ctx.mono_font if ctx.chance(0.3) else ctx.body, style.size_px), baseline
    if frame == "underline":
        b.rule((xv, baseline + style.size_px * 0.25), (x + width, baseline + style.size_px * 0.25))
    elif frame == "box":
        b.box(xv - 3, baseline - style.size_px * 1.05, x + width, baseline + style.size_px * 0.4)
    if value and xv + value_style.width(value) < x + width:
        b.line(xv + style.space, value_baseline, value.split(), value_style)


def _handwritten_answer(
    b: PageBuilder, ctx: Context, x0: float, y: float, x1: float, y_max: float, size_px: int
) -> float:
    """Free text written by hand across the width (on ruled lines half the time); returns the next free y."""
    hand = ctx.handwritten(size_px)
    leading = ctx.uniform(1.3, 1.8)
    end = b.paragraph(x0, y, x1, y_max, ctx.text.sentence(ctx.rng, ctx.n(4, 30)), hand, leading)
    if ctx.chance(0.5):
        baseline = y + hand.pil.getmetrics()[0]
        while baseline < end:
            b.rule((x0, baseline + hand.size_px * 0.15), (x1, baseline + hand.size_px * 0.15))
            baseline += hand.size_px * leading
    return end


def _value(ctx: Context) -> str:
    r = ctx.rng.random()
    if r < 0.25:
        return ctx.text.name(ctx.rng)
    if r < 0.4:
        return ctx.text.date(ctx.rng)
    if r < 0.5:
        return "" if ctx.chance(0.5) else ctx.text.amount(ctx.rng)
    if r < 0.75:
        return ctx.text.special(ctx.rng)
    return " ".join(ctx.text.sentence(ctx.rng, ctx.n(1, 4))).rstrip(".")


def _table(
    b: PageBuilder, ctx: Context, x0: float, y: float, x1: float, y_max: float, kinds: list[str], rows: int
) -> float:
    """A table whose columns hold ``text``, ``amount``, ``number``, ``figure``, ``date`` or ``code`` cells."""
    style = ctx.style(ctx.body_pt * ctx.uniform(0.85, 1.0))
    head = Style(ctx.bold_font, style.size_px)
    makers: dict[str, Callable[[], str]] = {
        "text": lambda: " ".join(ctx.text.case(ctx.rng, ctx.text.word(ctx.rng)) for _ in range(ctx.n(1, 4))),
        "amount": lambda: ctx.text.amount(ctx.rng),
        "number": lambda: ctx.text.number(ctx.rng),
        "figure": lambda: ctx.text.figure(ctx.rng),
        "date": lambda: ctx.text.date(ctx.rng),
        "code": lambda: ctx.text.code(ctx.rng),
    }
    cells = [[makers[k]() for k in kinds] for _ in range(rows)]
    header = [ctx.text.case(ctx.rng, ctx.text.label(ctx.rng), upper=0.4) for _ in kinds]
    widths = (
        np.array([max(style.width(c) for c in [h, *(r[j] for r in cells)]) for j, h in enumerate(header)])
        + style.size_px
    )
    while widths.sum() > x1 - x0 and len(kinds) > 1:  # too wide: drop the last column
        kinds, widths, header, cells = kinds[:-1], widths[:-1], header[:-1], [r[:-1] for r in cells]
    widths *= (x1 - x0) / widths.sum() if ctx.chance(0.7) else 1.0
    edges = x0 + np.concatenate([[0], np.cumsum(widths)])
    row_h = style.size_px * ctx.uniform(1.4, 2.0)
    ruling = ctx.rng.choice(["none", "horizontal", "grid", "header"])
    pad = style.size_px * 0.3
    top = y
    ascent = style.pil.getmetrics()[0]
    for r, row in enumerate([header, *cells]):
        if y + row_h > y_max:
            break
        baseline = y + (row_h - style.size_px) / 2 + ascent * 0.9
        for j, (cell, kind) in enumerate(zip(row, kinds)):
            align = "right" if kind in ("amount", "number", "figure") and r > 0 else "left"
            b.line_at(edges[j] + pad, edges[j + 1] - pad, baseline, cell.split(), head if r == 0 else style, align)
        y += row_h
        if ruling == "horizontal" or ruling == "grid" or (ruling == "header" and r == 0):
            b.rule((edges[0], y), (edges[-1], y))
    if ruling == "grid":
        for e in edges:
            b.rule((e, top), (e, y))
        b.rule((edges[0], top), (edges[-1], top))
    elif ruling == "header" and ctx.chance(0.5):
        b.box(edges[0], top, edges[-1], top + row_h, thickness=0, **_shade(ctx, 25, 60))
    return y + row_h * 0.5


def letter(b: PageBuilder, ctx: Context) -> None:
    """Business letter with letterhead, addresses, salutation, body and signature."""
    x0, y0, x1, y1 = ctx.box
    size = (y1 - y0) * 0.06
    if ctx.chance(0.7):
        b.logo(x0, y0, size, ctx.rng)
        y = _heading(
            b,
            ctx,
            y0 + size * 0.15,
            ctx.text.case(
                ctx.rng, " ".join(ctx.text.word(ctx.rng) for _ in range(ctx.n(1, 3))), upper=0.5, title=0.5
            ).split(),
            ctx.uniform(14, 28),
            indent=size * 1.3,
        )
        style = ctx.style(ctx.body_pt * 0.85)
        for line in ctx.text.address(ctx.rng):
            y = b.paragraph(x0, y, x1, y1, line.split(), style, 1.2, "right")
        y = max(y, y0 + size) + style.size_px
        b.rule((x0, y), (x1, y), max(1, int(ctx.dpi / 100)))
        y += style.size_px * 2
    else:
        y = y0
    style = ctx.style()
    y = (
        b.paragraph(x0, y, x1, y1, ctx.text.date(ctx.rng).split(), style, 1.2, "right" if ctx.chance(0.4) else "left")
        + style.size_px
    )
    for line in [ctx.text.name(ctx.rng), *ctx.text.address(ctx.rng)]:
        y = b.paragraph(x0, y, x1, y1, line.split(), style, 1.2)
    y += style.size_px
    y = b.paragraph(x0, y, x1, y1, ["Dear", ctx.text.name(ctx.rng) + ","], style) + style.size_px * 0.5
    y = _paragraphs(b, ctx, x0, y, x1, y1 - style.size_px * 8, ctx.n(2, 5), "justify" if ctx.chance(0.4) else "left")
    y = b.paragraph(x0, y, x1, y1, [str(ctx.rng.choice(["Sincerely,", "Regards,", "Yours", "Best"]))], style)
    b.scribble(x0, y, x0 + style.size_px * 10, y + style.size_px * 3, ctx.rng)
    y += style.size_px * 3.5
    b.paragraph(x0, y, x1, y1, ctx.text.name(ctx.rng).split(), style)


def memo(b: PageBuilder, ctx: Context) -> None:
    """Memo: title, TO/FROM/DATE/SUBJECT block, rule and body."""
    x0, y0, x1, y1 = ctx.box
    y = _heading(
        b,
        ctx,
        y0,
        [str(ctx.rng.choice(["MEMORANDUM", "Memo", "MEMO", "Interoffice", "INTERNAL MEMO"]))],
        ctx.uniform(16, 32),
        "center" if ctx.chance(0.5) else "left",
    )
    style = ctx.style()
    y += style.size_px
    for label, value in [
        ("TO", ctx.text.name(ctx.rng)),
        ("FROM", ctx.text.name(ctx.rng)),
        ("DATE", ctx.text.date(ctx.rng)),
        ("SUBJECT", " ".join(ctx.text.sentence(ctx.rng, ctx.n(2, 6)))),
    ]:
        label = label if ctx.chance(0.6) else label.title()
        _field(b, ctx, x0, y + style.pil.getmetrics()[0], x1 - x0, label, value, style, "none")
        y += style.size_px * 1.8
    b.rule((x0, y), (x1, y), max(1, int(ctx.dpi / 75)))
    _paragraphs(b, ctx, x0, y + style.size_px, x1, y1, ctx.n(2, 6), "left")


def article(b: PageBuilder, ctx: Context) -> None:
    """Title, byline and two or three columns of justified text with subheadings."""
    x0, y0, x1, y1 = ctx.box
    y = _heading(
        b,
        ctx,
        y0,
        ctx.text.sentence(ctx.rng, ctx.n(3, 8)),
        ctx.uniform(18, 36),
        "center" if ctx.chance(0.5) else "left",
    )
    style = ctx.style()
    y = (
        b.paragraph(x0, y, x1, y1, ["By", *ctx.text.name(ctx.rng).split()], Style(ctx.italic_font, style.size_px))
        + style.size_px
    )
    ncol = ctx.n(2, 3)
    gutter = style.size_px * ctx.uniform(1.5, 3)
    colw = (x1 - x0 - gutter * (ncol - 1)) / ncol
    for c in range(ncol):
        cx0 = x0 + c * (colw + gutter)
        cy = y
        while cy < y1 - style.size_px * 3:
            if ctx.chance(0.3):
                sub = Style(ctx.bold_font, int(style.size_px * ctx.uniform(1.0, 1.4)))
                cy = (
                    b.paragraph(cx0, cy, cx0 + colw, y1, ctx.text.sentence(ctx.rng, ctx.n(2, 5)), sub, 1.2)
                    + style.size_px * 0.3
                )
            cy = _paragraphs(b, ctx, cx0, cy, cx0 + colw, y1, 1, "justify")
        if ctx.chance(0.3) and c < ncol - 1:
            b.rule((cx0 + colw + gutter / 2, y), (cx0 + colw + gutter / 2, y1))


def form(b: PageBuilder, ctx: Context) -> None:
    """Form: label/value fields (underlined, boxed or bare), check boxes, section bars."""
    x0, y0, x1, y1 = ctx.box
    if ctx.chance(0.5):
        size = (y1 - y0) * 0.07
        b.logo(x1 - size, y0, size, ctx.rng)
    y = _heading(
        b,
        ctx,
        y0,
        ctx.text.case(
            ctx.rng, " ".join(ctx.text.word(ctx.rng) for _ in range(ctx.n(2, 5))) + " Form", upper=0.6, title=0.4
        ).split(),
        ctx.uniform(14, 24),
        "center",
    )
    style = ctx.style()
    frame = str(ctx.rng.choice(["underline", "box", "none"]))
    ncol = ctx.n(1, 3)
    colw = (x1 - x0) / ncol
    y += style.size_px
    while y < y1 - style.size_px * 3:
        r = ctx.rng.random()
        if r < 0.12:
            bar = ctx.chance(0.5)
            if bar:
                b.box(x0, y, x1, y + style.size_px * 1.6, thickness=0, **_shade(ctx, 30, 90))
            _heading(
                b,
                ctx,
                y + style.size_px * 0.1,
                ctx.text.case(ctx.rng, ctx.text.label(ctx.rng), upper=0.7).split(),
                ctx.body_pt,
            )
            y += style.size_px * 2.2
        elif r < 0.25:
            xb = x0
            baseline = y + style.pil.getmetrics()[0]
            xb = b.line(xb, baseline, (ctx.text.label(ctx.rng) + "?").split(), style) + style.size_px
            for _ in range(ctx.n(2, 4)):
                if xb > x1 - style.size_px * 8:
                    break
                mark = str(ctx.rng.choice(CHECK_MARKS)) if ctx.chance(CHECKED) else None
                box = b.checkbox(xb, baseline - style.size_px * 0.75, style.size_px * 0.8, mark, ctx.rng, style)
                answer = ctx.rng.choice(["Yes", "No", "N/A", ctx.text.case(ctx.rng, ctx.text.word(ctx.rng), title=0.5)])
                xb = b.line(xb + style.size_px * 1.2, baseline, [str(answer)], style, lead=box) + style.size_px * 1.5
            y += style.size_px * 2
        elif r < 0.3 and ctx.hand is not None:
            y = _handwritten_answer(b, ctx, x0, y, x1, y1 - style.size_px * 3, style.size_px) + style.size_px * 0.5
        elif r < 0.3:
            y = _paragraphs(b, ctx, x0, y, x1, y1, 1, "left") + style.size_px * 0.5
        else:
            for c in range(ncol):
                _field(
                    b,
                    ctx,
                    x0 + c * colw,
                    y + style.pil.getmetrics()[0],
                    colw - style.size_px * 2,
                    ctx.text.label(ctx.rng),
                    _value(ctx),
                    style,
                    frame,
                )
            y += style.size_px * ctx.uniform(1.8, 2.8)
    b.rule((x0, y1 - style.size_px), (x0 + (x1 - x0) * 0.4, y1 - style.size_px))
    if ctx.hand is not None:  # the signer's name written above the line
        name = ctx.text.name(ctx.rng).split()
        b.line(x0 + style.size_px, y1 - style.size_px * 1.3, name, ctx.handwritten(style.size_px))
    b.line(x0, y1, ["Signature"], ctx.style(ctx.body_pt * 0.8))


def table_page(b: PageBuilder, ctx: Context) -> None:
    """A report page: heading, paragraph and one or two tables."""
    x0, y0, x1, y1 = ctx.box
    y = _heading(b, ctx, y0, ctx.text.sentence(ctx.rng, ctx.n(2, 6)), ctx.uniform(12, 24))
    for _ in range(ctx.n(1, 2)):
        y = _paragraphs(b, ctx, x0, y, x1, y1, 1, "left")
        kinds = ["text"] + [str(k) for k in ctx.rng.choice(["text", "amount", "number", "figure", "date", "code"], ctx.n(2, 6))]
        y = _table(b, ctx, x0, y, x1, y1, kinds, ctx.n(4, 25))


def invoice(b: PageBuilder, ctx: Context) -> None:
    """Invoice: letterhead, number and dates, bill-to block, item table and totals."""
    x0, y0, x1, y1 = ctx.box
    size = (y1 - y0) * 0.06
    b.logo(x0, y0, size, ctx.rng)
    style = ctx.style()
    y = _heading(
        b,
        ctx,
        y0,
        [str(ctx.rng.choice(["INVOICE", "Invoice", "TAX INVOICE", "Statement", "BILL"]))],
        ctx.uniform(18, 32),
        "right",
    )
    for label in ("Invoice No.", "Date", "Due Date", "Customer ID")[: ctx.n(2, 4)]:
        value = ctx.text.code(ctx.rng) if "No" in label or "ID" in label else ctx.text.date(ctx.rng)
        _field(
            b, ctx, x1 - (x1 - x0) * 0.4, y + style.pil.getmetrics()[0], (x1 - x0) * 0.4, label, value, style, "none"
        )
        y += style.size_px * 1.6
    y = max(y, y0 + size) + style.size_px
    y = b.paragraph(x0, y, x1, y1, ["Bill", "To:"], Style(ctx.bold_font, style.size_px))
    for line in [ctx.text.name(ctx.rng), *ctx.text.address(ctx.rng)]:
        y = b.paragraph(x0, y, x1, y1, line.split(), style, 1.2)
    y += style.size_px
    y = _table(b, ctx, x0, y, x1, y1 - style.size_px * 6, ["text", "number", "amount", "amount"], ctx.n(3, 15))
    for label in ("Subtotal", "Tax", "Shipping", "TOTAL")[-ctx.n(1, 4) :]:
        if y > y1 - style.size_px * 2:
            break
        s = Style(ctx.bold_font, style.size_px) if label == "TOTAL" else style
        baseline = y + style.pil.getmetrics()[0]
        b.line_at(x0 + (x1 - x0) * 0.55, x0 + (x1 - x0) * 0.75, baseline, [label + ":"], s, "left")
        b.line_at(x0 + (x1 - x0) * 0.75, x1 - style.size_px * 0.3, baseline, [ctx.text.amount(ctx.rng)], s, "right")
        y += style.size_px * 1.6
    _paragraphs(b, ctx, x0, y + style.size_px, x1, y1, 1, "left")


def receipt(b: PageBuilder, ctx: Context) -> None:
    """A narrow till receipt in a monospace font, centred on the page."""
    x0, y0, x1, y1 = ctx.box
    width = min(x1 - x0, ctx.dpi * ctx.uniform(2.5, 3.5))
    cx0 = x0 + ctx.uniform(0, x1 - x0 - width)
    cx1 = cx0 + width
    style = Style(ctx.mono_font, max(5, int(ctx.uniform(7, 10) * ctx.dpi / 72)))
    if ctx.chance(0.5):
        b.box(cx0 - style.size_px, y0 - style.size_px, cx1 + style.size_px, y1, thickness=1)
    y = y0
    for tokens in [
        ctx.text.word(ctx.rng).upper().split(),
        *[a.split() for a in ctx.text.address(ctx.rng)],
        ctx.text.code(ctx.rng).split(),
    ]:
        b.line_at(cx0, cx1, y + style.pil.getmetrics()[0], tokens, style, "center")
        y += style.size_px * 1.3
    b.rule((cx0, y + style.size_px * 0.5), (cx1, y + style.size_px * 0.5), dashed=True)
    y += style.size_px
    for _ in range(ctx.n(3, 25)):
        if y > y1 - style.size_px * 8:
            break
        baseline = y + style.pil.getmetrics()[0]
        item = [ctx.text.word(ctx.rng).upper() for _ in range(ctx.n(1, 3))]
        if ctx.chance(0.3):
            item.insert(0, f"{ctx.n(1, 9)}x")
        b.line_at(cx0, cx1 - width * 0.3, baseline, item, style, "left")
        b.line_at(cx1 - width * 0.3, cx1, baseline, [f"{ctx.uniform(0.1, 300):.2f}"], style, "right")
        y += style.size_px * 1.3
    b.rule((cx0, y + style.size_px * 0.5), (cx1, y + style.size_px * 0.5), dashed=True)
    y += style.size_px * 1.2
    for label in ("SUBTOTAL", "TAX", "TOTAL", "CASH", "CHANGE")[: ctx.n(2, 5)]:
        baseline = y + style.pil.getmetrics()[0]
        b.line_at(cx0, cx1, baseline, [label], style, "left")
        b.line_at(cx0, cx1, baseline, [f"{ctx.uniform(0.1, 999):.2f}"], style, "right")
        y += style.size_px * 1.3
    for tokens in [f"{ctx.text.date(ctx.rng)} {ctx.n(0, 23):02d}:{ctx.n(0, 59):02d}".split(), ["THANK", "YOU!"]]:
        y += style.size_px * 0.5
        b.line_at(cx0, cx1, y + style.pil.getmetrics()[0], tokens, style, "center")
        y += style.size_px * 1.3


LAYOUTS: dict[str, Callable[[PageBuilder, Context], None]] = {
    "letter": letter,
    "memo": memo,
    "article": article,
    "form": form,
    "table": table_page,
    "invoice": invoice,
    "receipt": receipt,
}


def running_header(b: PageBuilder, ctx: Context, page_box: tuple[float, float, float, float]) -> None:
    """A running header in the top margin, now and then (drawn first: words are listed in
    reading order)."""
    x0, y0, x1, _ = ctx.box
    top = page_box[1]
    small = ctx.style(ctx.body_pt * 0.8)
    if ctx.chance(0.35) and y0 - top > small.size_px * 2:
        baseline = (top + y0) / 2
        b.line_at(
            x0,
            x1,
            baseline,
            ctx.text.sentence(ctx.rng, ctx.n(2, 6)),
            small,
            str(ctx.rng.choice(["left", "right", "center"])),
        )
        if ctx.chance(0.5):
            b.rule((x0, baseline + small.size_px * 0.5), (x1, baseline + small.size_px * 0.5))


def decorate(b: PageBuilder, ctx: Context, page_box: tuple[float, float, float, float]) -> None:
    """Footer and page number in the bottom margin; stamps, pen marks and rules."""
    x0, y0, x1, y1 = ctx.box
    bottom = page_box[3]
    small = ctx.style(ctx.body_pt * 0.8)
    if ctx.chance(0.5) and bottom - y1 > small.size_px * 2:
        baseline = (bottom + y1) / 2 + small.size_px * 0.5
        n, total = ctx.n(1, 30), ctx.n(30, 60)
        number = str(ctx.rng.choice([f"{n}", f"- {n} -", f"Page {n}", f"Page {n} of {total}", f"{n}/{total}"]))
        b.line_at(x0, x1, baseline, number.split(), small, str(ctx.rng.choice(["right", "center"])))
        if ctx.chance(0.5):
            b.line_at(x0, x1, baseline, ctx.text.sentence(ctx.rng, ctx.n(1, 4)), small, "left")
    for _ in range(ctx.n(0, 2) if ctx.chance(0.3) else 0):
        cx, cy = ctx.uniform(x0, x1), ctx.uniform(y0, y1)
        word = str(ctx.rng.choice([*STAMP_WORDS, ctx.text.date(ctx.rng).upper()]))
        b.stamp(cx, cy, word, ctx.style(ctx.uniform(10, 22), ctx.bold_font), ctx.rng)
    if ctx.chance(0.2):
        cx, cy, w = ctx.uniform(x0, x1), ctx.uniform(y0, y1), ctx.dpi * ctx.uniform(0.5, 2)
        b.scribble(
            cx - w / 2,
            cy,
            cx + w / 2,
            cy + w * ctx.uniform(0.15, 0.5),
            ctx.rng,
            layer=str(ctx.rng.choice(["color", "marks"])),
        )
    if ctx.chance(0.1):
        yy = ctx.uniform(y0, y1)
        b.rule((x0, yy), (x1, yy), ctx.n(1, 3))
