"""Synthetic document pages with exact word and line labels.

``text`` (what is written), ``fonts`` (fontconfig discovery), ``render`` (ink layers and tight
word polygons), ``layouts`` (letters, memos, articles, forms, tables, invoices, receipts),
``degrade`` (scan/photocopy/fax look and the page homography) and ``generator``
(:class:`SyntheticPages`, the seeded torch Dataset).
"""

from docvision.datasets.synth.generator import SynthConfig, SyntheticPages, SynthPage

__all__ = ["SynthConfig", "SynthPage", "SyntheticPages"]
