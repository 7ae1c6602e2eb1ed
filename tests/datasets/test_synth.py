from __future__ import annotations

import re
import shutil
from dataclasses import replace

import cv2
import numpy as np
import pytest

from docvision.datasets.synth.degrade import (
    CLEAN,
    random_homography,
    sample_degradation,
    warp_image,
    warp_points,
)
from docvision.datasets.synth.fonts import _fixed_pitch, _parse_record, parse_charset
from docvision.datasets.synth.generator import SynthConfig, SyntheticPages, vanished
from docvision.datasets.synth.layouts import CAPS, HANDWRITTEN, LAYOUTS, TYPEWRITTEN, Context, form
from docvision.datasets.synth.render import Canvas, PageBuilder, Style, capitals, halftone
from docvision.datasets.synth.text import TextSource
from docvision.datasets.types import LabeledPage, LabeledWord
from docvision.recognition.vocab import Vocab



def _polygon_mask(words, shape) -> np.ndarray:
    """Pixels whose centre lies inside a word polygon (polygons use pixel-edge coordinates)."""
    mask = np.zeros(shape, np.uint8)
    for w in words:
        pts = np.round((w.polygon - 0.5) * 16).astype(np.int32)
        cv2.fillPoly(mask, [pts], 1, cv2.LINE_8, shift=4)
    return mask.astype(bool)


def test_parse_charset():
    assert parse_charset("41-43 61") == frozenset("ABCa")


def test_font_set_from_folder(small_fonts):
    assert small_fonts and all(f.covers("Total 12.50") for f in small_fonts)


def test_handwriting_families_are_flagged():
    record = "\t".join(["/f/{}.ttf", "{}", "Regular", "80", "0", "0", "100", "20-7e"])
    assert _parse_record(record.format("Kristi", "Kristi")).handwriting
    assert _parse_record(record.format("DkgHandwriting", "DkgHandwriting")).handwriting
    assert not _parse_record(record.format("DejaVuSans", "DejaVu Sans")).handwriting


def test_fixed_pitch_is_measured():
    dejavu = "/usr/share/fonts/truetype/dejavu/"
    assert _fixed_pitch(dejavu + "DejaVuSansMono.ttf")
    assert not _fixed_pitch(dejavu + "DejaVuSans.ttf")
    assert not _fixed_pitch("/nonexistent/font.ttf")


@pytest.mark.parametrize("period", [2.0, 3.5, 8.0])
def test_halftone_covers_the_asked_share_with_separate_dots(period):
    dots = halftone((200, 300), 0.2, period)
    assert dots.dtype == np.uint8 and set(np.unique(dots)) == {0, 255}
    assert abs((dots > 0).mean() - 0.2) < 0.02
    if period >= 3:  # finer screens alias on the pixel grid
        n, _ = cv2.connectedComponents(dots, connectivity=4)
        assert n - 1 > 0.7 * 200 * 300 / period**2  # a dot per screen cell, not a flat fill


def test_a_share_of_pages_is_typewritten(small_synth, small_fonts):
    bodies = [
        Context(np.random.default_rng(seed), small_synth.text, small_fonts, 100, (0, 0, 100, 100)).body
        for seed in range(400)
    ]
    upright = [f for f in small_fonts if not f.bold and not f.italic]
    expected = TYPEWRITTEN + (1 - TYPEWRITTEN) * np.mean([f.mono for f in upright])
    assert abs(np.mean([f.mono for f in bodies]) - expected) < 0.07
    assert not any(f.bold or f.italic for f in bodies)


def test_some_typewritten_pages_are_all_capitals(small_synth, small_fonts):
    contexts = [
        Context(np.random.default_rng(seed), small_synth.text, small_fonts, 100, (0, 0, 100, 100)) for seed in range(400)
    ]
    assert abs(np.mean([c.caps for c in contexts]) - TYPEWRITTEN * CAPS) < 0.04
    assert all(c.body.mono for c in contexts if c.caps) or not any(f.mono for f in small_fonts)
    builder = PageBuilder(Canvas(60, 300), caps=True)
    builder.line(5, 40, ["Total", "due:", "12.50"], Style(small_fonts[0], 20))
    assert [w.text for w in builder.canvas.words] == ["TOTAL", "DUE:", "12.50"]


class _Recording(PageBuilder):
    """A page builder that notes the font of every line it draws."""

    def __init__(self, canvas: Canvas) -> None:
        super().__init__(canvas)
        self.fonts: list = []

    def line(self, x, baseline, tokens, style, gap=1.0, lead=None):
        self.fonts.append(style.font)
        return super().line(x, baseline, tokens, style, gap, lead)


def test_hand_filled_forms_write_by_hand_and_print_stays_print(small_synth, small_fonts):
    upright = next(f for f in small_fonts if not (f.bold or f.italic or f.mono))
    hand = replace(upright, family="Hand", handwriting=True)  # the body font of most pages, were it print
    fonts = (*small_fonts, hand)
    hands = 0
    for seed in range(40):
        rng, hand_rng = np.random.default_rng(seed), np.random.default_rng([seed, 1])
        ctx = Context(rng, small_synth.text, fonts, 100, (20, 20, 580, 780), hand_rng)
        assert hand not in (ctx.body, ctx.mono_font, ctx.bold_font, ctx.italic_font, ctx.any_font())
        builder = _Recording(Canvas(800, 600))
        form(builder, ctx)
        written = sum(f is hand for f in builder.fonts)
        assert (written > 0) == (ctx.hand is hand), seed
        hands += ctx.hand is hand
    assert abs(hands / 40 - HANDWRITTEN) < 0.2
    without = [  # no handwriting fonts
        Context(np.random.default_rng(s), small_synth.text, small_fonts, 100, (0, 0, 9, 9), np.random.default_rng(s))
        for s in range(20)
    ]
    assert all(c.hand is None for c in without)
    for share in (0.0, 1.0):  # the share of hands is the generator's option
        drawn = [
            Context(np.random.default_rng(s), small_synth.text, fonts, 100, (0, 0, 9, 9), np.random.default_rng(s), share).hand
            for s in range(20)
        ]
        assert all((hand is not None) == bool(share) for hand in drawn), share
    config = SynthConfig(page_size=(4.0, 5.0), dpi=100, layouts={"letter": 1, "invoice": 1})
    for index in range(3):  # pages of print are the pages they were before the hands came
        before = SyntheticPages(3, seed=3, config=config, fonts=small_fonts).generate(index).page
        after = SyntheticPages(3, seed=3, config=config, fonts=fonts).generate(index).page
        assert np.array_equal(before.image, after.image)
        assert [w.text for w in before.words] == [w.text for w in after.words]


def test_capitals_keeps_letters_without_a_latin1_capital():
    assert capitals("Total: 12.50 naïve straße µm ÿes") == "TOTAL: 12.50 NAÏVE STRAßE µM ÿES"


@pytest.mark.parametrize("index", range(8))
def test_clean_page_boxes_are_exact(small_fonts, index):
    ds = SyntheticPages(8, seed=11, config=SynthConfig(page_size=(4.0, 5.0), dpi=100, degrade=False), fonts=small_fonts)
    synth = ds.generate(index)
    page = synth.page
    assert page.image.shape == (500, 400, 3) and page.image.dtype == np.uint8
    words = [w for w in page.words if not w.ignore]
    assert words
    inside = _polygon_mask(page.words, synth.text_ink.shape)
    assert not (synth.text_ink > 0)[~inside].any(), "word ink outside every word polygon"
    for w in words:  # tight: the ink touches all four sides of its box
        x0, y0 = w.polygon.min(0).astype(int)
        x1, y1 = w.polygon.max(0).astype(int)
        ink = synth.text_ink[y0:y1, x0:x1] > 0
        assert ink[0].any() and ink[-1].any() and ink[:, 0].any() and ink[:, -1].any(), w.text
    # Nothing but words and marks changed the paper.
    gray = page.image[..., 0].astype(int)
    paper = np.median(gray)
    marked = (synth.text_ink > 0) | (synth.mark_ink > 0)
    assert not (gray != paper)[~marked].any()


def test_warped_boxes_follow_the_ink(small_synth):
    for index in range(6):
        synth = small_synth.generate(index, degradation=CLEAN)
        inside = cv2.dilate(
            _polygon_mask(synth.page.words, synth.text_ink.shape).astype(np.uint8), np.ones((3, 3), np.uint8)
        )
        assert not (synth.text_ink > 0)[inside == 0].any()


def test_warp_points_matches_warp_image():
    rng = np.random.default_rng(0)
    m = random_homography(rng, 200, 100, 5.0, 0.03)
    img = np.zeros((100, 200), np.uint8)
    img[40:44, 120:124] = 255  # a 4x4 square with edge coordinates 120..124, 40..44
    warped = warp_image(img, m).astype(float)
    ys, xs = np.mgrid[: warped.shape[0], : warped.shape[1]] + 0.5  # pixel centres, edge coordinates
    centroid = np.array([(xs * warped).sum(), (ys * warped).sum()]) / warped.sum()
    assert np.abs(centroid - warp_points(np.array([[122.0, 42.0]]), m)[0]).max() < 0.1


def test_seed_reproducibility(small_synth, small_fonts):
    a = small_synth[5]
    again = SyntheticPages(64, seed=3, config=small_synth.config, fonts=small_fonts)[5]
    other = SyntheticPages(64, seed=4, config=small_synth.config, fonts=small_fonts)[5]
    assert isinstance(a, LabeledPage) and a.ordered  # words listed in reading order
    assert np.array_equal(a.image, again.image)
    assert [w.text for w in a.words] == [w.text for w in again.words]
    assert all(np.array_equal(x.polygon, y.polygon) for x, y in zip(a.words, again.words))
    assert [w.text for w in a.words] != [w.text for w in other.words]


def test_text_in_vocabulary_and_lines_consistent(small_synth):
    vocab = Vocab.load()
    layouts = set()
    for i in range(20):
        synth = small_synth.generate(i)
        layouts.add(synth.layout)
        for w in synth.page.words:
            assert w.text and vocab.covers(w.text) and (" " not in w.text or w.ignore)  # a stamp is one ignored word
            assert w.polygon.dtype == np.float32 and w.polygon.shape[1] == 2
        covered = [i for line in synth.lines for i in line]
        assert len(covered) == len(set(covered)) and all(0 <= i < len(synth.page.words) for i in covered)
    assert len(layouts) >= 4


def test_marks_are_short_form_tokens_the_vocabulary_covers():
    source, rng = TextSource(n_words=2000), np.random.default_rng(0)
    marks = [source.mark(rng) for _ in range(300)]
    assert all(m and " " not in m and source.vocab.covers(m) for m in marks)
    assert "&" in marks and "-" in marks  # lone signs
    assert any(len(m) == 3 and m[1] == "&" and m.replace("&", "").isupper() for m in marks)  # R&D
    assert any(len(m) > 2 and m.endswith("-") and m[:-1].isalpha() for m in marks)  # hyphen-broken word
    assert any(m.endswith("*") and m.rstrip("*").replace(".", "").isdigit() for m in marks)  # 3.45**


def test_numbers_include_decimals_without_their_leading_zero():
    source, rng = TextSource(n_words=2000), np.random.default_rng(0)
    numbers = [source.number(rng) for _ in range(400)]
    assert all(re.fullmatch(r"['’+±-]?[\d,]*\.?\d+", n) for n in numbers)
    assert any(n.startswith(".") and n[1:].isdigit() for n in numbers)  # .25
    assert any(n.startswith("0.") for n in numbers) and any("." in n and n[0] in "123456789" for n in numbers)
    assert any(re.fullmatch(r"'\d\d", n) for n in numbers) and any(re.fullmatch(r"[+±-]\d+", n) for n in numbers)


def test_signs_forms_print_apart_or_whole():
    """The signs v7 read worst on FUNSD's crops against PP-OCR: "100%", a lone "$", "(+)", "(If" ... "so)"."""
    source, rng = TextSource(n_words=2000), np.random.default_rng(0)
    amounts = [source.amount(rng) for _ in range(400)]
    assert any(re.fullmatch(r"\d+%", a) for a in amounts) and any(re.fullmatch(r"\d+\.\d%", a) for a in amounts)
    assert any(a.startswith("$ ") and a[2].isdigit() for a in amounts)  # "$" apart from its figure
    marks = {source.mark(rng) for _ in range(600)}
    assert {"$", "(+)", "(s)", "+/-"} <= marks
    assert any(t.lower().endswith("(s)") and t[:-3].isalpha() for t in (source.compound(rng) for _ in range(300)))
    tokens = [t for _ in range(200) for t in source.sentence(rng, 40)]
    assert all(source.vocab.covers(t) for t in tokens)
    opened = [i for i, t in enumerate(tokens) if re.fullmatch(r"\([^\W\d_]{2,}[.,;:?!…]?", t)]  # not a garble "("
    assert opened and all(any(")" in u for u in tokens[i + 1 : i + 6]) for i in opened)  # closed 1-4 words on


def test_names_carry_two_initials_spaced_and_joined():
    """Readers must learn "J. S. Wigand" (three words) apart from "J.S. Wigand" (two) by the gap."""
    source, rng = TextSource(n_words=2000), np.random.default_rng(0)
    names = [source.name(rng) for _ in range(1000)]
    spaced = sum(bool(re.match(r"[A-Z]\. [A-Z]\. \S", n)) for n in names)
    joined = sum(bool(re.match(r"[A-Z]\.[A-Z]\. \S", n)) for n in names)
    assert spaced >= 50 and joined >= 10  # 7% and 3% of the names drawn, besides a first initial alone
    assert any(re.fullmatch(r"[A-Z]\. [A-Z][a-z]+", n) for n in names)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_every_layout_draws_words(small_fonts, layout):
    ds = SyntheticPages(
        1, seed=0, config=SynthConfig(page_size=(5.0, 6.0), dpi=100, layouts={layout: 1.0}), fonts=small_fonts
    )
    synth = ds.generate(0)
    assert synth.layout == layout and len(synth.page.words) >= 5


def test_degradations_keep_shape():
    rng = np.random.default_rng(1)
    kinds = {sample_degradation(rng, 150) for _ in range(50)}
    assert len(kinds) > 10


def test_font_index_stands_in_for_fontconfig(tmp_path, monkeypatch):
    from docvision.datasets.synth import fonts

    shutil.copy("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", tmp_path)
    index = fonts.write_font_index(tmp_path)
    assert str(tmp_path) not in index.read_text()  # relative paths: the folder can move

    moved = tmp_path.parent / f"{tmp_path.name}-moved"
    tmp_path.rename(moved)

    def no_fontconfig(*args, **kwargs):
        raise FileNotFoundError("fc-scan")

    monkeypatch.setattr(fonts.subprocess, "run", no_fontconfig)
    (font,) = fonts.find_fonts(str(moved))
    assert font.path == str(moved.resolve() / "DejaVuSans.ttf") and "€" in font.chars


def test_compounds_elisions_and_accented_words():
    source, rng = TextSource(n_words=2000), np.random.default_rng(0)
    tokens = [source.compound(rng) for _ in range(300)]
    assert all(t and source.vocab.covers(t) for t in tokens)
    assert any("-" in t.strip("-") and all(t.split("-")) for t in tokens)  # co-operate
    assert any(t[:2] in ("O'", "D'", "d'", "L'", "l'") and t[2].isupper() for t in tokens)  # O'Neil
    assert any(not t.isascii() and t.lower() in {w.lower() for w in source.loanwords} for t in tokens)  # naïve
    amounts = [source.amount(rng) for _ in range(300)]
    assert any(a.startswith("€") and a[1].isdigit() for a in amounts) and any(a.endswith(" €") for a in amounts)


def test_words_beyond_latin1_come_from_the_grown_vocabulary():
    words = TextSource(n_words=3000).words
    assert any(set(w) & set("łśżčřěőű") for w in words)  # Polish, Czech, Hungarian words


def test_clean_share_of_degradations():
    rng = np.random.default_rng(3)
    assert all(replace(sample_degradation(rng, 150, clean=1.0), color=False) == CLEAN for _ in range(20))
    assert all(replace(sample_degradation(rng, 150, clean=0.0), color=False) != CLEAN for _ in range(50))


def test_words_wiped_out_by_the_degradation_are_ignored():
    ink = np.zeros((40, 100), np.uint8)
    ink[10:30, 10:90:4] = 255  # vertical strokes of a word
    word = LabeledWord("word", np.array([[8, 8], [92, 8], [92, 32], [8, 32]], np.float32))
    printed = np.full((40, 100, 3), 230, np.uint8)
    printed[ink > 0] = 40
    assert not vanished(word, ink, printed)
    broken = printed.copy()
    broken[10:30:2] = 230  # every other row of the strokes lost: still legible
    assert not vanished(word, ink, broken)
    faint = np.full((40, 100, 3), 230, np.uint8)
    faint[ink > 0] = 215  # nearly the paper: gone after binarization
    assert vanished(word, ink, faint)
    assert vanished(word, np.zeros_like(ink), printed)  # no ink drawn at all


def test_figures_put_signs_and_letters_around_digits():
    """FUNSD's figures v11 misread most: "50%" read "508", "5-9" read "$-9"; "QIP" read "GIP"."""
    source, rng = TextSource(n_words=2000), np.random.default_rng(0)
    figures = [source.figure(rng) for _ in range(600)]
    assert all(f and " " not in f and any(c.isdigit() for c in f) and source.vocab.covers(f) for f in figures)
    assert any(re.fullmatch(r"\d+%", f) for f in figures) and any(re.fullmatch(r"\.\d+%", f) for f in figures)
    assert any(re.fullmatch(r"\d+-\d+", f) for f in figures) and any(re.fullmatch(r"\d+[-–]\d+%", f) for f in figures)
    assert any(re.fullmatch(r"\d\d?:\d\d", f) for f in figures) and any(re.fullmatch(r"\d+/\d+", f) for f in figures)
    assert any(re.fullmatch(r"[\d.,]+(mm|mg|kg|cm)", f) for f in figures)
    assert any(re.fullmatch(r"\d+(st|nd|rd|th)", f) for f in figures) and any(f.endswith("'s") for f in figures)
    compounds = {source.compound(rng) for _ in range(600)}
    assert any(re.search(r"[qQ](?![uU])", c) for c in compounds)  # Iraq, Qty.
    tokens = [t for _ in range(100) for t in source.sentence(rng, 40)]
    assert sum(bool(re.search(r"\d%", t)) for t in tokens) >= 5  # figures reach running text


def test_words_and_figures_broken_at_a_slash_or_hyphen():
    """FUNSD's words with a "/" were read right 39% of the time by v11 ("Manager/" -> "Manager", "9/" -> "9)")."""
    source, rng = TextSource(n_words=2000), np.random.default_rng(0)
    marks = [source.mark(rng) for _ in range(600)]
    assert all(m and " " not in m and source.vocab.covers(m) for m in marks)
    assert any(re.fullmatch(r"\d+/", m) for m in marks) and any(re.fullmatch(r"/\d+", m) for m in marks)
    assert any(re.fullmatch(r"\(\d+-", m) for m in marks) and any(re.fullmatch(r"[^\W\d_]+/", m) for m in marks)
    compounds = [source.compound(rng) for _ in range(300)]
    assert any(re.fullmatch(r"[^\W\d_]+/[^\W\d_]+", c) for c in compounds)  # Name/Title
    assert any(re.fullmatch(r"\d+/ \d+/ \d\d", source.date(rng)) for _ in range(200))  # 9/ 3/ 92


def test_check_boxes_are_words_read_before_their_answer(small_fonts):
    """Form check boxes are labeled ``☐`` (empty) or ``☑`` (ticked or crossed), tight on their ink
    (the exact-box test covers that), and start the line of the answer beside them."""
    config = SynthConfig(page_size=(6.0, 8.0), dpi=100, degrade=False, layouts={"form": 1})
    ds = SyntheticPages(12, seed=5, config=config, fonts=small_fonts)
    kinds = []
    for index in range(len(ds)):
        synth = ds.generate(index)
        words = synth.page.words
        for line in synth.lines:
            boxes = [k for k, i in enumerate(line) if words[i].text in ("☐", "☑")]
            assert boxes in ([], [0]), [words[i].text for i in line]
            if boxes:
                kinds.append(words[line[0]].text)
                assert len(line) > 1 and words[line[1]].polygon[:, 0].min() > words[line[0]].polygon[:, 0].max()
    assert kinds.count("☐") > kinds.count("☑") > 0  # CHECKED: 45% of boxes are checked
    assert Vocab.load().covers("☐☑")


@pytest.mark.parametrize("mark", ["typed", "tick", "cross"])
def test_a_checked_box_holds_its_mark(small_fonts, mark):
    """A typed X or a cross sits inside its box (the word's box is the empty box's), a tick may overshoot it;
    an empty box has no ink inside."""
    inks, polygons = {}, {}
    for m in (None, mark):
        builder = PageBuilder(Canvas(80, 80))
        i = builder.checkbox(20, 20, 24, m, np.random.default_rng(0), Style(small_fonts[0], 24))
        word = builder.canvas.words[i]
        assert word.text == ("☐" if m is None else "☑")
        x0, y0 = word.polygon.min(0).astype(int)
        inks[m], polygons[m] = builder.canvas.text[y0 + 6 : y0 + 21, x0 + 6 : x0 + 21], word.polygon
    assert inks[None].max() == 0 and inks[mark].max() > 200  # inside the border
    if mark != "tick":
        np.testing.assert_array_equal(polygons[mark], polygons[None])


def test_an_unknown_check_mark_is_an_error(small_fonts):
    """A mistyped mark must not draw an empty box labeled as checked."""
    with pytest.raises(ValueError, match="unknown check mark"):
        PageBuilder(Canvas(80, 80)).checkbox(20, 20, 24, "tik", np.random.default_rng(0), Style(small_fonts[0], 24))
